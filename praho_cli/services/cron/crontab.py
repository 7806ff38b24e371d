"""Cron's line in the user's crontab: building it and installing it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from praho_cli.result import ErrorCode, fail, returns_result

MARKER = "# praho cron run"


def crontab_line(praho: Sequence[str], schedule: str, profile: str | None, config: str | None,
                 log_file: str, environment: Mapping[str, str] | None = None) -> str:
    """The crontab line: ``environment`` (assignments cron's bare environment lacks, never secrets),
    then praho's absolute command, the config file and profile it was installed with, and the log."""
    import shlex

    args = [*praho]
    if config:
        args += ["--config", config]
    if profile:
        args += ["--profile", profile]
    args += ["--no-input", "--log-format", "json", "cron", "run"]
    assignments = "".join(f"{name}={shlex.quote(value)} " for name, value in (environment or {}).items())
    return f"{schedule} {assignments}{shlex.join(args)} >>{shlex.quote(log_file)} 2>&1 {MARKER}"


@returns_result
def install_crontab(line: str, crontab: str = "crontab") -> str:
    """Add (or replace) praho's line in the current user's crontab; other lines stay as they are."""
    import subprocess

    try:
        current = subprocess.run([crontab, "-l"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        raise fail(ErrorCode.CONFIG,
                   f"{crontab} is not installed; add the line by hand (praho cron install --print)") from None
    existing = current.stdout if current.returncode == 0 else ""  # "no crontab for USER" exits 1
    kept = [ln for ln in existing.splitlines() if not ln.rstrip().endswith(MARKER)]
    new = "\n".join([*kept, line]) + "\n"
    written = subprocess.run([crontab, "-"], input=new, capture_output=True, text=True, timeout=30, check=False)
    if written.returncode != 0:
        raise fail(ErrorCode.CONFIG, f"{crontab} refused the new table: {written.stderr.strip()[:200]}")
    return "replaced" if len(kept) != len(existing.splitlines()) else "added"
