"""praho init"""

from __future__ import annotations

import typer

from praho_cli.cli import options as o

COMMAND = True


def run(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Set praho up: a config file if there is none, the ledger and its schema, default data.

    Example: praho init && praho customers list
    """
    from praho_cli.services import ledger_admin

    app_ = o.app_of(ctx)
    out = app_.renderer(ledger_admin.SCHEMA_STATUS, output, fields, json)
    created = ledger_admin.ensure_config_file(app_.settings.path) if not app_.settings.file_exists else None
    db = app_.database(check_schema=False)
    row = ledger_admin.initialize(db, app_.service_context).unwrap()
    out.one(row)
    if created:
        app_.messages.success(f"Wrote config file {created}")
    app_.messages.success(f"Ledger ready at {row['database']} (schema {row['current']})")
