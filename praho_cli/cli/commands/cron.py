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
    from praho_cli.services.cron import records as cron_records
    from praho_cli.services.cron import runner as cron_runner

    app_ = o.app_of(ctx)
    out = app_.renderer(cron_records.TASK_RUN, output, fields, json)
    tasks = cron_runner.select_tasks(only or [], skip or []).unwrap()
    url = ping_url or str(app_.settings.get("cron.ping_url") or "")
    stderr = app_.env.stderr

    def notify(payload: dict[str, Any]) -> None:
        # The reminder is an event for whoever reads the cron log: one JSON line, whatever --log-format.
        stderr.write(jsonlib.dumps({"run_id": app_.run_id, **payload}, ensure_ascii=False) + "\n")
        stderr.flush()

    hooks = cron_runner.CronHooks(clients=client_provider(app_), notify=notify,
                           on_start=(lambda: _ping(app_, url, "start")) if url else None)
    db = app_.database()
    try:
        report = cron_runner.run_cron(db, app_.service_context(), hooks, tasks, wait_seconds=wait,
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

    Before cron's first run (a fresh install) nothing is stale: exit 0.

    Example: praho cron status -o json
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.cron import records as cron_records
    from praho_cli.services.cron import status as cron_status

    app_ = o.app_of(ctx)
    out = app_.renderer(cron_records.TASK_STATUS, output, fields, json)
    sctx = app_.service_context()
    with app_.reading() as session:
        rows = cron_status.task_status(session, sctx).unwrap()
        last = cron_status.list_runs(session, 1).unwrap()
    out.many(rows)
    if last:
        app_.messages.info(f"last run {last[0]['run_id']}: {last[0]['status']} (started {last[0]['started_at']})",
                           event="cron.last_run", status=last[0]["status"])
    else:
        app_.messages.info("cron has not run yet (praho cron install adds it to crontab)", event="cron.never_run")
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
    from praho_cli.services.cron import records as cron_records
    from praho_cli.services.cron import status as cron_status

    app_ = o.app_of(ctx)
    out = app_.renderer(cron_records.RUN, output, fields, json)
    with app_.reading() as session:
        out.many(cron_status.list_runs(session, limit).unwrap())


@app.command("install")
def install(
    ctx: typer.Context,
    print_: Annotated[bool, typer.Option("--print", help="Print the crontab line instead of installing it (the "
                      "log file is still created, mode 0600).")] = False,
    schedule: Annotated[str, typer.Option("--schedule", help="Cron schedule (five fields).")] = "*/15 * * * *",
    log_file: Annotated[str | None, typer.Option("--log-file", help="Where cron appends the JSON-lines log "
                                                 "(default: $XDG_STATE_HOME/praho/cron.log).")] = None,
) -> None:
    """Print or install (for the current user) the crontab line that runs praho cron run.

    The line works in cron's bare environment: praho's absolute path, the config file (absolute) and
    profile in use now, XDG_DATA_HOME and XDG_STATE_HOME as they are now (so the same default ledger,
    known_hosts and log), and a log under the state directory. PRAHO_* settings that only this shell's
    environment holds are named in a warning: cron will not have them.

    Example: praho --profile prod cron install --print
    """
    import os
    import shutil
    import sys
    from pathlib import Path

    from praho_cli.config.settings import default_data_dir
    from praho_cli.private_files import ensure_private_file
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.cron import crontab as cron_crontab

    app_ = o.app_of(ctx)
    if len(schedule.split()) != 5:
        raise PrahoFailure.of(ErrorCode.INVALID, f"--schedule: {schedule!r} must have five fields, like '*/15 * * * *'")
    environ = app_.environ()
    settings = app_.settings
    found = shutil.which("praho", path=environ.get("PATH"))
    # abspath, not resolve(): a virtualenv's bin/python is a link that must stay as it is.
    praho = [os.path.abspath(found)] if found else [os.path.abspath(sys.executable), "-m", "praho_cli"]
    profile = settings.profile
    config = os.path.abspath(settings.path) if settings.file_exists else None
    home = Path(environ.get("HOME") or Path.home())
    state_home = Path(environ.get("XDG_STATE_HOME") or home / ".local" / "state").absolute()
    pinned = {"XDG_DATA_HOME": str(default_data_dir(environ).parent.absolute()), "XDG_STATE_HOME": str(state_home)}
    log = os.path.abspath(log_file) if log_file else str(state_home / "praho" / "cron.log")
    line = cron_crontab.crontab_line(praho, schedule, profile, config, log, pinned)
    shell_only = sorted(name for name in environ if name.startswith("PRAHO_") and name not in CRON_IGNORES)
    if shell_only:
        app_.messages.warning(f"cron will not see {', '.join(shell_only)} (set only in this shell): put them in "
                              f"{config or 'the config file'} (secrets as *_file or *_command)", event="cron.env")
    # Printed or installed, the line needs the log's directory (cron's `>>` does not create it), and
    # the log is private from the start (cron's `>>` would create it with cron's umask).
    ensure_private_file(log)
    if print_:
        app_.env.stdout.write(line + "\n")
        return
    done = cron_crontab.install_crontab(line, environ.get("PRAHO_CRONTAB", "crontab")).unwrap()
    app_.env.stdout.write(line + "\n")
    app_.messages.success(f"crontab line {done} (see crontab -l)", event="cron.installed")


# Variables that describe this invocation, not settings cron's run needs.
CRON_IGNORES = frozenset({"PRAHO_CONFIG", "PRAHO_PROFILE", "PRAHO_CRONTAB", "PRAHO_OUTPUT", "PRAHO_NO_INPUT",
                          "PRAHO_NOW"})
