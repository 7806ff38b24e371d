"""praho demo"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Try praho: a throwaway ledger and simulated Virtualmin servers.\n\nExample: praho demo -o json",
                  no_args_is_help=False,
                  invoke_without_command=True)


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    keep: Annotated[str | None, typer.Option("--keep", help="Keep the demo ledger and simulator state in this "
                    "directory (default: a temporary directory, removed at the end).", metavar="DIR")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Register two simulated servers, provision accounts with placement, suspend one, bill and pay.

    Example: praho demo -o json
    """
    import tempfile
    from pathlib import Path

    from praho_cli.services import demo as service

    app_ = o.app_of(ctx)
    out = app_.renderer(service.DEMO_STEP, output, fields, json)
    sctx = app_.service_context()
    # Each step is shown once: live on stderr while the data goes elsewhere (a file, a pipe), or in
    # the table at the end when stdout is this terminal.
    table_here = out.format == "table" and bool(app_.env.stdout_isatty)
    note = app_.messages.info if app_.streams.interactive and not table_here else (lambda _m: None)
    if table_here and app_.streams.interactive:
        app_.messages.info("Running the demo (a few seconds)…")
    if keep:
        workdir = Path(keep)
        workdir.mkdir(parents=True, exist_ok=True)
        steps = service.run_demo(workdir, sctx, note).unwrap()
    else:
        with tempfile.TemporaryDirectory(prefix="praho-demo-") as tmp:
            steps = service.run_demo(Path(tmp), sctx, note).unwrap()
    out.many(steps)
    app_.messages.success(f"Demo finished: {len(steps)} steps", event="demo.done")
