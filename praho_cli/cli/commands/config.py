"""praho config init|show|path|get|set"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Show and change praho's configuration file.", no_args_is_help=True)


@app.command("init")
def init(ctx: typer.Context, force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False
         ) -> None:
    """Write a commented starter config file (mode 0600).

    Example: praho config init && praho config path
    """
    from praho_cli.config.settings import default_config_path
    from praho_cli.services import config

    app_ = o.app_of(ctx)
    env = app_.env.environ
    path = app_.config_flag or env.get("PRAHO_CONFIG") or None
    from pathlib import Path

    target = Path(path).expanduser() if path else default_config_path(env)
    done = config.init_file(target, force).unwrap()
    app_.messages.success(f"Wrote {done['path']}")


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the path of the config file in use (whether or not it exists).

    Example: $EDITOR "$(praho config path)"
    """
    from praho_cli.config.settings import default_config_path

    app_ = o.app_of(ctx)
    env = app_.env.environ
    chosen = app_.config_flag or env.get("PRAHO_CONFIG") or str(default_config_path(env))
    app_.env.stdout.write(f"{chosen}\n")


@app.command("show")
def show(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Show every effective setting, where it comes from, secrets redacted.

    Example: praho --profile staging config show
    """
    from praho_cli.services import config

    app_ = o.app_of(ctx)
    out = app_.renderer(config.SETTING, output, fields, json)
    out.many(config.show(app_.settings).unwrap())
    zone = app_.settings.get("business.timezone")
    app_.messages.info(f"Timestamps are UTC; every date people read (issue, tax point, due, days overdue, "
                       f"date filters, a number's year) is the date in business.timezone = {zone}",
                       event="config.calendar", timezone=zone)


@app.command("get")
def get(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Dotted setting name.")],
        output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Print one setting's effective value (just the value when piped or in a table).

    Example: praho config get billing.due_days
    """
    from praho_cli.services import config

    app_ = o.app_of(ctx)
    out = app_.renderer(config.SETTING, output, fields, json)
    row = config.get(app_.settings, key).unwrap()
    if out.format in ("json", "jsonl", "csv") or out.explicit_fields:
        out.one(row)
    else:
        value = row["value"]
        app_.env.stdout.write(("" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
                              + "\n")


@app.command("set")
def set_(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Dotted setting name.")],
         value: Annotated[str, typer.Argument(help="New value.")]) -> None:
    """Set one setting in the config file (or in --profile's table), keeping the rest of the file.

    Example: praho config set billing.due_days 30
    """
    from praho_cli.services import config

    app_ = o.app_of(ctx)
    row = config.set_(app_.settings, key, value).unwrap()
    app_.messages.success(f"{row['key']} = {row['value']!r} in {app_.settings.path}")
