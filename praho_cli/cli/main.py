"""The one place where failures become exit codes (docs/exit-codes.md; `praho help exit-codes`).

Expected failures arrive as :class:`PrahoFailure` and print one line on stderr. Usage errors from
Click print one line and exit 2. Anything else is a bug: one line naming the exception type, and a
traceback only with ``--debug``. A closed pipe (``praho … | head``) ends the run quietly with exit 0:
the reader has all it asked for (docs/exit-codes.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from praho_cli.output.streams import Environment
from praho_cli.result import ErrorCode, PrahoError, PrahoFailure


@dataclass
class Launch:
    env: Environment
    app: Any = None  # the AppContext, once the root callback has run


def _report(launch: Launch, error: PrahoError) -> None:
    app = launch.app
    if app is not None:
        messages = app.messages
        # --verbose shows the failure's details: as lines under the message, or in the JSON event.
        shown = app.verbose and bool(error.details)
        extra = {"details": dict(error.details)} if shown and app.streams.log_json else {}
        messages.error(error.message, event="failed", code=str(error.code), retry=str(error.retry),
                       exit_code=error.exit_code, **extra)
        if shown and not app.streams.log_json:
            for key, value in error.details.items():
                launch.env.stderr.write(f"  {key}: {value}\n")
    else:
        launch.env.stderr.write(f"error: {error.message}\n")
    launch.env.stderr.flush()


def _usage_line(exc: Any) -> str:
    message = exc.format_message().strip().replace("\n", " ")
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"error: {message}{hint}\n"


def _quiet_broken_pipe(env: Environment) -> None:
    # Point stdout at /dev/null so the interpreter's final flush does not raise again.
    try:
        if env.stdout is sys.__stdout__ and sys.__stdout__ is not None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.__stdout__.fileno())
    except (OSError, ValueError):
        pass


class _ClickExceptions:
    """typer >= 0.29 ships its own copy of click: its usage errors live in typer._click, and its
    Exit/Abort in typer.exceptions. Catching the standalone click's classes would miss them all."""

    def __init__(self) -> None:
        import typer.exceptions as typer_exc
        from typer._click import exceptions as click_exc

        self.Exit = typer_exc.Exit
        self.Abort = typer_exc.Abort
        self.UsageError = click_exc.UsageError
        self.ClickException = click_exc.ClickException


def _click_exceptions() -> _ClickExceptions:
    return _ClickExceptions()


def _invoke(command: Any, argv: Sequence[str], launch: Launch) -> Any:
    """Click's ``main`` without its handler that turns a closed stdout (EPIPE) into exit 1: the
    BrokenPipeError reaches :func:`run`, which ends quietly. Completion requests still go through
    ``main`` (they answer and exit before any command runs)."""
    if "_PRAHO_COMPLETE" in launch.env.environ:
        return command.main(args=list(argv), prog_name="praho", standalone_mode=False, obj=launch)
    try:
        with command.make_context("praho", list(argv), obj=launch) as ctx:
            return command.invoke(ctx)
    except EOFError as exc:  # what click.main does with an end of input at a prompt
        raise _click_exceptions().Abort() from exc


def run(argv: Sequence[str], env: Environment | None = None) -> int:
    import typer

    from praho_cli.cli.app import app

    click = _click_exceptions()
    env = env or Environment()
    if "_PRAHO_COMPLETE" in env.environ:
        from typer.completion import completion_init

        completion_init()
    launch = Launch(env)
    command = typer.main.get_command(app)
    redirect_out = contextlib.redirect_stdout(env.stdout) if env.stdout is not sys.stdout else contextlib.nullcontext()
    redirect_err = contextlib.redirect_stderr(env.stderr) if env.stderr is not sys.stderr else contextlib.nullcontext()
    with redirect_out, redirect_err:
        try:
            rv = _invoke(command, argv, launch)
            return rv if isinstance(rv, int) else 0
        except PrahoFailure as failure:
            if launch.app is not None and launch.app.debug:
                traceback.print_exc(file=env.stderr)
            _report(launch, failure.error)
            return failure.error.exit_code
        except click.Exit as exc:
            return int(exc.exit_code)
        except click.Abort:
            env.stderr.write("\ninterrupted\n")
            return 130
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                # `praho customers` alone: the help is the answer, but it is not data (stderr, exit 2).
                env.stderr.write(exc.format_message().rstrip() + "\n")
                return 2
            env.stderr.write(_usage_line(exc))
            return 2
        except click.ClickException as exc:
            env.stderr.write(f"error: {exc.format_message()}\n")
            return 2
        except KeyboardInterrupt:
            env.stderr.write("\ninterrupted\n")
            return 130
        except BrokenPipeError:
            _quiet_broken_pipe(env)
            return 0
        except Exception as exc:  # the last line of defence: a bug
            debug = launch.app is not None and launch.app.debug
            if debug:
                traceback.print_exc(file=env.stderr)
            message = f"unexpected internal error ({type(exc).__name__}); " + (
                "the traceback is above" if debug else "run again with --debug for the traceback")
            _report(launch, PrahoError(ErrorCode.INTERNAL, message))
            return 1
        finally:
            if launch.app is not None:
                launch.app.close()


def main() -> None:
    try:
        code = run(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe(Environment())
        code = 0
    sys.exit(code)
