"""praho customers add|list|show|update"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from praho_cli.services.billing.customers import CustomerInput

from praho_cli.cli import options as o

app = typer.Typer(help="Customers: companies and individuals billed by praho.", no_args_is_help=True)

Name = Annotated[str | None, typer.Option("--name", help="Legal name (company) or full name (individual).")]
Email = Annotated[str | None, typer.Option("--email", help="Billing e-mail address (unique).")]
Kind = Annotated[str | None, typer.Option("--kind", help="company (default) or individual.")]
Country = Annotated[str | None, typer.Option("--country", help="ISO 3166 country code (default RO).")]
Address = Annotated[str | None, typer.Option("--address", help="Street address.")]
City = Annotated[str | None, typer.Option("--city", help="City.")]
Postal = Annotated[str | None, typer.Option("--postal-code", help="Postal code.")]
County = Annotated[str | None, typer.Option("--county", help="County, ISO 3166-2:RO for Romania (RO-CJ; RO-B for "
                                            "Bucharest, whose --city is SECTOR1…SECTOR6).")]
Currency = Annotated[str | None, typer.Option("--currency", help="Billing currency (billing.default_currency).")]
Cui = Annotated[str | None, typer.Option("--cui", help="Romanian CUI/CIF; with RO in front for a VAT payer.")]
RegCom = Annotated[str | None, typer.Option("--reg-com", help="Trade register number, e.g. J40/372/2002.")]
Cnp = Annotated[str | None, typer.Option("--cnp", help="Romanian CNP (individuals).")]
Vat = Annotated[str | None, typer.Option("--vat-number", help="EU VAT number with country prefix, e.g. DE136695976.")]


def _input(**values: str | None) -> CustomerInput:
    from praho_cli.services.billing.customers import CustomerInput

    return CustomerInput(**values)


@app.command("add")
def add(
    ctx: typer.Context, name: Name = None, email: Email = None, kind: Kind = None, country: Country = None,
    address: Address = None, city: City = None, postal_code: Postal = None, county: County = None,
    currency: Currency = None,
    cui: Cui = None, reg_com: RegCom = None, cnp: Cnp = None, vat_number: Vat = None,
    idempotency_key: o.IdempotencyKey = None, output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Add a customer.

    Example: praho customers add --name 'Acme SRL' --email billing@acme.ro --cui RO18547290 --reg-com J40/372/2002
    """
    from praho_cli.services.billing import customers

    app_ = o.app_of(ctx)
    out = app_.renderer(customers.CUSTOMER, output, fields, json)
    data = _input(name=name, email=email, kind=kind, country=country, address=address, city=city,
                  postal_code=postal_code, county=county, currency=currency, cui=cui, reg_com=reg_com, cnp=cnp,
                  vat_number=vat_number)
    sctx = app_.service_context()
    row = app_.transact(lambda s: customers.add_customer(s, sctx, data, idempotency_key))
    out.one(row)
    app_.messages.success(f"Added customer {row['id']} ({row['name']})", event="customer.added", id=row["id"])


@app.command("list")
def list_(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Name contains (case-insensitive).")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Exact e-mail address.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO country code.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="company or individual.")] = None,
    missing: Annotated[str | None, typer.Option("--missing", help="efactura: only the customers an e-Factura "
                       "cannot name yet (no street address or city, or a Romanian one without --county).")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List customers (streams: fine for millions of rows with -o jsonl).

    Example: praho customers list --country RO -o jsonl; praho customers list --missing efactura
    """
    from praho_cli.services.billing import customers

    app_ = o.app_of(ctx)
    out = app_.renderer(customers.CUSTOMER, output, fields, json)
    flt = customers.CustomerFilter(name=name, email=email, country=country, kind=kind, missing=missing)
    with app_.reading() as session:
        out.many(customers.list_customers(session, flt).unwrap())


@app.command("show")
def show(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or e-mail address.")],
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Show one customer.

    Example: praho customers show billing@acme.ro --json
    """
    from praho_cli.services.billing import customers

    app_ = o.app_of(ctx)
    out = app_.renderer(customers.CUSTOMER, output, fields, json)
    with app_.reading() as session:
        out.one(customers.show_customer(session, customer).unwrap())


@app.command("update")
def update(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or e-mail address.")],
    name: Name = None, email: Email = None, kind: Kind = None, country: Country = None,
    address: Address = None, city: City = None, postal_code: Postal = None, county: County = None,
    currency: Currency = None,
    cui: Cui = None, reg_com: RegCom = None, cnp: Cnp = None, vat_number: Vat = None,
    if_version: Annotated[int | None, typer.Option("--if-version", help="Only update if the customer is still at "
                          "this version (exit 5 otherwise).")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Change a customer's details (an empty value clears an optional field: --address '').

    Example: praho customers update billing@acme.ro --city Cluj-Napoca --postal-code 400001
    """
    from praho_cli.services.billing import customers

    app_ = o.app_of(ctx)
    out = app_.renderer(customers.CUSTOMER, output, fields, json)
    data = _input(name=name, email=email, kind=kind, country=country, address=address, city=city,
                  postal_code=postal_code, county=county, currency=currency, cui=cui, reg_com=reg_com, cnp=cnp,
                  vat_number=vat_number)
    sctx = app_.service_context()
    row = app_.transact(lambda s: customers.update_customer(s, sctx, customer, data, if_version))
    out.one(row)
    app_.messages.success(f"Updated customer {row['id']} (version {row['version']})", event="customer.updated",
                          id=row["id"])
