"""`invoices list` / `proformas list` as JSON: SQLite's JSON fast path and the general path agree byte for byte.

On a plain SQLite ledger, json and jsonl rows are encoded by SQLite (praho_cli.ledger.documents_json)
and read through the standard library (praho_cli.ledger.direct); every other format, and every
PostgreSQL ledger, renders the service's rows in Python. Both must write the same bytes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from praho_cli.ledger import direct
from praho_cli.output.render import COMPACT
from tests.conftest import table_dump

ACME = ["customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro", "--cui", "RO18547290"]
BETA_DE = ["customers", "add", "--name", "Beta GmbH", "--email", "b@beta.de", "--country", "DE",
           "--vat-number", "DE136695976", "--currency", "EUR"]
# Names no form would accept, but a ledger may hold (adopted, imported, older praho): every JSON escape.
TRICKY = 'Quote " back\\slash\ttab\nnewline\r\x01\x08\x0c\x1f\x7f ăîșțâ ß € 😀 \u2028 </script>'

CASES = [
    (),
    ("--status", "issued"),
    ("--status", "draft"),
    ("--customer", "2"),
    ("--customer", " B@BETA.DE "),
    ("--series", "INV"),
    ("--currency", "eur"),
    ("--issued-from", "2026-11-26", "--issued-to", "2026-11-26"),
    ("--due-from", "2026-12-01", "--due-to", "2026-12-31"),
    ("--overdue",),
    ("--fields", "balance_cents,id,customer_name"),
    ("--status", "cancelled", "--fields", "number"),
]


def _ledger(cli) -> None:
    assert cli(*ACME).exit_code == 0 and cli(*BETA_DE).exit_code == 0
    assert cli("fx", "set", "EUR", "4.9750", "--date", "2026-11-01").exit_code == 0
    docs = [("1", "A|1|10"), ("2", "B|2|3.33"), ("1", "C|1|100"), ("1", "D|1|1")]
    for customer, line in docs:
        r = cli("invoices", "create", "--customer", customer, "--due-days", "5", "--line", line, "-o", "json")
        assert r.exit_code == 0, r.stderr
        assert cli("invoices", "issue", r.json()["id"]).exit_code == 0
    assert cli("payments", "record", "--invoice", "INV2026-000003", "--amount", "121").exit_code == 0
    assert cli("payments", "record", "--invoice", "INV2026-000001", "--amount", "1").exit_code == 0
    assert cli("invoices", "cancel", "INV2026-000004", "--reason", "Wrong", "--yes").exit_code == 0
    assert cli("invoices", "create", "--customer", "1", "--line", "Draft|1|1").exit_code == 0
    pro = cli("proformas", "create", "--customer", "2", "--line", "Pro|1|50", "-o", "json")
    assert pro.exit_code == 0 and cli("proformas", "issue", pro.json()["id"]).exit_code == 0
    engine = create_engine(cli.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customers SET name = :n WHERE id = 2"), {"n": TRICKY})
    engine.dispose()


def _general(cli, monkeypatch, *args: str) -> str:
    """The same command with the fast path unavailable."""
    with monkeypatch.context() as patch:
        patch.setattr(direct, "open_reader", lambda *_a, **_k: None)
        r = cli(*args)
    assert r.exit_code == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_fast_path_writes_the_general_paths_bytes(cli, monkeypatch, fmt):
    _ledger(cli)
    cli.clock = lambda: datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    for noun in ("invoices", "proformas"):
        for case in CASES:
            args = (noun, "list", *case, "-o", fmt)
            fast = cli(*args)
            assert fast.exit_code == 0, fast.stderr
            assert fast.stdout == _general(cli, monkeypatch, *args), args
    everything = cli("invoices", "list", "-o", "jsonl").jsonl()
    assert [d["number"] for d in everything] == [
        "INV2026-000001", "INV2026-000002", "INV2026-000003", "INV2026-000004", None]
    assert [d["status"] for d in everything] == ["partially_paid", "issued", "paid", "cancelled", "draft"]
    assert everything[1]["customer_name"] == TRICKY and everything[1]["vat_ron_cents"] is not None
    assert [d["balance_cents"] for d in everything] == [1110, 666, 0, 0, 0]  # Beta: reverse charge, no VAT


def test_json_rows_are_compact_and_keep_the_record_order(cli):
    _ledger(cli)
    line = cli("invoices", "list", "--status", "paid", "-o", "jsonl").stdout
    assert line == (
        '{"id":"3","kind":"invoice","number":"INV2026-000003","series":"INV","status":"paid","customer_id":"1",'
        '"customer_name":"Acme SRL","currency":"RON","tax_point":"2026-11-26","issue_date":"2026-11-26",'
        '"due_date":"2026-12-01","net_cents":10000,"vat_cents":2100,"total_cents":12100,"paid_cents":12100,'
        '"balance_cents":0,"vat_regime":"domestic","vat_ron_cents":null}\n')
    assert cli("invoices", "list", "--status", "lost", "-o", "json").exit_code == 2
    missing = cli("invoices", "list", "--customer", "nobody@x.ro", "-o", "jsonl")
    assert (missing.exit_code, missing.stdout) == (4, "")
    assert "no customer 'nobody@x.ro'" in missing.stderr


def test_sqlite_escapes_every_string_as_python_does(tmp_path):
    con = sqlite3.connect(tmp_path / "x.db")
    samples = [chr(c) for c in range(0, 0x80)] + [TRICKY, "", "ţ", "\U0001f600", "\ufeff", "\u2029"]
    for value in samples:
        (encoded,) = con.execute("SELECT json_object('k', ?)", (value,)).fetchone()
        assert encoded == json.dumps({"k": value}, ensure_ascii=False, separators=COMPACT), repr(value)
    con.close()


def test_reader_cannot_write_and_only_takes_plain_existing_files(cli, tmp_path):
    path = Path(cli.database_url.removeprefix("sqlite:///"))
    assert direct.sqlite_file(f"sqlite:///{path}") == path
    for url in (f"sqlite:///{tmp_path / 'absent.db'}", "sqlite:///:memory:", f"sqlite:///{path}?timeout=5",
                "postgresql+psycopg://u@h/db", "sqlite://"):
        assert direct.sqlite_file(url) is None, url
    before = table_dump(cli.database_url)
    with direct.open_reader(cli.database_url) as reader:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader._conn.execute("DELETE FROM customers")
    assert table_dump(cli.database_url) == before


def test_fast_path_guards_the_schema_like_the_engine(cli, tmp_path):
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).close()
    cli.database_url = f"sqlite:///{blank}"
    r = cli("invoices", "list", "-o", "jsonl")
    assert (r.exit_code, r.stdout) == (78, "")
    assert "has no schema yet; run `praho init`" in r.stderr
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    con.execute("INSERT INTO alembic_version VALUES ('9999')")
    con.commit()
    con.close()
    cli.database_url = f"sqlite:///{newer}"
    r = cli("invoices", "list", "-o", "json")
    assert r.exit_code == 78 and "this praho is older than the ledger" in r.stderr


def test_json_list_on_sqlite_never_imports_the_orm(cli):
    _ledger(cli)
    env = {**os.environ, **cli.env(), "PRAHO_DATABASE_URL": cli.database_url}
    probe = ("import sys, runpy; sys.argv = ['praho'] + sys.argv[1:]\n"
             "try:\n    runpy.run_module('praho_cli', run_name='__main__')\n"
             "except SystemExit as e:\n    code = e.code\n"
             "heavy = sorted(m for m in ('sqlalchemy', 'sqlmodel', 'praho_cli.ledger.models') if m in sys.modules)\n"
             "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n'); sys.exit(code)")

    def heavy(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr.rsplit("HEAVY=", 1)[1].strip()

    assert heavy("invoices", "list", "-o", "jsonl") == ""
    assert heavy("proformas", "list", "--json") == ""
    assert heavy("invoices", "list", "-o", "tsv") == "praho_cli.ledger.models,sqlalchemy,sqlmodel"
