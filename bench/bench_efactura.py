"""e-Factura: UBL exports per second over many issued invoices, and `efactura validate` of one document.

    python bench/bench_efactura.py [--count 10000] [--rules DIR] [--write]

Seeds ``--count`` issued invoices (two lines each) in a fresh SQLite ledger, then, in a fresh process,
exports every one through ``services.billing.efactura.export_document`` (one read session, as a
period export would) and reports documents per second and the process's peak RSS. Then times
``praho efactura validate`` of one exported document as a process, without and with ANAF's schematron
(``--rules``, default tests/fixtures/efactura/anaf-validation-1.0.9; the compiled rules already cached).
``--write`` replaces the "e-Factura" section of docs/benchmarks.md.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _ledger import fresh_ledger  # noqa: E402
from bench_issuing import NOW  # noqa: E402

SELLER = {"seller.name": "Bench Hosting SRL", "seller.vat_id": "RO18547290", "seller.address": "Str. Bench 1",
          "seller.city": "Iasi", "seller.county": "RO-IS", "seller.iban": "RO49AAAA1B31007593840000"}
SETTINGS = {"billing.due_days": 14, "billing.rounding": "half_up", "seller.country": "RO", "seller.vat_payer": True,
            **SELLER}
ANALYSIS = """The export reads each document, its lines and its customer (three primary-key or indexed
reads), re-runs billing's totals over the stored lines to prove them, and serialises the tree with
lxml; it holds one document at a time, so memory stays flat. Validation as a process includes the
interpreter's start-up and loading the UBL 2.1 XSD; ANAF's schematron adds Saxon's start-up and running
the two rule sets, compiled once and then read from the user's cache."""


def seed(url: str, count: int) -> list[str]:
    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.billing.customers import CustomerInput, add_customer
    from praho_cli.services.billing.documents import drafts, issuing
    from praho_cli.services.context import ServiceContext

    db = open_database(url)
    ctx = ServiceContext(now=lambda: NOW, actor="bench", setting=SETTINGS.get)
    run_in_transaction(db, lambda s: add_customer(s, ctx, CustomerInput(
        name="Acme SRL", email="a@acme.ro", cui="RO18547290", address="Str. A 1", city="Cluj-Napoca",
        county="RO-CJ"))).unwrap()
    numbers: list[str] = []
    for _ in range(count):
        def one(session: Any) -> Any:
            draft = drafts.create_draft(session, ctx, DocumentKind.INVOICE, drafts.DraftInput(
                customer="1", lines=("Hosting|1|100", "Backup|2|9.99|standard"))).unwrap()
            return issuing.issue_document(session, ctx, DocumentKind.INVOICE, str(draft["id"]))

        numbers.append(run_in_transaction(db, one).unwrap()["number"])
    db.engine.dispose()
    return numbers


def worker(spec: dict[str, Any]) -> None:
    import resource

    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import read_session
    from praho_cli.services.billing import efactura
    from praho_cli.services.context import ServiceContext

    db = open_database(spec["url"])
    ctx = ServiceContext(now=lambda: NOW, actor="bench", setting=SETTINGS.get)
    started = time.perf_counter()
    size = 0
    with read_session(db) as session:
        for number in spec["numbers"]:
            size += len(efactura.export_document(session, ctx, number).unwrap()["xml"])
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if spec.get("sample"):
        with read_session(db) as session:
            Path(spec["sample"]).write_bytes(efactura.export_document(session, ctx, spec["numbers"][0]).unwrap()["xml"])
    sys.stdout.write(json.dumps({"elapsed": elapsed, "peak_mb": peak, "bytes": size}))


def timed(args: list[str], env: dict[str, str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rules", default=str(ROOT / "tests" / "fixtures" / "efactura" / "anaf-validation-1.0.9"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(Path(args.worker).read_text()))
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, _cleanup = fresh_ledger("sqlite", None, tmp)
        numbers = seed(url, args.count)
        sample = tmp / "sample.xml"
        spec = tmp / "spec.json"
        spec.write_text(json.dumps({"url": url, "numbers": numbers, "sample": str(sample)}))
        out = subprocess.run([sys.executable, __file__, "--worker", str(spec)], check=True, capture_output=True,
                             text=True)
        export = json.loads(out.stdout)
        praho = str(Path(sys.executable).parent / "praho")
        env = {**os.environ, "HOME": str(tmp), "XDG_CACHE_HOME": str(tmp / "cache"), "PRAHO_DATABASE_URL": url}
        plain = timed([praho, "efactura", "validate", str(sample)], {**env, "PRAHO_EFACTURA_RULES_DIR": ""},
                      args.repeat)
        rules = Path(args.rules)
        with_rules = None
        if rules.is_dir():
            rules_env = {**env, "PRAHO_EFACTURA_RULES_DIR": str(rules)}
            subprocess.run([praho, "efactura", "validate", str(sample)], env=rules_env, check=True,
                           capture_output=True)  # compile into the cache
            with_rules = timed([praho, "efactura", "validate", str(sample)], rules_env, args.repeat)
    rate = args.count / export["elapsed"]
    load = os.getloadavg()[0]
    body = f"""`python bench/bench_efactura.py --write`: {args.count:,} issued invoices (two lines each) in a SQLite
ledger, exported to UBL in one process through `services.billing.efactura.export_document`; then
`praho efactura validate` of one of them as a process (median of {args.repeat}). Load average at the end:
{load:.1f} on {os.cpu_count()} CPUs.

| what | figure |
|---|---:|
| export: documents / s | {rate:,.0f} |
| export: peak RSS | {export["peak_mb"]:.0f} MB |
| export: average document | {export["bytes"] / args.count / 1024:.1f} KB |
| `efactura validate` (XSD and praho's CIUS-RO checks) | {plain:.2f} s |
| `efactura validate` with ANAF's schematron (compiled rules cached) | {f"{with_rules:.2f} s" if with_rules else "–"} |

{ANALYSIS}"""
    print(body)
    if args.write:
        from _report import write_section

        write_section("e-Factura", body)


if __name__ == "__main__":
    main()
