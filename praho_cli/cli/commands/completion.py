"""praho completion bash|zsh|fish"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Shell completion scripts.", no_args_is_help=True)


def script(shell: str) -> str:
    """The completion script for a shell; completions/ in the repository holds these, generated."""
    from typer.completion import get_completion_script

    from praho_cli.result import ErrorCode, PrahoFailure

    if shell not in ("bash", "zsh", "fish"):
        raise PrahoFailure.of(ErrorCode.INVALID, f"no completion for {shell!r}; choose bash, zsh or fish")
    # The scripts call praho back with _PRAHO_COMPLETE set; main.py answers without touching the ledger.
    return get_completion_script(prog_name="praho", complete_var="_PRAHO_COMPLETE", shell=shell) + "\n"


@app.command("show")
def show(ctx: typer.Context, shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")]) -> None:
    """Print the completion script for SHELL.

    Example: praho completion show bash > ~/.local/share/bash-completion/completions/praho
    """
    o.app_of(ctx).env.stdout.write(script(shell))
