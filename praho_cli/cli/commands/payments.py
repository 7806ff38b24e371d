"""praho payments record|list|show"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Payments received against invoices and proformas.", no_args_is_help=True)

Invoice = Annotated[str | None, typer.Option("--invoice", help="Invoice number or id.")]
Proforma = Annotated[str | None, typer.Option("--proforma", help="Proforma number or id.")]


@app.command("record")
def record(
    ctx: typer.Context,
    amount: Annotated[str, typer.Option("--amount", help="Amount, e.g. 121.00 or '121,00 RON'.")],
    invoice: Invoice = None, proforma: Proforma = None,
    method: Annotated[str, typer.Option("--method", help="bank, card, cash or other.")] = "bank",
    reference: Annotated[str | None, typer.Option("--reference", help="Bank or card reference.")] = None,
    paid_at: Annotated[str | None, typer.Option("--paid-at", help="Day received (default today).",
                       metavar="YYYY-MM-DD")] = None,
    force: Annotated[bool, typer.Option("--force", help="Accept a --paid-at in the future or before the "
                                        "document's issue date (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why --force is right (audited).")] = None,
    allow_duplicate_reference: Annotated[bool, typer.Option(
        "--allow-duplicate-reference", help="Record it though another payment has the same --reference.")] = False,
    idempotency_key: o.IdempotencyKey = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Record a payment; paying a proforma in full issues its invoice.

    The day must lie between the document's issue date and today, and a reference already recorded
    is refused, unless --force --reason / --allow-duplicate-reference say it is right.

    Example: praho payments record --invoice INV2026-000042 --amount 121.00 --method bank --reference OP123
    """
    from praho_cli.cli.parsing import parse_date
    from praho_cli.services.billing import payments

    app_ = o.app_of(ctx)
    out = app_.renderer(payments.PAYMENT, output, fields, json)
    if reason is not None and not force:
        from praho_cli.result import ErrorCode, PrahoFailure

        raise PrahoFailure.of(ErrorCode.INVALID, "--reason goes with --force")
    data = payments.PaymentInput(amount=amount, invoice=invoice, proforma=proforma, method=method,
                                 reference=reference, paid_at=parse_date(paid_at, "--paid-at") if paid_at else None,
                                 force_reason=(reason or "") if force else None,
                                 allow_duplicate_reference=allow_duplicate_reference)
    sctx = app_.service_context()
    row = app_.transact(lambda s: payments.record_payment(s, sctx, data, idempotency_key))
    out.one(row)
    if row.get("duplicate_reference_of"):
        app_.messages.warning(f"reference {row['reference']!r} is also recorded on payment "
                              f"{row['duplicate_reference_of']}", event="payment.duplicate_reference", id=row["id"])
    app_.messages.success(f"Recorded payment {row['id']} on {row['document_number']}: now {row['document_status']}",
                          event="payment.recorded", id=row["id"])


@app.command("void")
def void(
    ctx: typer.Context, payment: Annotated[str, typer.Argument(help="Payment id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided (audited).")],
    yes: o.Yes = False, output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Void a mistyped payment: it stays listed, stops counting as paid, the document's status follows.

    Refused when a refund gives the payment back or a proforma it paid was converted.

    Example: praho payments void 12 --reason 'Recorded on the wrong invoice' --yes
    """
    from praho_cli.services.billing import payments

    app_ = o.app_of(ctx)
    out = app_.renderer(payments.PAYMENT, output, fields, json)
    app_.confirm(f"Void payment {payment}?", yes)
    sctx = app_.service_context()
    row = app_.transact(lambda s: payments.void_payment(s, sctx, payment, reason))
    out.one(row)
    app_.messages.success(f"Voided payment {row['id']} on {row['document_number']}: now {row['document_status']}",
                          event="payment.voided", id=row["id"])


@app.command("list")
def list_(ctx: typer.Context, invoice: Invoice = None, proforma: Proforma = None, output: o.Output = None,
          json: o.Json = False, fields: o.Fields = None) -> None:
    """List payments.

    Example: praho payments list --invoice INV2026-000042 -o json
    """
    from praho_cli.services.billing import payments

    app_ = o.app_of(ctx)
    out = app_.renderer(payments.PAYMENT, output, fields, json)
    with app_.reading() as session:
        out.many(payments.list_payments(session, invoice, proforma).unwrap())


@app.command("show")
def show(ctx: typer.Context, payment: Annotated[str, typer.Argument(help="Payment id.")],
         output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Show one payment.

    Example: praho payments show 12 --json
    """
    from praho_cli.services.billing import payments

    app_ = o.app_of(ctx)
    out = app_.renderer(payments.PAYMENT, output, fields, json)
    with app_.reading() as session:
        out.one(payments.show_payment(session, payment).unwrap())
