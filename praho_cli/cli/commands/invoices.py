"""praho invoices create|add-line|remove-line|delete|issue|list|show|cancel|mark-overdue|series-audit

The draft verbs are shared with proformas: :func:`register_document_verbs` adds them to both nouns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from praho_cli.cli import options as o

if TYPE_CHECKING:
    from praho_cli.billing.numbering import DocumentKind

app = typer.Typer(help="Invoices: drafts, issuing with gapless numbers, cancelling by credit note.",
                  no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Document number (e.g. INV2026-000042) or ledger id.", metavar="DOCUMENT")]
DateOpt = Annotated[str | None, typer.Option(metavar="YYYY-MM-DD")]


def _date(value: str | None, flag: str) -> Any:
    from praho_cli.cli.parsing import parse_date

    return parse_date(value, flag) if value else None


def _kind(name: str) -> DocumentKind:
    from praho_cli.billing.numbering import DocumentKind

    return DocumentKind(name)


def register_document_verbs(noun: typer.Typer, kind_name: str, plural: str, prefix: str, *,
                            drafts: bool = True) -> None:
    """create, add-line, remove-line, delete, issue, show and list for one document kind; without
    ``drafts`` only show and list (credit notes: billing issues them, they have no drafts)."""

    def draft_verb(name: str, **kwargs: Any) -> Any:
        return noun.command(name, **kwargs) if drafts else (lambda function: function)

    @draft_verb("create", help=(f"Create a draft {kind_name} (no number until it is issued).\n\n"
                      f"Example: praho {plural} create --customer billing@acme.ro --line 'Hosting Pro|12|49.00'"))
    def create(
        ctx: typer.Context,
        customer: Annotated[str, typer.Option("--customer", help="Customer id or e-mail address.")],
        currency: Annotated[str | None, typer.Option("--currency", help="ISO 4217 code (default: the "
                            "customer's).")] = None,
        tax_point: Annotated[str | None, typer.Option("--tax-point", help="Date of supply, which chooses the VAT "
                             "rates (default: the issue date).", metavar="YYYY-MM-DD")] = None,
        due_days: Annotated[int | None, typer.Option("--due-days", help="Days from issue to due date (default "
                            "billing.due_days).", min=0)] = None,
        series: Annotated[str | None, typer.Option("--series", help="Series code (default: the configured "
                          "one).")] = None,
        line: Annotated[list[str] | None, typer.Option("--line", help="\"description|quantity|unit price"
                        "[|category]\"; repeat for more lines. Category: standard (default), reduced, reduced2, "
                        "zero, exempt.")] = None,
        output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
    ) -> None:
        from praho_cli.services.billing.documents import drafts, records

        app_ = o.app_of(ctx)
        out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
        data = drafts.DraftInput(customer=customer, currency=currency, tax_point=_date(tax_point, "--tax-point"),
                                   due_days=due_days, series=series, lines=tuple(line or ()))
        sctx = app_.service_context()
        row = app_.transact(lambda s: drafts.create_draft(s, sctx, _kind(kind_name), data))
        out.one(row)
        from praho_cli.money import format_minor

        total = format_minor(row["total_cents"], row["currency"])
        app_.messages.success(f"Created draft {kind_name} {row['id']} ({total} {row['currency']})",
                              event=f"{kind_name}.created", id=row["id"])


    @draft_verb("add-line", help=f"Add a line to a draft.\n\n"
                  f"Example: praho {plural} add-line 17 'Domain .ro|1|60,00|standard'")
    def add_line(
        ctx: typer.Context, document: Ref,
        line: Annotated[str, typer.Argument(help="\"description|quantity|unit price[|category]\".")],
        output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
    ) -> None:
        from praho_cli.services.billing.documents import drafts, records

        app_ = o.app_of(ctx)
        out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
        sctx = app_.service_context()
        out.one(app_.transact(lambda s: drafts.add_line(s, sctx, _kind(kind_name), document, line)))


    @draft_verb("remove-line", help=f"Remove a line from a draft.\n\nExample: praho {plural} remove-line 17 2")
    def remove_line(
        ctx: typer.Context, document: Ref,
        position: Annotated[int, typer.Argument(help="Line number, from 1 (see show).")],
        output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
    ) -> None:
        from praho_cli.services.billing.documents import drafts, records

        app_ = o.app_of(ctx)
        out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
        sctx = app_.service_context()
        out.one(app_.transact(lambda s: drafts.remove_line(s, sctx, _kind(kind_name), document, position)))


    @draft_verb("delete", help=f"Delete a draft (issued documents are never deleted).\n\n"
                  f"Example: praho {plural} delete 17 --yes")
    def delete(ctx: typer.Context, document: Ref, yes: o.Yes = False, output: o.Output = None,
               json: o.Json = False, fields: o.Fields = None) -> None:
        from praho_cli.services.billing.documents import drafts, records

        app_ = o.app_of(ctx)
        out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
        app_.confirm(f"Delete draft {kind_name.replace('_', ' ')} {document}?", yes)
        sctx = app_.service_context()
        row = app_.transact(lambda s: drafts.delete_draft(s, sctx, _kind(kind_name), document))
        out.one(row)
        app_.messages.success(f"Deleted draft {row['id']}", event=f"{kind_name}.deleted", id=row["id"])


    @draft_verb("issue", help=(f"Issue a draft: take its number, freeze rates, snapshots and totals.\n\n"
                     f"Example: praho {plural} issue 17 --idempotency-key issue-17"))
    def issue(ctx: typer.Context, document: Ref, idempotency_key: o.IdempotencyKey = None,
              output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
        from praho_cli.services.billing.documents import issuing, records

        app_ = o.app_of(ctx)
        out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
        sctx = app_.service_context()
        row = app_.transact(lambda s: issuing.issue_document(s, sctx, _kind(kind_name), document, idempotency_key))
        out.one(row)
        app_.messages.success(f"Issued {row['number']}", event=f"{kind_name}.issued", number=row["number"])


    @noun.command("show", help=(f"Show a {kind_name.replace('_', ' ')}: lines, VAT breakdown, payments, related "
                    "documents.\n\n"
                    f"Example: praho {plural} show {prefix}2026-000042 --json"))
    def show(ctx: typer.Context, document: Ref, output: o.Output = None, json: o.Json = False,
             fields: o.Fields = None) -> None:
        from praho_cli.services.billing.documents import detail, records

        app_ = o.app_of(ctx)
        out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
        with app_.reading() as session:
            row = detail.show_document(session, _kind(kind_name), document).unwrap()
        if out.format == "table" and not out.explicit_fields:
            from praho_cli.output.document import render_document

            render_document(out, row)  # the document as a person reads it; -o json keeps the record
        else:
            out.one(row)


    @noun.command("list", help=(f"List {plural.replace('-', ' ')} (streams: use -o jsonl for large ledgers).\n\n"
                     f"Example: praho {plural} list --status issued --due-to 2026-12-31 -o jsonl"))
    def list_(
        ctx: typer.Context,
        status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
        customer: Annotated[str | None, typer.Option("--customer", help="Customer id or e-mail.")] = None,
        series: Annotated[str | None, typer.Option("--series", help="Series code.")] = None,
        currency: Annotated[str | None, typer.Option("--currency", help="ISO 4217 code.")] = None,
        issued_from: Annotated[str | None, typer.Option("--issued-from", metavar="YYYY-MM-DD")] = None,
        issued_to: Annotated[str | None, typer.Option("--issued-to", metavar="YYYY-MM-DD")] = None,
        due_from: Annotated[str | None, typer.Option("--due-from", metavar="YYYY-MM-DD")] = None,
        due_to: Annotated[str | None, typer.Option("--due-to", metavar="YYYY-MM-DD")] = None,
        overdue: Annotated[bool, typer.Option("--overdue", help="Unpaid and past due today.")] = False,
        output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
    ) -> None:
        from praho_cli.services.billing import document_list

        app_ = o.app_of(ctx)
        out = app_.renderer(document_list.DOCUMENT, output, fields, json)
        flt = document_list.DocumentFilter(
            status=status, customer=customer, series=series, currency=currency,
            issued_from=_date(issued_from, "--issued-from"), issued_to=_date(issued_to, "--issued-to"),
            due_from=_date(due_from, "--due-from"), due_to=_date(due_to, "--due-to"), overdue=overdue,
        )
        sctx = app_.service_context()
        with app_.reading_rows() as conn:
            out.many(document_list.list_documents(conn, sctx, _kind(kind_name), flt).unwrap())



register_document_verbs(app, "invoice", "invoices", "INV")


@app.command("cancel")
def cancel(
    ctx: typer.Context, document: Ref,
    reason: Annotated[str | None, typer.Option("--reason", help="Printed on the credit note.")] = None,
    yes: o.Yes = False, idempotency_key: o.IdempotencyKey = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Cancel an unpaid issued invoice by issuing a full credit note (storno); prints the credit note.

    Example: praho invoices cancel INV2026-000042 --reason 'Wrong customer' --yes
    """
    from praho_cli.services.billing.documents import cancel, records

    app_ = o.app_of(ctx)
    out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
    app_.confirm(f"Cancel invoice {document} with a credit note?", yes)
    sctx = app_.service_context()
    row = app_.transact(lambda s: cancel.cancel_invoice(s, sctx, document, reason, idempotency_key))
    out.one(row)
    app_.messages.success(f"Cancelled {document} with credit note {row['number']}", event="invoice.cancelled",
                          credit_note=row["number"])


