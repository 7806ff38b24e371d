"""Document lists: ``praho invoices list -o jsonl`` over 100,000 invoices, beside the database's own client.

    python bench/bench_lists.py [--rows 100000] [--runs 3] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                [--baseline PYTHON] [--write]

On SQLite the reference is ``sqlite3 -json`` running the list's join; on PostgreSQL, ``psql -At``
writing each row of the same join with ``row_to_json``. Each command is a fresh process writing to a
file; wall time is the best of ``--runs`` interleaved runs, after one warm-up run of each. praho's
peak RSS is its own high-water mark (VmHWM). ``--baseline PYTHON`` also times the praho that
interpreter imports (another checkout's virtualenv), side by side.

Targets: praho within 4x of the reference on each backend; peak RSS under 150 MB.
``--write`` replaces the "Document lists" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _ledger import fresh_ledger  # noqa: E402

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TARGET_RATIO = 4.0
TARGET_RSS_MB = 150

# The list's rows as the database's own client writes them: the same join, columns and balance.
SELECT = (
    "SELECT CAST(d.id AS TEXT) AS id, d.kind, d.number_text AS number, s.code AS series, d.status, "
    "CAST(d.customer_id AS TEXT) AS customer_id, c.name AS customer_name, d.currency, "
    "CAST(d.tax_point AS TEXT) AS tax_point, CAST(d.issue_date AS TEXT) AS issue_date, "
    "CAST(d.due_date AS TEXT) AS due_date, d.net_minor AS net_cents, d.vat_minor AS vat_cents, "
    "d.total_minor AS total_cents, d.paid_minor AS paid_cents, CASE WHEN d.kind = 'credit_note' THEN 0 "
    "WHEN d.status IN ('issued', 'partially_paid', 'overdue', 'paid') THEN d.total_minor - d.paid_minor ELSE 0 END "
    "AS balance_cents, d.vat_regime, d.vat_ron_minor AS vat_ron_cents FROM billing_documents d "
    "JOIN document_series s ON s.id = d.series_id JOIN customers c ON c.id = d.customer_id "
    "WHERE d.kind = 'invoice' ORDER BY d.id"
)

# The child reports its own high-water mark (VmHWM of its process image) when it exits: wait4's
# ru_maxrss would also count the pages of this benchmark process the child was forked from.
PEAK_PROBE = (
    "import atexit, runpy, sys\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('PEAK_KIB=' + line.split()[1] + '\\n')\n"
    "atexit.register(_peak)\n"
    "sys.argv = ['praho'] + sys.argv[1:]\n"
    "runpy.run_module('praho_cli', run_name='__main__')\n"
)


def seed(url: str, rows: int) -> None:
    """One customer, the INV series and ``rows`` issued invoices, written straight into the tables."""
    from sqlalchemy import text

    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.billing.customers import CustomerInput, add_customer
    from praho_cli.services.context import ServiceContext

    db = open_database(url)
    ctx = ServiceContext(now=lambda: NOW, actor="bench")
    run_in_transaction(db, lambda s: add_customer(s, ctx, CustomerInput(name="Acme SRL", email="a@acme.ro"))).unwrap()
    stamp = NOW.replace(tzinfo=None) if db.is_sqlite else NOW
    number = "printf('INV2026-%06d', n)" if db.is_sqlite else "'INV2026-' || lpad(n::text, 6, '0')"
    with db.writer().begin() as conn:
        conn.execute(text("INSERT INTO document_series (code, kind, template, yearly_reset, start_number, "
                          "created_at, updated_at) VALUES ('INV', 'invoice', '{series}{year}-{number:06}', true, 1, "
                          ":t, :t)"), {"t": stamp})
        series_id = conn.execute(text("SELECT id FROM document_series WHERE code = 'INV'")).scalar_one()
        conn.execute(text(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :rows) "
            "INSERT INTO billing_documents (kind, status, series_id, fiscal_year, number, number_text, customer_id, "
            "currency, tax_point, issue_date, due_days, due_date, vat_regime, rounding, net_minor, vat_minor, "
            f"total_minor, paid_minor, issued_at, created_at, updated_at, version) SELECT 'invoice', 'issued', :s, "
            f"2026, n, {number}, 1, 'RON', :tax_point, :issued, 14, :due, 'domestic', 'half_up', 11998, 2520, "
            "14518, 0, :t, :t, :t, 1 FROM seq"),
            {"rows": rows, "s": series_id, "t": stamp, "tax_point": NOW.date().replace(day=20), "issued": NOW.date(),
             "due": NOW.date().replace(month=12, day=10)})
        conn.execute(text("INSERT INTO series_counters (series_id, year, last_number) VALUES (:s, 2026, :n)"),
                     {"s": series_id, "n": rows})
    db.engine.dispose()


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB or 0 when the child does not report it, bytes written to stdout).

    ``cwd`` is outside any checkout, so that each interpreter imports its own praho."""
    with tempfile.TemporaryFile() as sink, tempfile.TemporaryFile(mode="w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink, stderr=err, env=env, cwd=cwd)
        _pid, status, _usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{argv[:4]} failed: {err.read()[-2000:]}")
        err.seek(0)
        peak = next((int(line.split("=", 1)[1]) for line in err if line.startswith("PEAK_KIB=")), 0)
        return elapsed, peak, sink.seek(0, os.SEEK_END)


def measure(backend: str, url: str, tmp: Path, runs: int, baseline: str | None) -> list[dict[str, Any]]:
    env = {**os.environ, "PRAHO_DATABASE_URL": url, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "cfg")}
    args = ["-c", PEAK_PROBE, "invoices", "list", "-o", "jsonl"]
    readers: list[tuple[str, list[str]]] = [("praho invoices list -o jsonl", [sys.executable, *args])]
    if baseline:
        readers.append(("baseline: praho invoices list -o jsonl", [baseline, *args]))
    if backend == "sqlite":
        readers.append(("sqlite3 -json", ["sqlite3", "-json", url.removeprefix("sqlite:///"), SELECT]))
    else:
        from sqlalchemy.engine import make_url

        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        readers.append(("psql -At (row_to_json)", ["psql", "-At", "-d", libpq, "-c",
                                                   f"SELECT row_to_json(t) FROM ({SELECT}) t"]))
    for _name, argv in readers:  # warm the page cache, the bytecode cache and the server's buffers
        timed(argv, env, tmp)
    best: dict[str, tuple[float, int, int]] = {}
    for _ in range(runs):
        for name, argv in readers:
            result = timed(argv, env, tmp)
            if name not in best or result[0] < best[name][0]:
                best[name] = (result[0], max(result[1], best.get(name, (0, 0, 0))[1]), result[2])
    reference = best[readers[-1][0]][0]
    return [{"backend": backend, "reader": name, "seconds": s, "rss_kib": rss, "bytes": size,
             "ratio": s / reference} for name, (s, rss, size) in best.items()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-url", default=os.environ.get("PRAHO_TEST_PG_URL"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="another Python whose praho is timed side by side")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write and not args.pg_url:
        raise SystemExit("--write needs PostgreSQL (--pg-url or PRAHO_TEST_PG_URL): the target is measured there too")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for backend in ["sqlite"] + (["postgres"] if args.pg_url else []):
            url, cleanup = fresh_ledger(backend, args.pg_url, tmp)
            try:
                seed(url, args.rows)
                results += measure(backend, url, tmp, args.runs, args.baseline)
            finally:
                if cleanup:
                    cleanup()
    load = os.getloadavg()[0]
    lines = [
        f"`python bench/bench_lists.py --write`: `praho invoices list -o jsonl` over {args.rows:,} issued invoices, "
        "beside the database's own client writing the same rows as JSON (`sqlite3 -json`; `psql -At` with "
        f"`row_to_json`). Each a fresh process writing to a file; best of {args.runs} interleaved runs. Load average "
        f"at the end: {load:.1f} on {os.cpu_count()} CPUs.",
        "",
        "| database | reader | wall time | rows / s | peak RSS | / reference |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        if r["reader"].startswith("baseline"):
            continue
        rss = f"{r['rss_kib'] / 1024:.0f} MB" if r["rss_kib"] else "–"
        lines.append(f"| {r['backend']} | {r['reader']} | {r['seconds']:.2f} s | {args.rows / r['seconds']:,.0f} | "
                     f"{rss} | {r['ratio']:.2f}x |")
    praho = [r for r in results if r["reader"].startswith("praho")]
    met = all(r["ratio"] <= TARGET_RATIO for r in praho) and all(r["rss_kib"] / 1024 < TARGET_RSS_MB for r in praho)
    lines += [
        "",
        f"Targets: within {TARGET_RATIO:g}x of the reference on each backend, peak RSS under {TARGET_RSS_MB} MB: "
        f"{'met' if met else 'NOT met'}.",
        "",
        "Every output format runs the same query (`praho_cli/ledger/document_list.py`), streamed as Core rows "
        "1,000 at a time (a server-side cursor on PostgreSQL), so memory stays flat whatever the ledger's size. "
        "The list never imports SQLModel or the models, and the renderer writes each row's JSON from its tuple "
        "without building a dict. praho's time includes the interpreter's start-up and imports; what remains over "
        "the reference is Python turning each value into an object and back into text.",
    ]
    body = "\n".join(lines)
    print(body)
    for r in results:
        if r["reader"].startswith("baseline"):
            print(f"{r['backend']}: {r['reader']}: {r['seconds']:.2f} s, {r['rss_kib'] / 1024:.0f} MB, "
                  f"{r['ratio']:.2f}x", file=sys.stderr)
    if args.write:
        from _report import write_section

        write_section("Document lists", body)


if __name__ == "__main__":
    main()
