"""Options shared by many commands, declared once."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from praho_cli.cli.context import AppContext


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"


Output = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output", "-o",
        help="Output format: table, json, jsonl, csv or tsv. Default: table on a terminal, tsv when piped "
        "(or PRAHO_OUTPUT).",
        case_sensitive=False,
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Short for -o json.")]
Fields = Annotated[
    str | None,
    typer.Option("--fields", help="Comma-separated fields to show, in this order (e.g. id,name,email).",
                 metavar="F1,F2"),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
IdempotencyKey = Annotated[
    str | None,
    typer.Option("--idempotency-key", help="Replaying the same key with the same parameters returns the "
                 "first result and does nothing again.", metavar="KEY"),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")]
Wait = Annotated[
    float,
    typer.Option("--wait", help="When another run holds the lock, wait up to SECONDS (default: exit 75 at once).",
                 metavar="SECONDS", min=0),
]


def app_of(ctx: typer.Context) -> AppContext:
    """The AppContext the root callback put on the Click context."""
    launch = ctx.find_root().obj
    app: AppContext = launch.app
    return app
