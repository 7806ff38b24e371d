"""praho refunds create|list|show|eligibility|reconcile"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Refunds: money given back on paid invoices, each with its credit note.",
                  no_args_is_help=True)

Invoice = Annotated[str, typer.Option("--invoice", help="Invoice number or id.")]


@app.command("create")
def create(
    ctx: typer.Context,
    invoice: Invoice,
    reason: Annotated[str, typer.Option("--reason", help="Why the money is given back (on the credit note).")],
    full: Annotated[bool, typer.Option("--full", help="Refund everything still refundable.")] = False,
    amount: Annotated[str | None, typer.Option("--amount", help="Partial refund, VAT included, e.g. 50.00 or "
                      "'50,00 RON'.")] = None,
    method: Annotated[str, typer.Option("--method", help="original (the payments' own way), bank, card, cash "
                      "or other.")] = "original",
    idempotency_key: o.IdempotencyKey = None, dry_run: o.DryRun = False,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Refund a paid invoice in full or in part; issues a credit note with the invoice's VAT rates.

    Example: praho refunds create --invoice INV2026-000042 --amount 50.00 --reason 'Downgrade' --idempotency-key t-981
    """
    from praho_cli.services.billing.refunds import create, records, settle

    app_ = o.app_of(ctx)
    out = app_.renderer(records.REFUND_DETAIL, output, fields, json)
    data = records.RefundInput(invoice=invoice, reason=reason, full=full, amount=amount, method=method)
    sctx = app_.service_context()
    if dry_run:
        with app_.reading() as session:
            out.one(create.plan_refund(session, sctx, data).unwrap())
        app_.messages.info("Dry run: nothing was recorded")
        return
    row = app_.transact(lambda s: create.create_refund(s, sctx, data, idempotency_key))
    replayed = row.pop("replayed")
    stderr = None
    if row["status"] == "pending" and not replayed:
        attempt = settle.settle(app_.database(), sctx, int(row["id"])).unwrap()
        row, stderr = attempt.refund, attempt.stderr
    out.one(row)
    failure = settle.outcome_error(row, stderr)
    if failure and not replayed:
        raise failure
    from praho_cli.money import format_minor

    what = "Replayed" if replayed else "Refunded"
    amount = f"{format_minor(row['amount_cents'], row['currency'])} {row['currency']}"
    note = f", credit note {row['credit_note_number']}" if row["credit_note_number"] else ""
    app_.messages.success(f"{what} {amount} on {row['invoice_number']}: refund {row['id']} {row['status']}{note}",
                          event="refund.created", id=row["id"])


@app.command("list")
def list_(
    ctx: typer.Context,
    invoice: Annotated[str | None, typer.Option("--invoice", help="Invoice number or id.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer id or e-mail.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="pending, completed or failed.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Created on or after this day.",
                         metavar="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Created on or before this day.",
                       metavar="YYYY-MM-DD")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List refunds (streams with -o jsonl).

    Example: praho refunds list --status pending -o jsonl
    """
    from praho_cli.cli.parsing import parse_date
    from praho_cli.services.billing.refunds import records, view

    app_ = o.app_of(ctx)
    out = app_.renderer(records.REFUND, output, fields, json)
    flt = records.RefundFilter(invoice=invoice, customer=customer, status=status,
                               created_from=parse_date(date_from, "--from") if date_from else None,
                               created_to=parse_date(date_to, "--to") if date_to else None)
    with app_.reading() as session:
        out.many(view.list_refunds(session, flt, app_.zone).unwrap())


@app.command("show")
def show(ctx: typer.Context, refund: Annotated[str, typer.Argument(help="Refund id.")],
         output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Show one refund with its allocations and credit note.

    Example: praho refunds show 7 --json
    """
    from praho_cli.services.billing.refunds import records, view

    app_ = o.app_of(ctx)
    out = app_.renderer(records.REFUND_DETAIL, output, fields, json)
    with app_.reading() as session:
        out.one(view.show_refund(session, refund).unwrap())


@app.command("eligibility")
def eligibility(ctx: typer.Context, invoice: Invoice, output: o.Output = None, json: o.Json = False,
                fields: o.Fields = None) -> None:
    """Whether an invoice can be refunded, why, and the maximum refundable.

    Example: praho refunds eligibility --invoice INV2026-000042
    """
    from praho_cli.services.billing.refunds import eligibility as eligible
    from praho_cli.services.billing.refunds import records

    app_ = o.app_of(ctx)
    out = app_.renderer(records.REFUND_ELIGIBILITY, output, fields, json)
    with app_.reading() as session:
        out.one(eligible.eligibility(session, invoice).unwrap())


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    ignore_leases: Annotated[bool, typer.Option("--ignore-leases", help="Also take refunds whose creator may "
                             "still be running the refund command (only after a crash).")] = False,
    wait: o.Wait = 0,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Settle pending refunds: run the refund command again with each refund's own idempotency key.

    Example: praho refunds reconcile --log-format json
    """
    from praho_cli.ledger.locks import acquire
    from praho_cli.result import ErrorCode, PrahoFailure, Retry
    from praho_cli.services.billing.refunds import records, settle

    app_ = o.app_of(ctx)
    out = app_.renderer(records.RECONCILE_ITEM, output, fields, json)
    sctx = app_.service_context()
    db = app_.database()
    timeout = int(app_.settings.get("refunds.command_timeout_seconds") or 60)
    with acquire(db, "refunds.reconcile", holder=app_.run_id, ttl_seconds=timeout * 4 + 60, wait_seconds=wait,
                 clock=app_.now):
        report = settle.reconcile(db, sctx, ignore_leases=ignore_leases).unwrap()
    rows = report.rows
    out.many(iter(rows))
    unsettled = [r["id"] for r in rows if r["status"] == "pending"]
    if unsettled:
        stderr = {i: report.stderr[i] for i in unsettled if i in report.stderr}
        note = f"; {settle.STDERR_NOTE}" if stderr else ""
        details = {"command_stderr": stderr} if stderr else {}
        raise PrahoFailure.of(ErrorCode.PARTIAL, f"{len(unsettled)} of {len(rows)} refund(s) still pending: "
                              f"{', '.join(unsettled)}{note}", Retry.NOT_RETRIABLE, **details)
    app_.messages.success(f"Reconciled {len(rows)} pending refund(s)", event="refunds.reconciled", count=len(rows))
