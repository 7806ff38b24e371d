"""praho proformas create|add-line|remove-line|delete|issue|list|show|cancel|convert"""

from __future__ import annotations

import typer

from praho_cli.cli import options as o
from praho_cli.cli.commands.invoices import Ref, register_document_verbs

app = typer.Typer(help="Proformas: non-fiscal offers to pay, converted to an invoice once paid.",
                  no_args_is_help=True)

register_document_verbs(app, "proforma", "proformas", "PRO")


@app.command("cancel")
def cancel(ctx: typer.Context, document: Ref, yes: o.Yes = False, output: o.Output = None,
           json: o.Json = False, fields: o.Fields = None) -> None:
    """Cancel an unpaid issued proforma (it keeps its number; nothing is deleted).

    Example: praho proformas cancel PRO2026-000007 --yes
    """
    from praho_cli.services.billing import proformas
    from praho_cli.services.billing.documents import records

    app_ = o.app_of(ctx)
    out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
    app_.confirm(f"Cancel proforma {document}?", yes)
    sctx = app_.service_context()
    row = app_.transact(lambda s: proformas.cancel(s, sctx, document))
    out.one(row)
    app_.messages.success(f"Cancelled proforma {row['number']}", event="proforma.cancelled")


@app.command("convert")
def convert(ctx: typer.Context, document: Ref, output: o.Output = None, json: o.Json = False,
            fields: o.Fields = None) -> None:
    """Issue the fiscal invoice of a proforma; converting again prints the same invoice.

    Example: praho proformas convert PRO2026-000007 --json
    """
    from praho_cli.services.billing import proformas
    from praho_cli.services.billing.documents import records

    app_ = o.app_of(ctx)
    out = app_.renderer(records.DOCUMENT_DETAIL, output, fields, json)
    sctx = app_.service_context()
    row = app_.transact(lambda s: proformas.convert(s, sctx, document))
    out.one(row)
    app_.messages.success(f"Proforma {document} → invoice {row['number']}", event="proforma.converted",
                          invoice=row["number"])
