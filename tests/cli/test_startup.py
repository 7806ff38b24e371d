"""Start-up stays light: help, version and completion import none of the heavy libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# pydantic is not here: typer >= 0.29 itself coerces parameter values with it.
HEAVY = ("sqlalchemy", "sqlmodel", "httpx", "paramiko", "rich", "alembic", "psycopg")

PROBE = """
import json, sys
from praho_cli.cli.main import run
try:
    code = run(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(%r)))
sys.stderr.write('\\nHEAVY=' + json.dumps(heavy) + '\\n')
"""


def loaded_heavy(args, extra_env=None):
    env = {**os.environ, **(extra_env or {})}
    done = subprocess.run([sys.executable, "-c", PROBE % json.dumps(HEAVY), *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    marker = [line for line in done.stderr.splitlines() if line.startswith("HEAVY=")]
    assert marker, done.stderr
    return json.loads(marker[-1][6:]), done


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["customers", "--help"], ["help", "exit-codes"]])
def test_light_commands_import_nothing_heavy(args):
    heavy, _done = loaded_heavy(args)
    assert heavy == [], f"{args} imported {heavy}"


def test_completion_is_light():
    heavy, done = loaded_heavy([], {"_PRAHO_COMPLETE": "complete_bash", "COMP_WORDS": "praho cust",
                                    "COMP_CWORD": "1"})
    assert "customers" in done.stdout
    assert heavy == []


def test_version_and_module_entry_point():
    from praho_cli import __version__

    done = subprocess.run([sys.executable, "-m", "praho_cli", "--version"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, f"praho {__version__}\n")


def test_broken_pipe_is_quiet(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    done = subprocess.run(f"'{sys.executable}' -m praho_cli help exit-codes -o jsonl | head -1", shell=True,
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_every_command_has_help_with_an_example():
    import typer

    from praho_cli.cli.app import app

    root = typer.main.get_command(app)
    missing = []

    def walk(cmd, ctx, path):
        names = cmd.list_commands(ctx) if hasattr(cmd, "list_commands") else []
        if names:
            for name in names:
                walk(cmd.get_command(ctx, name), ctx, [*path, name])
        elif "Example:" not in (cmd.help or ""):
            missing.append(" ".join(path))

    walk(root, None, ["praho"])
    assert missing == []
