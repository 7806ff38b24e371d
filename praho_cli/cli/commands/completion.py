"""praho completion bash|zsh|fish"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Shell completion scripts.", no_args_is_help=True)


def script(shell: str) -> str:
    """The completion script for a shell; completions/ in the repository holds these, generated."""
    from click.shell_completion import get_completion_class

    from praho_cli.cli.app import app as root

    cls = get_completion_class(shell)
    if cls is None:
        from praho_cli.result import ErrorCode, PrahoFailure

        raise PrahoFailure.of(ErrorCode.INVALID, f"no completion for {shell!r}; choose bash, zsh or fish")
    command = typer.main.get_command(root)
    return cls(command, {}, "praho", "_PRAHO_COMPLETE").source()


@app.command("show")
def show(ctx: typer.Context, shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")]) -> None:
    """Print the completion script for SHELL.

    Example: praho completion show bash > ~/.local/share/bash-completion/completions/praho
    """
    o.app_of(ctx).env.stdout.write(script(shell))
