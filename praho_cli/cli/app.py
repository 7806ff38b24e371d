"""The root command, its global options, and the list of nouns."""

from __future__ import annotations

import functools
import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from praho_cli import __version__


class LazyNounGroup(TyperGroup):
    """The root group builds a noun's commands only when that noun is used.

    Typer inspects every parameter of every command to build the Click tree; for all nouns at once
    that dominated `praho --help`. The list and the one-line helps come from NOUNS and each module's
    help text, without building anything.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return [name for name, _module in NOUNS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return _load(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(name, _short_help(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _module(name: str) -> Any:
    module_name = dict(NOUNS).get(name)
    if module_name is None:
        return None
    return importlib.import_module(f"praho_cli.cli.commands.{module_name}")


def _help_of(module: Any) -> str:
    if getattr(module, "COMMAND", False):
        return module.run.__doc__ or ""
    return module.app.info.help or ""


def _short_help(name: str, limit: int) -> str:
    text = " ".join(_help_of(_module(name)).strip().split("\n\n")[0].split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 10)].rsplit(" ", 1)[0] + "..."


@functools.cache
def _load(name: str) -> Any:
    module = _module(name)
    if module is None:
        return None
    if getattr(module, "COMMAND", False):  # a single top-level command (praho init)
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        single.command(name, help=module.run.__doc__)(module.run)
        command = typer.main.get_command(single)
    else:
        # Rich-formatted help would import Rich for every --help; praho keeps help plain.
        module.app.rich_markup_mode = None
        module.app.pretty_exceptions_enable = False
        # get_group, not get_command: a noun with one verb (help exit-codes) stays a group.
        command = typer.main.get_group(module.app)
    command.name = name
    return command


app = typer.Typer(
    cls=LazyNounGroup,
    name="praho",
    help="Operations toolkit for Virtualmin hosting: billing ledger, provisioning, drift and cron.\n\n"
    "Example: praho customers add --name 'Acme SRL' --email billing@acme.ro --cui RO18547290",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


# (command name, module under praho_cli.cli.commands). Each module defines `app`; its imports stay light.
NOUNS: list[tuple[str, str]] = [
    ("init", "init"),
    ("config", "config"),
    ("db", "db"),
    ("customers", "customers"),
    ("servers", "servers"),
    ("accounts", "accounts"),
    ("demo", "demo"),
    ("series", "series"),
    ("tax", "tax"),
    ("fx", "fx"),
    ("invoices", "invoices"),
    ("proformas", "proformas"),
    ("credit-notes", "credit_notes"),
    ("payments", "payments"),
    ("refunds", "refunds"),
    ("efactura", "efactura"),
    ("drift", "drift"),
    ("cron", "cron"),
    ("audit", "audit"),
    ("sim", "sim"),
    ("help", "help"),
    ("completion", "completion"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"praho {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[str | None, typer.Option("--config", help="Config file (default: "
                      "$XDG_CONFIG_HOME/praho/config.toml, or PRAHO_CONFIG).", metavar="PATH")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Use [profiles.NAME] of the config file "
                       "(or PRAHO_PROFILE).", metavar="NAME")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt (also PRAHO_NO_INPUT=1); destructive "
                        "commands then need --yes.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for unexpected errors.")] = False,
    log_format: Annotated[str | None, typer.Option("--log-format", help="text (default) or json: JSON lines "
                          "on stderr for cron.", metavar="FORMAT")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Name recorded in audit events (default: the "
                     "OS user).", metavar="NAME")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                       help="Print the version and exit.")] = False,
) -> None:
    from praho_cli.cli.context import AppContext
    from praho_cli.result import ErrorCode, PrahoFailure

    if log_format is not None and log_format.lower() not in ("text", "json"):
        raise PrahoFailure.of(ErrorCode.INVALID, f"--log-format must be text or json, not {log_format!r}")
    launch = ctx.obj
    launch.app = AppContext(
        launch.env, config=config, profile=profile, no_input=no_input or None, quiet=quiet,
        verbose=verbose, debug=debug, log_format=log_format.lower() if log_format else None, actor=actor,
    )
    _ = launch.app.messages  # from here on, praho_cli's loggers write through the Messenger
    launch.env.clock()  # a bad PRAHO_NOW stops every command before it does anything (exit 78)
