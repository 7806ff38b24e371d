"""Benchmark: refunds per second on one hot invoice, 1 and 16 concurrent processes, PostgreSQL.

Every refund locks the same invoice row (then its payments, refunds and the credit-note counter), so
refunds on one invoice are serial by design; the ceiling is the bare locked-counter rate measured
here the same way (SELECT … FOR UPDATE on a series counter, +1, commit), which is what gapless
numbering costs on its own. Workers call the refund service in-process (no CLI start-up), each in
its own OS process with its own connection, for a fixed wall-clock window.

Run: python bench/bench_refunds.py [--seconds 10] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
     [--write]  (--write puts the figures in docs/benchmarks.md under "## Refunds")
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _ctx():  # type: ignore[no-untyped-def]
    from praho_cli.config import schema
    from praho_cli.services.context import ServiceContext

    defaults = {s.key: s.default for s in schema.SETTINGS}
    defaults |= {"seller.name": "Bench Hosting SRL", "seller.vat_id": "RO18547290", "seller.address": "Str. Bench 1"}
    return ServiceContext(now=lambda: datetime.now(UTC), actor="bench", setting=defaults.get,
                          run_id=uuid.uuid4().hex[:12])


def refund_worker(url: str, seconds: float, ready: object, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.billing.refunds.create import create_refund
    from praho_cli.services.billing.refunds.records import RefundInput

    db = open_database(url)
    ctx = _ctx()
    with db.engine.connect():
        pass
    data = RefundInput(invoice="1", reason="bench", amount="0.01")  # the invoice by its id
    done = refused = 0
    ready.wait()  # type: ignore[attr-defined]  # every process imported and connected: start together
    end = time.time() + seconds
    while time.time() < end:
        result = run_in_transaction(db, lambda s: create_refund(s, ctx, data))
        if result.ok:
            done += 1
        else:
            refused += 1
    out.put((done, refused))
    db.engine.dispose()


def counter_worker(url: str, seconds: float, ready: object, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from sqlalchemy import text

    from praho_cli.ledger.engine import open_database

    db = open_database(url)
    done = 0
    with db.engine.connect():
        pass
    ready.wait()  # type: ignore[attr-defined]  # every process imported and connected: start together
    end = time.time() + seconds
    with db.writer().connect() as conn:
        while time.time() < end:
            with conn.begin():
                conn.execute(text("SELECT last_number FROM series_counters WHERE series_id = 1 AND year = 9999 "
                                  "FOR UPDATE"))
                conn.execute(text("UPDATE series_counters SET last_number = last_number + 1 "
                                  "WHERE series_id = 1 AND year = 9999"))
            done += 1
    out.put((done, 0))
    db.engine.dispose()


def run(worker, url: str, procs: int, seconds: float) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    ready = ctx.Barrier(procs)
    workers = [ctx.Process(target=worker, args=(url, seconds, ready, out)) for _ in range(procs)]
    for w in workers:
        w.start()
    results = [out.get(timeout=seconds + 120) for _ in workers]
    for w in workers:
        w.join()
    done = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    return done / seconds, refused


def setup(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.schema import upgrade
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.billing import customers, payments
    from praho_cli.services.billing.customers import CustomerInput
    from praho_cli.services.billing.documents import drafts, issuing
    from praho_cli.services.billing.documents.drafts import DraftInput
    from praho_cli.services.billing.payments import PaymentInput

    name = f"praho_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    db = open_database(url)
    upgrade(db)
    ctx = _ctx()
    run_in_transaction(db, lambda s: customers.add_customer(
        s, ctx, CustomerInput(name="Bench SRL", email="bench@example.ro"))).unwrap()
    draft = run_in_transaction(db, lambda s: drafts.create_draft(
        s, ctx, DocumentKind.INVOICE, DraftInput(customer="1", lines=("Hosting|1|1000000",)))).unwrap()
    issued = run_in_transaction(
        db, lambda s: issuing.issue_document(s, ctx, DocumentKind.INVOICE, draft["id"])).unwrap()
    amount = f"{issued['total_cents'] // 100}.{issued['total_cents'] % 100:02d}"
    run_in_transaction(db, lambda s: payments.record_payment(
        s, ctx, PaymentInput(amount=amount, invoice=issued["number"]))).unwrap()
    with db.writer().begin() as conn:
        conn.execute(text("INSERT INTO series_counters (series_id, year, last_number) VALUES (1, 9999, 0)"))
    db.engine.dispose()
    return url, name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pg", default=os.environ.get("PRAHO_TEST_PG_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    rows = []
    url, name = setup(args.pg)
    try:
        for procs in (1, 16):
            refunds_per_s, refused = run(refund_worker, url, procs, args.seconds)
            counter_per_s, _ = run(counter_worker, url, procs, args.seconds)
            rows.append((procs, refunds_per_s, counter_per_s, refused))
            print(f"{procs:>2} processes: {refunds_per_s:8.1f} refunds/s   {counter_per_s:8.1f} counter "
                  f"increments/s   refused {refused}", file=sys.stderr)
    finally:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if args.write:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _report import write_section

        table = "\n".join(f"| {p} | {r:,.1f} | {c:,.1f} | {r / c:.2f}x |" for p, r, c, _ in rows)
        write_section("Refunds", f"""
`python bench/bench_refunds.py --seconds {args.seconds:g} --write` — PostgreSQL on loopback, one hot invoice
(1,000,000.00 RON, paid), each worker an OS process calling the refund service in a loop (0.01 RON partial
refunds, no refund command: each refund is recorded, its credit note issued and audited in one transaction)
for {args.seconds:g} s of wall clock. Beside it, the bare locked-counter rate: `SELECT … FOR UPDATE` + `UPDATE
+1` + commit on one series-counter row, the floor cost of gapless numbering.

| processes | refunds/s | bare locked counter/s | refunds / counter |
|---:|---:|---:|---:|
{table}

Load average at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a loaded host slows the
Python work done while the invoice lock is held, which is what limits the refund rate).

Refunds on one invoice serialize on its row lock by design (the lock order of docs/refunds.md), so more
processes do not add throughput on a single invoice; they add waiting. A refund is ~10 statements plus
the audit chain and the credit-note lines, against the counter's two.
""")


if __name__ == "__main__":
    main()
