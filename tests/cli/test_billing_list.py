"""`invoices list` / `proformas list`: one query for every output format, on both backends."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

ACME = ["customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro", "--cui", "RO18547290"]
BETA_DE = ["customers", "add", "--name", "Beta GmbH", "--email", "b@beta.de", "--country", "DE",
           "--vat-number", "DE136695976", "--currency", "EUR"]
# Names no form would accept, but a ledger may hold (adopted, imported, older praho): every JSON escape.
TRICKY = 'Quote " back\\slash\ttab\nnewline\r\x01\x08\x0c\x1f\x7f ăîșțâ ß € 😀 \u2028 </script>'

# Each filter, and the ids it lists: invoices 1-4 and the draft 6 (5 is the credit note cancelling 4), proforma 7.
ALL = ["1", "2", "3", "4", "6"]
CASES = [
    ((), ALL, ["7"]),
    (("--status", "issued"), ["2"], ["7"]),
    (("--status", "draft"), ["6"], []),
    (("--customer", "2"), ["2"], ["7"]),
    (("--customer", " B@BETA.DE "), ["2"], ["7"]),
    (("--series", "INV"), ALL, []),
    (("--currency", "eur"), ["2"], ["7"]),
    (("--issued-from", "2026-11-26", "--issued-to", "2026-11-26"), ["1", "2", "3", "4"], ["7"]),
    (("--issued-from", "2026-11-27"), [], []),
    (("--due-from", "2026-12-01", "--due-to", "2026-12-31"), ["1", "2", "3", "4"], ["7"]),
    (("--due-to", "2026-11-30"), [], []),
    (("--overdue",), ["1", "2"], []),
    (("--status", "cancelled", "--customer", "1"), ["4"], []),
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


def _cell(value) -> str:
    return "" if value is None else str(value)


def test_every_format_lists_the_same_documents_on_each_backend(cli_any):
    cli = cli_any
    _ledger(cli)
    cli.clock = lambda: datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    for case, invoices, proformas in CASES:
        for noun, ids in (("invoices", invoices), ("proformas", proformas)):
            args = (noun, "list", *case)
            rows = cli(*args, "-o", "jsonl").jsonl()
            assert [r["id"] for r in rows] == ids, args
            assert cli(*args, "-o", "json").json() == rows, args
            written = cli(*args, "-o", "csv").stdout
            assert list(csv.reader(io.StringIO(written, newline=""))) == (
                [list(rows[0])] + [[_cell(v) for v in r.values()] for r in rows] if rows else [list(_FIELDS)]), args
            picked = cli(*args, "--fields", "balance_cents,id,customer_name", "-o", "jsonl").jsonl()
            assert picked == [{k: r[k] for k in ("balance_cents", "id", "customer_name")} for r in rows], args
    everything = cli("invoices", "list", "-o", "jsonl").jsonl()
    assert [d["number"] for d in everything] == [
        "INV2026-000001", "INV2026-000002", "INV2026-000003", "INV2026-000004", None]
    assert [d["status"] for d in everything] == ["partially_paid", "issued", "paid", "cancelled", "draft"]
    assert everything[1]["customer_name"] == TRICKY and everything[1]["vat_ron_cents"] is not None
    assert [d["balance_cents"] for d in everything] == [1110, 666, 0, 0, 0]  # Beta: reverse charge, no VAT
    assert [d["due_date"] for d in everything] == ["2026-12-01"] * 4 + [None]
    tsv = cli("invoices", "list", "--status", "issued").stdout
    assert tsv.split("\t")[6] == TRICKY.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace(
        "\r", "\\r")


_FIELDS = ("id", "kind", "number", "series", "status", "customer_id", "customer_name", "currency", "tax_point",
           "issue_date", "due_date", "net_cents", "vat_cents", "total_cents", "paid_cents", "balance_cents",
           "vat_regime", "vat_ron_cents")


def test_json_rows_are_compact_and_keep_the_record_order(cli):
    _ledger(cli)
    line = cli("invoices", "list", "--status", "paid", "-o", "jsonl").stdout
    assert line == (
        '{"id":"3","kind":"invoice","number":"INV2026-000003","series":"INV","status":"paid","customer_id":"1",'
        '"customer_name":"Acme SRL","currency":"RON","tax_point":"2026-11-26","issue_date":"2026-11-26",'
        '"due_date":"2026-12-01","net_cents":10000,"vat_cents":2100,"total_cents":12100,"paid_cents":12100,'
        '"balance_cents":0,"vat_regime":"domestic","vat_ron_cents":null}\n')
    assert cli("invoices", "list", "--status", "paid", "-o", "json", "--fields", "vat_ron_cents,id").stdout == (
        '[\n{"vat_ron_cents":null,"id":"3"}\n]\n')
    assert cli("invoices", "list", "--status", "lost", "-o", "json").exit_code == 2
    missing = cli("invoices", "list", "--customer", "nobody@x.ro", "-o", "jsonl")
    assert (missing.exit_code, missing.stdout) == (4, "")
    assert "no customer 'nobody@x.ro'" in missing.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "tsv"])
def test_list_guards_the_schema(cli, tmp_path, fmt):
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).close()
    cli.database_url = f"sqlite:///{blank}"
    r = cli("invoices", "list", "-o", fmt)
    assert (r.exit_code, r.stdout) == (78, "")
    assert "has no schema yet; run `praho init`" in r.stderr
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    con.execute("INSERT INTO alembic_version VALUES ('9999')")
    con.commit()
    con.close()
    cli.database_url = f"sqlite:///{newer}"
    r = cli("proformas", "list", "-o", fmt)
    assert (r.exit_code, r.stdout) == (78, "")
    assert "this praho is older than the ledger" in r.stderr


def test_list_never_imports_the_orm(cli):
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

    for args in (("invoices", "list", "-o", "jsonl"), ("proformas", "list", "--json"),
                 ("invoices", "list", "--customer", "billing@acme.ro", "-o", "tsv")):
        assert heavy(*args) == "sqlalchemy", args
