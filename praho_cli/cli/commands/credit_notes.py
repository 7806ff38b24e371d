"""praho credit-notes list|show

Credit notes are issued by billing (invoices cancel, refunds create), never drafted, so this noun
reads only: the same show and list as invoices and proformas, on the credit-note kind.
"""

from __future__ import annotations

import typer

from praho_cli.cli.commands.invoices import register_document_verbs

app = typer.Typer(help="Credit notes: the corrections billing issues when an invoice is cancelled or refunded.",
                  no_args_is_help=True)

register_document_verbs(app, "credit_note", "credit-notes", "CN", drafts=False)
