"""praho drift scan|list|show|resolve"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Drift: where Virtualmin differs from the ledger, and how to settle it.",
                  no_args_is_help=True)

Kind = Annotated[str | None, typer.Option("--kind", help="missing_in_virtualmin, missing_in_ledger, status_mismatch, "
                                          "plan_mismatch, owner_mismatch, server_mismatch or unreachable.")]


def scan_progress(app_: Any, total: int) -> tuple[Any, Any]:
    """A Rich bar on a terminal, JSON-lines progress with --log-format json, else nothing."""
    if app_.streams.interactive and total > 1:
        from rich.console import Console
        from rich.progress import Progress

        bar = Progress(console=Console(file=app_.env.stderr, force_terminal=True), transient=True)
        task = bar.add_task("Reading servers", total=total)
        bar.start()
        return bar, (lambda _server, _done, _total: bar.advance(task))
    if app_.streams.log_json:
        def log(server: str, done: int, total_: int) -> None:
            app_.messages.info(f"read {server} ({done}/{total_})", event="drift.progress", server=server,
                               done=done, total=total_)
        return None, log
    return None, None


def server_count(app_: Any, names: list[str]) -> int:
    if names:
        return len(names)
    from praho_cli.ledger import servers as server_repo

    with app_.reading() as session:
        return sum(1 for _ in server_repo.iter_servers(session))


@app.command("scan")
def scan(
    ctx: typer.Context,
    server: Annotated[list[str] | None, typer.Option("--server", help="Scan only this server (repeatable).")] = None,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 7 when drift exists, 69 when a server "
                                            "could not be read (0: none).")] = False,
    parallel: Annotated[int | None, typer.Option("--parallel", help="Servers read at once (drift.parallel).",
                                                 min=1)] = None,
    wait: o.Wait = 0,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Read every server's domains in parallel, compare them with the ledger and record the drift.

    Example: praho drift scan --exit-code -o json
    """
    from praho_cli.cli.commands.servers import client_provider
    from praho_cli.ledger import locks
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.drift import records as drift_records
    from praho_cli.services.drift import scan as drift_scan

    app_ = o.app_of(ctx)
    out = app_.renderer(drift_records.DRIFT, output, fields, json)
    db = app_.database()
    sctx = app_.service_context()
    names = server or []
    bar, progress = scan_progress(app_, server_count(app_, names))
    try:
        with locks.acquire(db, "drift-scan", app_.run_id, ttl_seconds=int(app_.settings.get("lock_ttl_seconds")),
                           wait_seconds=wait, clock=app_.now):
            report = drift_scan.scan(db, sctx, client_provider(app_), names, progress, parallel).unwrap()
    finally:
        if bar is not None:
            bar.stop()
    out.many(report.drifts)
    for name in report.unreachable:
        app_.messages.warning(f"server {name} could not be read: its domains were not compared",
                              event="drift.unreachable", server=name)
    found = len(report.drifts)
    app_.messages.success(f"Scanned {report.servers} server(s): {found} drift(s), {report.new} new, "
                          f"{report.closed} closed", event="drift.scanned", found=found, new=report.new,
                          closed=report.closed, unreachable=len(report.unreachable))
    if exit_code and report.unreachable:
        raise PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, f"{len(report.unreachable)} server(s) could not be "
                              f"read: {', '.join(report.unreachable)}")
    if exit_code and found:
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"{found} drift(s) found (see praho drift list)")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="open (pending or ignored), pending, resolved "
                                               "or ignored (default: pending).")] = "pending",
    kind: Kind = None,
    server: Annotated[str | None, typer.Option("--server", help="Only this server.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List drift records (pending by default; --status resolved for history).

    Example: praho drift list --kind status_mismatch -o json
    """
    from praho_cli.services.drift import records as drift_records

    app_ = o.app_of(ctx)
    out = app_.renderer(drift_records.DRIFT, output, fields, json)
    with app_.reading() as session:
        out.many(drift_records.list_records(session, status, kind, server.lower() if server else None).unwrap())


@app.command("show")
def show(ctx: typer.Context, record: Annotated[str, typer.Argument(help="Drift record id.")],
         output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Show one drift record with both states.

    Example: praho drift show 12 --json
    """
    from praho_cli.services.drift import records as drift_records

    app_ = o.app_of(ctx)
    out = app_.renderer(drift_records.DRIFT, output, fields, json)
    with app_.reading() as session:
        out.one(drift_records.show_record(session, record).unwrap())


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(help="Drift record ids.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every pending record (with --kind: of that kind).")] = False,
    kind: Kind = None,
    push: Annotated[bool, typer.Option("--push", help="Make Virtualmin match the ledger.")] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="Record Virtualmin's state in the ledger.")] = False,
    ignore: Annotated[bool, typer.Option("--ignore", help="Mark as ignored (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is ignored.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Owner of an adopted unknown domain "
                                                 "(id or e-mail).")] = None,
    recreate: Annotated[bool, typer.Option("--recreate", help="With --push: re-create a domain missing in "
                                           "Virtualmin (empty, with a new random password).")] = False,
    dry_run: o.DryRun = False, yes: o.Yes = False,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Resolve drift: --push (Virtualmin follows the ledger), --adopt (the ledger follows Virtualmin) or --ignore.

    Example: praho drift resolve --all --kind status_mismatch --push --yes
    """
    from praho_cli.cli.commands.servers import client_provider
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.drift import plan as drift_plan
    from praho_cli.services.drift import records as drift_records
    from praho_cli.services.drift import resolve as drift_resolve

    app_ = o.app_of(ctx)
    out = app_.renderer(drift_records.RESOLUTION, output, fields, json)
    chosen = [name for name, flag in (("push", push), ("adopt", adopt), ("ignore", ignore)) if flag]
    if len(chosen) != 1:
        raise PrahoFailure.of(ErrorCode.INVALID, "give exactly one of --push, --adopt or --ignore --reason R")
    req = drift_plan.ResolveRequest(ids=tuple(ids or ()), all_=all_, kind=kind, action=chosen[0], reason=reason,
                               customer=customer, recreate=recreate, dry_run=dry_run)
    if not dry_run and chosen[0] != "ignore":
        target = "all pending drift" + (f" of kind {kind}" if kind else "") if all_ else f"drift {', '.join(ids or [])}"
        app_.confirm(f"{chosen[0].capitalize()} {target}?", yes)
    rows = drift_resolve.resolve(app_.database(), app_.service_context(), client_provider(app_), req).unwrap()
    out.many(rows)
    bad = [r for r in rows if r["outcome"] in ("refused", "failed")]
    if dry_run:
        app_.messages.info(f"Dry run: {len(rows) - len(bad)} would be resolved, {len(bad)} could not be; nothing "
                           "was changed", event="drift.plan")
        return
    if bad:
        raise PrahoFailure.of(ErrorCode.PARTIAL, f"{len(bad)} of {len(rows)} drift record(s) not resolved: "
                              + "; ".join(f"{r['id']}: {r['detail']}" for r in bad[:5]))
    app_.messages.success(f"Resolved {len(rows)} drift record(s) ({chosen[0]})", event="drift.resolved")
