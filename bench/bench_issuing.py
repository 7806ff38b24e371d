"""Issuing throughput: invoices per second through the one issuing path, beside a bare locked counter.

    python bench/bench_issuing.py [--pg-url URL] [--tree OTHER_CHECKOUT] [--write]

Each process loops ``services.billing.documents.issuing.issue_document`` over drafts of two lines, one unit of work
per invoice, as the CLI runs it: lock the draft, price it at its tax point, freeze the snapshots,
take the number, append the audit event, commit. "Bare" is a transaction that only locks and
increments one counter row on the same database: the physical limit of any gapless scheme.

Measured: one process on SQLite, one and eight processes on PostgreSQL. ``--tree PATH`` also measures
another checkout of praho (for example the commit before a change) in the same run, interleaved run
by run, so that a shared host's ups and downs weigh on both alike. ``--write`` replaces the
"Issuing" section of docs/benchmarks.md.
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
sys.path.insert(0, str(ROOT / "bench"))

from _ledger import fresh_ledger  # noqa: E402

SETTINGS = {"billing.due_days": 14, "billing.rounding": "half_up", "seller.country": "RO", "seller.vat_payer": True,
            "seller.name": "Bench Hosting SRL", "seller.vat_id": "RO18547290", "seller.address": "Str. Bench 1, Iasi"}
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TARGETS = {("sqlite", 1): 100.0, ("postgres", 1): 50.0}


ANALYSIS = """One path issues on both backends: lock the draft, price and freeze it, take the number, append the
audit event, commit. From the counter's lock to COMMIT remain the number's UPDATE, one SELECT of what
the number is checked against (the series' last number and date, a later year, the same number in
another series of the kind), the document's number columns, its lines read back for the audit event's
proof, and the audit event's three statements. Every issuer of a series queues on that window, as
every writer queues on the audit chain's head, so eight processes on two CPUs add waiting more than
throughput. At these rates a month-end run of 10,000 invoices takes under two minutes on PostgreSQL
and under a minute on SQLite."""


def worker(spec: dict[str, Any]) -> None:
    """In a child process whose praho_cli comes from the tree under test (PYTHONPATH)."""
    from sqlalchemy import text

    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.context import ServiceContext

    try:
        from praho_cli.services.billing.documents import issuing
    except ImportError:  # --tree: a checkout from before services/billing/documents/
        from praho_cli.services import invoices as issuing  # type: ignore[no-redef,attr-defined]

    db = open_database(spec["url"])
    ctx = ServiceContext(now=lambda: NOW, actor="bench", setting=SETTINGS.get)
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
            run_in_transaction(db, lambda s, d=doc_id: issuing.issue_document(
                s, ctx, DocumentKind.INVOICE, str(d))).unwrap()
    else:
        for _ in range(spec["count"]):
            with db.writer().begin() as conn:
                conn.execute(text(lock), {"s": spec["series_id"]}).scalar_one()
                conn.execute(text(bump), {"s": spec["series_id"]})
    sys.stdout.write(json.dumps({"started": started, "ended": time.time()}))


def run_workers(tree: Path, url: str, specs: list[dict[str, Any]], tmp: Path) -> float:
    """Start the workers together (praho from ``tree``); the operations per second of the whole run."""
    go = tmp / f"go-{uuid.uuid4().hex}"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    procs = []
    for i, spec in enumerate(specs):
        spec = {**spec, "url": url, "go": str(go), "ready": str(tmp / f"ready-{go.name}-{i}")}
        procs.append((spec, subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(spec)], cwd=tmp,
                                             env=env, stdout=subprocess.PIPE, text=True)))
    while not all(Path(spec["ready"]).exists() for spec, _ in procs):
        if any(p.poll() is not None for _s, p in procs):
            raise SystemExit("a worker failed to start")
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


def seed(url: str, count: int) -> tuple[list[int], int]:
    """``count`` drafts of two lines, and a bare series with its counter; (draft ids, series id)."""
    from sqlalchemy import text

    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.result import Ok
    from praho_cli.services.billing.customers import CustomerInput, add_customer
    from praho_cli.services.billing.documents import drafts
    from praho_cli.services.context import ServiceContext

    db = open_database(url)
    ctx = ServiceContext(now=lambda: NOW, actor="bench", setting=SETTINGS.get)
    run_in_transaction(db, lambda s: add_customer(s, ctx, CustomerInput(name="Acme SRL", email="a@acme.ro"))).unwrap()
    ids: list[int] = []
    for start in range(0, count, 200):
        def batch(session: Any, n: int = min(200, count - start)) -> Any:
            return Ok([int(drafts.create_draft(session, ctx, DocumentKind.INVOICE, drafts.DraftInput(
                customer="1", lines=("Hosting|1|100", "Backup|2|9.99|standard"))).unwrap()["id"])
                for _ in range(n)])

        ids += run_in_transaction(db, batch).unwrap()
    with db.writer().begin() as conn:
        conn.execute(text("INSERT INTO document_series (code, kind, template, yearly_reset, start_number, "
                          "created_at, updated_at) VALUES ('BARE', 'invoice', '{series}{number}', false, 1, "
                          ":t, :t)"), {"t": NOW.replace(tzinfo=None) if db.is_sqlite else NOW})
        series_id = int(conn.execute(text("SELECT id FROM document_series WHERE code = 'BARE'")).scalar_one())
        conn.execute(text("INSERT INTO series_counters (series_id, year, last_number) VALUES (:s, 0, 0)"),
                     {"s": series_id})
    db.engine.dispose()
    return ids, series_id


def measure(tree: Path, backend: str, procs: int, pg_url: str | None, tmp: Path, per_proc: int) -> tuple[float, float]:
    """(invoices issued / s, bare counter tx / s) on a fresh ledger."""
    url, cleanup = fresh_ledger(backend, pg_url, tmp)
    try:
        ids, series_id = seed(url, procs * per_proc)
        issue = run_workers(tree, url, [{"mode": "issue", "ids": ids[w::procs]} for w in range(procs)], tmp)
        bare = run_workers(tree, url, [{"mode": "bare", "count": per_proc * 4, "series_id": series_id}
                                       for _ in range(procs)], tmp)
    finally:
        if cleanup:
            cleanup()
    return issue, bare


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-url", default=os.environ.get("PRAHO_TEST_PG_URL"))
    parser.add_argument("--per-proc", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (medians)")
    parser.add_argument("--tree", type=Path, help="another checkout of praho, measured in the same run")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    sys.path.insert(0, str(ROOT))
    if args.write and not args.pg_url:
        raise SystemExit("--write needs PostgreSQL (--pg-url or PRAHO_TEST_PG_URL)")
    cases = [("sqlite", 1)] + ([("postgres", 1), ("postgres", 8)] if args.pg_url else [])
    trees = [("this tree", ROOT)] + ([(f"{args.tree}", args.tree.resolve())] if args.tree else [])
    runs: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for _ in range(args.repeat):
            for backend, procs in cases:
                for label, tree in trees:  # interleaved: each run of one tree beside a run of the other
                    got = measure(tree, backend, procs, args.pg_url, Path(tmpdir), args.per_proc)
                    runs.setdefault((label, backend, procs), []).append(got)
                    print(f"{label}: {backend} x{procs}: {got[0]:.1f} invoices/s, bare {got[1]:.1f}/s",
                          file=sys.stderr)
    lines = [
        "`python bench/bench_issuing.py --write`: invoices issued per second by one loop of "
        "`services.billing.documents.issuing.issue_document` per process (two lines per invoice, one unit of "
        "work each), beside a bare transaction that only locks and increments one counter row. Medians of "
        f"{args.repeat} runs, each on a fresh ledger; load average at the end {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs.",
        "",
        ("| code " if args.tree else "") + "| database | processes | invoices / s | bare counter tx / s | target |",
        ("|---" if args.tree else "") + "|---|---:|---:|---:|---|",
    ]
    one_pg: dict[str, float] = {}
    for (label, backend, procs), got in runs.items():
        issue, bare = statistics.median(g[0] for g in got), statistics.median(g[1] for g in got)
        if backend == "postgres" and procs == 1:
            one_pg[label] = issue
        target = TARGETS.get((backend, procs))
        if target:
            verdict = f"≥ {target:.0f}/s: {'met' if issue >= target else 'NOT met'}"
        else:
            verdict = (f"not slower than 1 process: {'met' if issue >= one_pg.get(label, 0) else 'NOT met'}"
                       if label in one_pg else "")
        code = f"| {label} " if args.tree else ""
        lines.append(f"{code}| {backend} | {procs} | {issue:,.1f} | {bare:,.1f} | {verdict} |")
    body = "\n".join([*lines, "", ANALYSIS])
    print(body)
    if args.write:
        from _report import write_section

        write_section("Issuing", body)


if __name__ == "__main__":
    main()