@app.command("mark-overdue")
def mark_overdue(
    ctx: typer.Context, wait: o.Wait = 0, output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Move issued and partially paid invoices past their due date to overdue (for cron; reruns are no-ops).

    Example: praho invoices mark-overdue --log-format json -o json
    """
    from praho_cli.ledger import locks
    from praho_cli.services.billing.documents import overdue, records

    app_ = o.app_of(ctx)
    out = app_.renderer(records.OVERDUE_RUN, output, fields, json)
    db = app_.database()
    sctx = app_.service_context()
    with locks.acquire(db, "invoices.mark-overdue", app_.run_id, ttl_seconds=int(app_.settings.get("lock_ttl_seconds")),
                       wait_seconds=wait, clock=app_.now):
        row = app_.transact(lambda s: overdue.mark_overdue(s, sctx))
    out.one(row)
    app_.messages.success(f"Marked {row['marked']} invoice(s) overdue as of {row['as_of']}",
                          event="invoices.overdue", marked=row["marked"])


@app.command("series-audit")
def series_audit(
    ctx: typer.Context,
    series: Annotated[str | None, typer.Option("--series", help="Only this series.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this fiscal year.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Prove every series has no gap, no duplicate, no number out of date order and no misdated
    document; exit 7 when one has.

    A document is misdated when its issue date is not the date, in business.timezone, of the moment
    it was issued (documents issued late in the evening by a praho that dated them in UTC).

    Example: praho invoices series-audit --series INV --year 2026
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.billing import series as series_service

    app_ = o.app_of(ctx)
    out = app_.renderer(series_service.SERIES_AUDIT, output, fields, json)
    with app_.reading() as session:
        findings = series_service.audit_series(session, app_.zone, series, year).unwrap()
    out.many(findings)
    bad = [f for f in findings if not f["ok"]]
    if bad:
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, "gaps, duplicates or misdated documents in " + ", ".join(
            f"{f['series']}/{f['year']} (missing {f['missing']}, duplicates {f['duplicates']}, "
            + (f"out of date order {f['out_of_order']}, " if f["out_of_order"] else "")
            + f"misdated {f['misdated']}, counter {f['counter']})" for f in bad))
    app_.messages.success(f"{len(findings)} series-year(s) checked: no gap, no duplicate", event="series.audited")
