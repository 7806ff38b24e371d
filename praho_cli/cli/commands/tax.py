"""praho tax rates|set"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="The versioned VAT rate table.", no_args_is_help=True)


@app.command("rates")
def rates(
    ctx: typer.Context,
    country: Annotated[str | None, typer.Option("--country", help="ISO country code.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Only rates valid on this tax point date.",
                  metavar="YYYY-MM-DD")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List VAT rates.

    Example: praho tax rates --country RO --on 2025-08-01
    """
    from praho_cli.cli.parsing import parse_date
    from praho_cli.services.billing import tax

    app_ = o.app_of(ctx)
    out = app_.renderer(tax.VAT_RATE, output, fields, json)
    day = parse_date(on, "--on") if on else None
    with app_.reading() as session:
        out.many(tax.list_rates(session, country, day).unwrap())


@app.command("set")
def set_(
    ctx: typer.Context,
    country: Annotated[str, typer.Argument(help="ISO country code.")],
    category: Annotated[str, typer.Argument(help="standard, reduced or reduced2.")],
    rate: Annotated[str, typer.Argument(help="Percent, e.g. 21 or 25.5.")],
    valid_from: Annotated[str, typer.Option("--from", help="First tax point date.", metavar="YYYY-MM-DD")],
    until: Annotated[str | None, typer.Option("--until", help="Last tax point date (inclusive).",
                     metavar="YYYY-MM-DD")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Add a VAT rate; an open-ended earlier rate of the same category ends the day before.

    Example: praho tax set RO standard 21 --from 2025-08-01
    """
    from praho_cli.billing.rates import parse_category, parse_rate
    from praho_cli.cli.parsing import parse_date
    from praho_cli.services.billing import tax

    app_ = o.app_of(ctx)
    out = app_.renderer(tax.VAT_RATE, output, fields, json)
    data = tax.RateInput(country=country, category=parse_category(category), rate=parse_rate(rate),
                         valid_from=parse_date(valid_from, "--from"),
                         valid_to=parse_date(until, "--until") if until else None)
    sctx = app_.service_context()
    row = app_.transact(lambda s: tax.set_rate(s, sctx, data))
    out.one(row)
    app_.messages.success(f"{row['country']} {row['category']} VAT {row['rate']}% from {row['valid_from']}",
                          event="vat_rate.added")
