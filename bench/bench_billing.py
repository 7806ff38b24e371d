"""Billing benchmark: gapless issuing throughput (the document list: bench/bench_lists.py).

    python bench/bench_billing.py [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--write]

1. Invoices issued per second by 1 and 8 processes (each a loop of ``invoices.issue_document`` in its
   own unit of work, as the CLI runs it), beside the bare rate of a transaction that only locks and
   increments one counter row on the same database: the physical limit of any gapless scheme.

``--write`` replaces the "Billing" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SETTINGS = {"billing.due_days": 14, "billing.rounding": "half_up", "seller.country": "RO", "seller.vat_payer": True,
            "seller.name": "Bench Hosting SRL", "seller.vat_id": "RO18547290", "seller.address": "Str. Bench 1, Iasi"}
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


# --- worker processes ---------------------------------------------------------------------------
def worker(spec: dict[str, Any]) -> None:
    from sqlalchemy import text

    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services import invoices
    from praho_cli.services.context import ServiceContext

    db = open_database(spec["url"])
    ctx = ServiceContext(now=lambda: datetime.now(UTC), actor="bench", setting=SETTINGS.get)
    lock = "SELECT last_number FROM series_counters WHERE series_id = :s AND year = 0" + (
        " FOR UPDATE" if db.is_postgres else "")
    bump = "UPDATE series_counters SET last_number = last_number + 1 WHERE series_id = :s AND year = 0"
    with db.engine.connect() as conn:  # warm the pool before the clock starts
        conn.execute(text("SELECT 1"))
    Path(spec["ready"]).write_text("ready")
    while not Path(spec["go"]).exists():
        time.sleep(0.001)
    started = time.time()
    if spec["mode"] == "issue":
        for doc_id in spec["ids"]:
            run_in_transaction(db, lambda s, d=doc_id: invoices.issue_document(
                s, ctx, DocumentKind.INVOICE, str(d))).unwrap()
    else:
        for _ in range(spec["count"]):
            with db.writer().begin() as conn:
                conn.execute(text(lock), {"s": spec["series_id"]}).scalar_one()
                conn.execute(text(bump), {"s": spec["series_id"]})
    sys.stdout.write(json.dumps({"started": started, "ended": time.time()}))


def run_workers(url: str, specs: list[dict[str, Any]], tmp: Path) -> float:
    """Start the workers together; return the operations per second of the whole run."""
    go = tmp / f"go-{uuid.uuid4().hex}"
    procs = []
    for i, spec in enumerate(specs):
        spec = {**spec, "url": url, "go": str(go), "ready": str(tmp / f"ready-{go.name}-{i}")}
        code = "import json, sys; sys.path.insert(0, 'bench'); from bench_billing import worker; " \
               "worker(json.loads(sys.argv[1]))"
        procs.append((spec, subprocess.Popen([sys.executable, "-c", code, json.dumps(spec)], cwd=ROOT,
                                             stdout=subprocess.PIPE, text=True)))
    while not all(Path(spec["ready"]).exists() for spec, _ in procs):
        time.sleep(0.01)
    go.write_text("go")
    spans = []
    for _spec, proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"worker failed: {out}")
        spans.append(json.loads(out))
    total = sum(len(s.get("ids", ())) or s.get("count", 0) for s, _ in procs)
    return total / (max(s["ended"] for s in spans) - min(s["started"] for s in spans))


def seed_drafts(url: str, count: int) -> list[int]:
    from sqlalchemy import text

    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.result import Ok
    from praho_cli.services import invoices
    from praho_cli.services.context import ServiceContext
    from praho_cli.services.customers import CustomerInput, add_customer

    db = open_database(url)
    ctx = ServiceContext(now=lambda: NOW, actor="bench", setting=SETTINGS.get)
    with db.engine.connect() as conn:
        has_customer = conn.execute(text("SELECT count(*) FROM customers")).scalar_one()
    if not has_customer:
        run_in_transaction(db, lambda s: add_customer(s, ctx, CustomerInput(name="Acme SRL",
                                                                            email="a@acme.ro"))).unwrap()
    ids: list[int] = []
    for start in range(0, count, 200):
        def batch(session: Any, n: int = min(200, count - start)) -> Any:
            made = [int(invoices.create_draft(session, ctx, DocumentKind.INVOICE, invoices.DraftInput(
                customer="1", lines=("Hosting|1|100", "Backup|2|9.99|standard"))).unwrap()["id"])
                for _ in range(n)]
            return Ok(made)

        ids += run_in_transaction(db, batch).unwrap()
    db.engine.dispose()
    return ids


def bare_series(url: str) -> int:
    from sqlalchemy import text

    from praho_cli.ledger.engine import open_database

    db = open_database(url)
    with db.writer().begin() as conn:
        conn.execute(text("INSERT INTO document_series (code, kind, template, yearly_reset, start_number, "
                          "created_at, updated_at) VALUES ('BARE', 'invoice', '{series}{number}', false, 1, "
                          ":t, :t)"), {"t": NOW.replace(tzinfo=None) if db.is_sqlite else NOW})
        series_id = conn.execute(text("SELECT id FROM document_series WHERE code = 'BARE'")).scalar_one()
        conn.execute(text("INSERT INTO series_counters (series_id, year, last_number) VALUES (:s, 0, 0)"),
                     {"s": series_id})
    db.engine.dispose()
    return int(series_id)


def fresh_ledger(backend: str, pg_url: str | None, tmp: Path) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.schema import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        cleanup = None
    else:
        assert pg_url
        name = f"praho_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    db = open_database(url)
    upgrade(db)
    db.engine.dispose()
    return url, cleanup


def issue_rates(backend: str, pg_url: str | None, tmp: Path, per_proc: int,
                repeat: int) -> dict[int, tuple[float, float, list[float]]]:
    """Per process count: (median issue rate, median bare rate, each run's issue/bare ratio).

    Each run is a fresh ledger: drafts seeded, the issuing processes, then the bare processes; the
    runs are repeated because a shared host moves either rate by a tenth from one minute to the next."""
    results = {}
    for procs in (1, 8):
        issues, bares = [], []
        for _ in range(repeat):
            url, cleanup = fresh_ledger(backend, pg_url, tmp)
            try:
                ids = seed_drafts(url, procs * per_proc)
                issue = run_workers(url, [{"mode": "issue", "ids": ids[w::procs]} for w in range(procs)], tmp)
                series_id = bare_series(url)
                bare = run_workers(url, [{"mode": "bare", "count": per_proc * 4, "series_id": series_id}
                                         for _ in range(procs)], tmp)
            finally:
                if cleanup:
                    cleanup()
            issues.append(issue)
            bares.append(bare)
            print(f"{backend} x{procs}: issue {issue:.1f}/s, bare counter {bare:.1f}/s ({issue / bare:.1%})",
                  file=sys.stderr)
        results[procs] = (statistics.median(issues), statistics.median(bares),
                          [i / b for i, b in zip(issues, bares, strict=True)])
    return results


ANALYSIS = """Reading the figures. Issuing one invoice on PostgreSQL is two round trips: the draft locked
with its customer, series, lines and candidate VAT rates in one statement, then the locked part in
one statement sent together with its COMMIT (psycopg's pipeline mode, praho_cli/ledger/uow.py
commit_with): take the series counter (an upsert: the year's first number creates the row), render
the number, write the frozen draft with its number (one UPDATE of the document row), append the
audit event (its hash computed by the server over the text Python verifies), commit. No client step
remains between the counter's lock and COMMIT, as in the bare transaction's best case.

What bounds the 8-process ratio on this 2-CPU host. Timed from the client inside 8 issuing processes
(2,400 invoices), the part of the counter's window that the client held, from the locked statement's
reply to the end of COMMIT, was 2.9 ms per invoice when COMMIT was sent after the reply, against a
window of 3.6-3.9 ms per invoice overall: the lock waited mostly on a client process that had to get
a CPU back, run the rest of the service and send COMMIT. With COMMIT in the same round trip that part
is gone (what the client does after the reply, 0.5 ms, happens after the lock is released), and the
8 processes become CPU-bound instead: per invoice 3.0-3.4 ms of client CPU (SQLAlchemy's ORM and
psycopg are two thirds of it) and 1.2-1.4 ms of server CPU, beside 0.3-0.35 ms and 0.1 ms for the bare
transaction. The same change found a latent deadlock: the one statement could lock the audit chain's
head before the counter (the planner's join order), while the general path locks counter then head;
the head is now joined to the number and locked after it (a test with one issuer on each path caught
it). With an idempotency key the
same statement stores the key's record, so keyed issues commit the same way.
The general path (SQLite, templates SQL cannot render exactly, audit records holding the number's
placeholder) writes the frozen draft, takes the counter, then the number with the audit event.
Rates move by a tenth from run to run on a shared 2-core host: the bare rate alone varies between
about 550 and 1,900 tx/s from one day to the next."""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-url", default=os.environ.get("PRAHO_TEST_PG_URL"))
    parser.add_argument("--per-proc", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each issuing measurement (medians)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write and not args.pg_url:
        raise SystemExit("--write needs PostgreSQL (--pg-url or PRAHO_TEST_PG_URL): the target is measured there")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        backends = ["sqlite"] + (["postgres"] if args.pg_url else [])
        rates = {b: issue_rates(b, args.pg_url, tmp, args.per_proc, args.repeat) for b in backends}
    load = os.getloadavg()[0]
    lines = [
        "`python bench/bench_billing.py --write`. Issuing: each process loops "
        "`services.invoices.issue_document` (a draft with two lines, one unit of work per invoice: lock "
        "the draft, price it at the tax point, freeze the snapshots, take the number, audit event, commit). "
        "\"Bare\" is a transaction that only locks and increments one counter row on the same database. "
        f"Rates are medians of {args.repeat} runs, each on a fresh ledger. Load average at the end: "
        f"{load:.1f} on {os.cpu_count()} CPUs (other work on the host slows both columns).",
        "",
        "| database | processes | invoices issued / s | bare counter tx / s | issue / bare | each run |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for backend, by_procs in rates.items():
        for procs, (issue, bare, runs) in by_procs.items():
            lines.append(f"| {backend} | {procs} | {issue:,.1f} | {bare:,.1f} | {issue / bare:.0%} | "
                         f"{', '.join(f'{r:.0%}' for r in runs)} |")
    target = rates.get("postgres", {}).get(8)
    if target:
        verdict = "met" if target[0] / target[1] >= 0.4 else "NOT met"
        lines += ["", f"Target ≥ 40 % of the bare rate at 8 processes on PostgreSQL: **{target[0] / target[1]:.0%}**"
                      f" ({verdict}; median rates of {len(target[2])} runs, the runs' own ratios "
                      f"{min(target[2]):.0%}-{max(target[2]):.0%})."]
    lines += ["", ANALYSIS]
    body = "\n".join(lines)
    print(body)
    if args.write:
        from _report import write_section

        write_section("Billing", body)


if __name__ == "__main__":
    main()
