"""praho db upgrade|current|check"""

from __future__ import annotations

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="The ledger's schema: upgrade, current revision, check.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Apply pending migrations to the ledger.

    Example: praho db upgrade
    """
    from praho_cli.services import ledger_admin

    app_ = o.app_of(ctx)
    out = app_.renderer(ledger_admin.SCHEMA_STATUS, output, fields, json)
    row = ledger_admin.upgrade(app_.database(check_schema=False)).unwrap()
    out.one(row)
    if row["previous"] == row["current"]:
        app_.messages.success(f"Ledger already at {row['current']}")
    else:
        app_.messages.success(f"Ledger upgraded from {row['previous'] or 'empty'} to {row['current']}")


@app.command("current")
def current(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Show the ledger's schema revision and the one this praho needs.

    Example: praho db current --json
    """
    from praho_cli.services import ledger_admin

    app_ = o.app_of(ctx)
    out = app_.renderer(ledger_admin.SCHEMA_STATUS, output, fields, json)
    out.one(ledger_admin.current(app_.database(check_schema=False)).unwrap())


@app.command("check")
def check(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Exit 0 when the ledger is up to date and matches praho's models, 7 otherwise.

    Example: praho db check || praho db upgrade
    """
    from praho_cli.result import Err, PrahoFailure
    from praho_cli.services import ledger_admin

    app_ = o.app_of(ctx)
    out = app_.renderer(ledger_admin.SCHEMA_STATUS, output, fields, json)
    result = ledger_admin.check(app_.database(check_schema=False))
    if isinstance(result, Err):
        out.one(dict(result.error.details))
        raise PrahoFailure(result.error)
    out.one(result.value)
    app_.messages.success("Ledger schema is current")
