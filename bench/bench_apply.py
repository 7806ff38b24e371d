"""Benchmark: `accounts apply` of 200 accounts across 10 simulated servers, 0.5 s per create.

Ideal: 20 serial creates per server with the servers in parallel = 20 × 0.5 s = 10 s. Target ≤ 1.3×.
Run: python bench/bench_apply.py [--accounts 200] [--servers 10] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()

    from praho_cli.config import schema
    from praho_cli.ledger.engine import open_database, sqlite_url_for
    from praho_cli.ledger.schema import upgrade
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.billing import customers
    from praho_cli.services.context import ServiceContext
    from praho_cli.services.hosting import checks, connections, manifest, servers
    from praho_cli.virtualmin.simulator import Fault, serve_many

    defaults = {s.key: s.default for s in schema.SETTINGS}
    ctx = ServiceContext(now=lambda: datetime.now(UTC), actor="bench", setting=lambda k: defaults.get(k))
    password = secrets.token_urlsafe(12)
    per_server = -(-args.accounts // args.servers)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(sqlite_url_for(Path(tmp) / "ledger.db"))
        upgrade(db)
        names = [f"vm{i}" for i in range(1, args.servers + 1)]
        faults = [Fault("latency", seconds=args.latency, programs=("create-domain",))]
        with serve_many(names, Path(tmp) / "sim", password=password, faults=faults) as fleet:
            run_in_transaction(db, lambda s: customers.add_customer(s, ctx, customers.CustomerInput(
                name="Bench SRL", email="bench@bench.ro"))).unwrap()
            for sim in fleet:
                run_in_transaction(db, lambda s, sim=sim: servers.add_server(s, ctx, sim.name, servers.ServerInput(
                    url=sim.url, max_domains=per_server))).unwrap()
            clients = connections.client_provider(ctx.setting, lambda _k: password)
            checks.check_servers(db, ctx, clients, [], True).unwrap()
            entries = [manifest.Entry(f"site{i:04d}.ro", "bench@bench.ro", None, None, "active", None, None)
                       for i in range(args.accounts)]
            started = time.perf_counter()
            results = manifest.apply(db, ctx, clients, entries, args.servers).unwrap()
            wall = time.perf_counter() - started
        db.engine.dispose()
    failed = [r for r in results if r["outcome"] != "done"]
    ideal = per_server * args.latency
    print(f"accounts={args.accounts} servers={args.servers} latency={args.latency}s "
          f"wall={wall:.2f}s ideal={ideal:.2f}s ratio={wall / ideal:.2f} failed={len(failed)}")


if __name__ == "__main__":
    main()
