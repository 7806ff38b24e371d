"""praho cron run|status|runs|install"""

from __future__ import annotations

import json as jsonlib
from typing import Annotated, Any

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Scheduled work for crontab: checks, overdue invoices, dunning, drift; locked and recorded.",
                  no_args_is_help=True)


def _ping(app_: Any, url: str, suffix: str) -> None:
    """healthchecks.io style: URL/start, then URL/<exit status>. A failed ping never fails the run."""
    import httpx

    target = url.rstrip("/") + "/" + suffix
    timeout = float(app_.settings.get("cron.ping_timeout_seconds") or 10.0)
    try:
        response = httpx.get(target, timeout=timeout, follow_redirects=True)
        if response.status_code >= 400:
            app_.messages.warning(f"ping {suffix} answered HTTP {response.status_code}", event="cron.ping_failed")
    except httpx.HTTPError as exc:
        app_.messages.warning(f"ping {suffix} failed: {type(exc).__name__}", event="cron.ping_failed")


@app.command("run")
def run(
    ctx: typer.Context,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only this task (repeatable): servers-check, "
                                                   "jobs-resume, invoices-overdue, dunning, drift-scan.")] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Skip this task (repeatable).")] = None,
    wait: o.Wait = 0,
    ping_url: Annotated[str | None, typer.Option("--ping-url", help="Healthchecks-style URL: URL/start at the "
                                                 "start, URL/<exit status> at the end (cron.ping_url).")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Run the scheduled tasks in order, each in isolation; exit 0 when all succeeded, 6 when any failed.

    Example: praho --no-input --log-format json cron run --ping-url https://hc-ping.com/UUID
    """
    from praho_cli.cli.commands.servers import client_provider
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services import cron

    app_ = o.app_of(ctx)
    out = app_.renderer(cron.TASK_RUN, output, fields, json)
    tasks = cron.select_tasks(only or [], skip or []).unwrap()
    url = ping_url or str(app_.settings.get("cron.ping_url") or "")
    stderr = app_.env.stderr

    def notify(payload: dict[str, Any]) -> None:
        # The reminder is an event for whoever reads the cron log: one JSON line, whatever --log-format.
        stderr.write(jsonlib.dumps({"run_id": app_.run_id, **payload}, ensure_ascii=False) + "\n")
        stderr.flush()

    hooks = cron.CronHooks(clients=client_provider(app_), notify=notify,
                           on_start=(lambda: _ping(app_, url, "start")) if url else None)
    db = app_.database()
    try:
        report = cron.run_cron(db, app_.service_context(), hooks, tasks, wait_seconds=wait,
                               lock_ttl_seconds=int(app_.settings.get("lock_ttl_seconds"))).unwrap()
    except PrahoFailure as failure:
        if url and failure.error.code is not ErrorCode.LOCKED:
            _ping(app_, url, str(failure.error.exit_code))
        raise
    for run_id in report.interrupted:
        app_.messages.warning(f"run {run_id} did not finish (killed or crashed); recorded as interrupted",
                              event="cron.interrupted", interrupted_run=run_id)
    out.many(report.tasks)
    if url:
        _ping(app_, url, str(report.exit_code))
    for row in report.tasks:
        if row["status"] != "succeeded":
            app_.messages.error(f"task {row['task']} failed: {row['error']}", event="cron.task_failed",
                                task=row["task"])
    if report.failed:
        raise PrahoFailure.of(ErrorCode.PARTIAL, f"{len(report.failed)} of {len(report.tasks)} task(s) failed: "
                              f"{', '.join(report.failed)}")
    app_.messages.success(f"cron run {report.run_id}: {len(report.tasks)} task(s) succeeded", event="cron.done")


@app.command("status")
def status(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Each task's last run and last success; exit 7 when one has not succeeded within cron.max_age_hours.

    Example: praho cron status -o json
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services import cron

    app_ = o.app_of(ctx)
    out = app_.renderer(cron.TASK_STATUS, output, fields, json)
    sctx = app_.service_context()
    with app_.reading() as session:
        rows = cron.task_status(session, sctx).unwrap()
        last = cron.list_runs(session, 1).unwrap()
    out.many(rows)
    if last:
        app_.messages.info(f"last run {last[0]['run_id']}: {last[0]['status']} (started {last[0]['started_at']})",
                           event="cron.last_run", status=last[0]["status"])
    stale = [r["task"] for r in rows if r["stale"]]
    if stale:
        hours = app_.settings.get("cron.max_age_hours")
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"no success within {hours} h: {', '.join(stale)}")


@app.command("runs")
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="How many of the latest runs.", min=1)] = 20,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List the latest cron runs, newest first.

    Example: praho cron runs --limit 5 -o json
    """
    from praho_cli.services import cron

    app_ = o.app_of(ctx)
    out = app_.renderer(cron.RUN, output, fields, json)
    with app_.reading() as session:
        out.many(cron.list_runs(session, limit).unwrap())


@app.command("install")
def install(
    ctx: typer.Context,
    print_: Annotated[bool, typer.Option("--print", help="Print the crontab line instead of installing it.")] = False,
    schedule: Annotated[str, typer.Option("--schedule", help="Cron schedule (five fields).")] = "*/15 * * * *",
    log_file: Annotated[str | None, typer.Option("--log-file", help="Where cron appends the JSON-lines log "
                                                 "(default: $XDG_STATE_HOME/praho/cron.log).")] = None,
) -> None:
    """Print or install (for the current user) the crontab line that runs praho cron run.

    Example: praho --profile prod cron install --print
    """
    import shutil
    import sys
    from pathlib import Path

    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services import cron

    app_ = o.app_of(ctx)
    if len(schedule.split()) != 5:
        raise PrahoFailure.of(ErrorCode.INVALID, f"--schedule: {schedule!r} must have five fields, like '*/15 * * * *'")
    environ = app_.environ()
    found = shutil.which("praho", path=environ.get("PATH"))
    praho = [found] if found else [sys.executable, "-m", "praho_cli"]
    profile = app_.profile_flag or environ.get("PRAHO_PROFILE") or None
    config = app_.config_flag or environ.get("PRAHO_CONFIG") or None
    if config:
        config = str(Path(config).expanduser().resolve())
    state_home = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME", "~")) / ".local" / "state")
    log = log_file or str(Path(state_home) / "praho" / "cron.log")
    line = cron.crontab_line(praho, schedule, profile, config, log)
    if print_:
        app_.env.stdout.write(line + "\n")
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    done = cron.install_crontab(line, environ.get("PRAHO_CRONTAB", "crontab")).unwrap()
    app_.env.stdout.write(line + "\n")
    app_.messages.success(f"crontab line {done} (see crontab -l)", event="cron.installed")
