"""praho series add|list|show"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Numbering series of invoices, proformas and credit notes.", no_args_is_help=True)

Code = Annotated[str, typer.Argument(help="Series code, printed in the numbers (e.g. INV).")]


@app.command("add")
def add(
    ctx: typer.Context,
    code: Code,
    kind: Annotated[str, typer.Option("--kind", help="invoice, proforma or credit_note.")],
    template: Annotated[str, typer.Option("--template", help="Number format with {series}, {year}, "
                        "{number}.")] = "{series}{year}-{number:06}",
    yearly_reset: Annotated[bool, typer.Option("--yearly-reset/--no-yearly-reset", help="Restart the counter "
                            "each fiscal year.")] = True,
    start: Annotated[int, typer.Option("--start", help="First number (of each year).", min=1)] = 1,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Add a numbering series.

    Example: praho series add RO --kind invoice --template '{series}{year}-{number:06}' --start 1
    """
    from praho_cli.services.billing import series

    app_ = o.app_of(ctx)
    out = app_.renderer(series.SERIES, output, fields, json)
    data = series.SeriesInput(code=code, kind=kind, template=template, yearly_reset=yearly_reset, start_number=start)
    sctx = app_.service_context()
    row = app_.transact(lambda s: series.add_series(s, sctx, data))
    out.one(row)
    app_.messages.success(f"Added {row['kind']} series {row['code']}", event="series.added", code=row["code"])


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only series of this kind.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List numbering series.

    Example: praho series list --kind invoice -o json
    """
    from praho_cli.services.billing import series

    app_ = o.app_of(ctx)
    out = app_.renderer(series.SERIES, output, fields, json)
    sctx = app_.service_context()
    with app_.reading() as session:
        out.many(series.list_series(session, sctx, kind).unwrap())


@app.command("show")
def show(ctx: typer.Context, code: Code, output: o.Output = None, json: o.Json = False,
         fields: o.Fields = None) -> None:
    """Show one series with its counters per fiscal year.

    Example: praho series show INV --json
    """
    from praho_cli.services.billing import series

    app_ = o.app_of(ctx)
    out = app_.renderer(series.SERIES, output, fields, json)
    sctx = app_.service_context()
    with app_.reading() as session:
        out.one(series.show_series(session, sctx, code).unwrap())
