"""A reader that closes the pipe early (`praho … | head`, `| true`) is not an error: exit 0, nothing on
stderr, in every format, on the SQLite fast path and on the engine's path (docs/exit-codes.md).

Real processes and real pipes, with output far larger than a pipe's buffer, so the pipe closes while
praho is still writing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import praho_popen

ROWS = 3000  # ~1 MB of invoices, ~600 kB of customers and audit events: many times a pipe's 64 kB


def _multiply(con: sqlite3.Connection, table: str, unique: dict[str, str]) -> None:
    """ROWS copies of the table's first row; `unique` gives the SQL of each unique column from `n`."""
    columns = [row[1] for row in con.execute(f"PRAGMA table_info({table})") if row[1] != "id"]
    values = [unique.get(c, c) for c in columns]
    con.execute(
        f"WITH RECURSIVE counter(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM counter WHERE n < {ROWS}) "
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM counter, (SELECT * FROM {table} ORDER BY id LIMIT 1)")


@pytest.fixture(scope="module")
def big_ledger(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from tests.conftest import FIXED_NOW, Cli

    home = tmp_path_factory.mktemp("pipe")
    path = home / "ledger.db"
    url = f"sqlite:///{path}"
    cli = Cli(home=home / "home", database_url=url, clock=lambda: FIXED_NOW, extra_env={})
    assert cli("db", "upgrade").exit_code == 0
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro").exit_code == 0
    made = cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json")
    assert made.exit_code == 0, made.stderr
    assert cli("invoices", "issue", made.json()["id"]).exit_code == 0
    con = sqlite3.connect(path)
    with con:
        _multiply(con, "customers", {"email": "'c' || n || '@acme.ro'"})
        _multiply(con, "billing_documents", {"number": "n", "number_text": "'INV2026-' || n"})
        _multiply(con, "audit_events", {"seq": "(SELECT max(seq) FROM audit_events) + n"})
    con.close()
    return cli.env()


LISTS = [
    *[("invoices", "list", "-o", fmt) for fmt in ("json", "jsonl", "csv", "tsv", "table")],
    ("invoices", "list", "-o", "jsonl", "--fields", "id,number"),  # a projection of the rows
    *[("customers", "list", "-o", fmt) for fmt in ("json", "jsonl", "csv", "tsv", "table")],
    *[("audit", "list", "--limit", str(ROWS), "-o", fmt) for fmt in ("json", "jsonl", "csv", "tsv", "table")],
]


@pytest.mark.parametrize("args", LISTS, ids=lambda a: "-".join(a))
def test_reader_closing_the_pipe_mid_write_exits_0_quietly(big_ledger, args):
    proc = praho_popen(list(args), {**big_ledger, "COLUMNS": "200"})
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(100)
    proc.stdout.close()  # praho has far more to write: its next write meets a closed pipe
    stderr = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert first
    assert (code, stderr) == (0, "")


@pytest.mark.parametrize(("args", "reader"), [
    ("invoices list -o jsonl", "head -2"),
    ("customers list -o json", "true"),
    ("audit list --limit 3000 -o tsv", "head -1"),
])
def test_shell_pipelines_exit_0_with_nothing_on_stderr(big_ledger, args, reader, tmp_path: Path):
    err = tmp_path / "err"
    script = f"'{sys.executable}' -m praho_cli {args} 2> '{err}' | {reader} > /dev/null; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", script], env=big_ledger, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout == "0\n"
    assert err.read_text() == ""
