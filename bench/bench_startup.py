"""Start-up and list latency (issue 2): median wall time of whole commands, beside bare imports.

    python bench/bench_startup.py [--runs 21]

Targets: `praho --help` within 1.5x of `python -c "import typer"`; `praho customers list -o json`
over 1,000 customers (SQLite) within 1.5x of `python -c "import sqlmodel"`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section


def median_seconds(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seed(env: dict[str, str], count: int) -> None:
    from datetime import UTC, datetime

    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.models import Customer
    from praho_cli.ledger.schema import upgrade

    db = open_database(env["PRAHO_DATABASE_URL"])
    upgrade(db)
    now = datetime.now(UTC)
    from sqlmodel import Session

    with Session(db.writer()) as session:
        for i in range(count):
            session.add(Customer(kind="company", name=f"Customer {i}", email=f"c{i}@example.ro", country="RO",
                                 currency="RON", created_at=now, updated_at=now))
        session.commit()
    db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="praho-bench-"))
    env = {**os.environ, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "c"),
           "PRAHO_DATABASE_URL": f"sqlite:///{tmp / 'ledger.db'}"}
    seed(env, 1000)
    py = sys.executable
    praho = [py, "-m", "praho_cli"]
    rows = [
        ("python -c 'import typer'", [py, "-c", "import typer"]),
        ("python -c 'import sqlmodel'", [py, "-c", "import sqlmodel"]),
        ("praho --version", [*praho, "--version"]),
        ("praho --help", [*praho, "--help"]),
        ("praho customers list -o json (1,000 rows)", [*praho, "customers", "list", "-o", "json"]),
    ]
    results = {name: median_seconds(cmd, env, args.runs) for name, cmd in rows}
    typer_s = results["python -c 'import typer'"]
    sqlmodel_s = results["python -c 'import sqlmodel'"]
    help_ratio = results["praho --help"] / typer_s
    list_ratio = results["praho customers list -o json (1,000 rows)"] / sqlmodel_s
    lines = ["| command | median wall time |", "|---|---|"]
    lines += [f"| `{name}` | {seconds * 1000:.0f} ms |" for name, seconds in results.items()]
    body = "\n".join(lines) + (
        f"\n\n`praho --help` / `import typer`: **{help_ratio:.2f}x** (target <= 1.5x: "
        f"{'met' if help_ratio <= 1.5 else 'NOT met'}).\n"
        f"`customers list -o json` / `import sqlmodel`: **{list_ratio:.2f}x** (target <= 1.5x: "
        f"{'met' if list_ratio <= 1.5 else 'NOT met'}).\n\n"
        f"Medians of {args.runs} runs each, measured in one run of `python bench/bench_startup.py`, "
        "each command a fresh process (`python -m praho_cli`)."
    )
    write_section("Start-up", body)
    print(body)


if __name__ == "__main__":
    main()
