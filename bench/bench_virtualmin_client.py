"""Benchmark: the Virtualmin client's overhead over a raw httpx call, and parser throughput.

    python bench/bench_virtualmin_client.py [--write]

For list-domains with 1, 100 and 1,000 domains on the simulator (loopback, plain HTTP), it times
(a) a raw httpx POST of the same form body plus ``json.loads`` of the reply and (b)
``VirtualminClient.list_domains()`` (transport, envelope checks, record parsing, typed records),
and reports the median of each and their ratio (target: within 1.2x). It then times the record
parser on a 1,000-domain ``--multiline`` listing. ``--write`` replaces the "## Virtualmin client"
section of docs/benchmarks.md with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.connection import FixedSecret, ServerConnection
from praho_cli.virtualmin.http import HttpTransport
from praho_cli.virtualmin.records import DomainRecord, parse_multiline
from praho_cli.virtualmin.simulator.server import serve
from praho_cli.virtualmin.simulator.state import SimState

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-pass"
SECTION = "## Virtualmin client"


def median_seconds(fn: object, runs: int) -> float:
    assert callable(fn)
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_overhead(count: int, runs: int, workdir: Path) -> tuple[float, float]:
    state = SimState(workdir / f"bench-{count}.json")
    state.seed_domains(f"d{i:05d}.test" for i in range(count))
    with serve(state, password=PASSWORD, shuffle_keys=False) as sim:
        conn = ServerConnection("bench", "http", url=sim.url, username="root", password=FixedSecret(PASSWORD))
        client = VirtualminClient(HttpTransport(conn))
        body = HttpTransport.encode("list-domains", [])
        raw = httpx.Client(follow_redirects=False, trust_env=False)
        auth = httpx.BasicAuth("root", PASSWORD)

        def raw_call() -> None:
            response = raw.post(
                sim.remote_url, content=body, auth=auth, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            assert len(json.loads(response.text)["data"]) == count

        def client_call() -> None:
            assert len(client.list_domains()) == count

        # interleave so drift in the machine's load hits both sides alike
        raw_times, client_times = [], []
        for _ in range(3):
            raw_times.append(median_seconds(raw_call, runs))
            client_times.append(median_seconds(client_call, runs))
        raw.close()
        client.close()
        return statistics.median(raw_times), statistics.median(client_times)


def bench_parser(count: int, workdir: Path) -> tuple[float, int]:
    from praho_cli.virtualmin.simulator.command import execute

    state = SimState(workdir / "parser.json")
    state.seed_domains(f"p{i:05d}.test" for i in range(count))
    text = execute(state.path, ["list-domains", "--multiline"])[0].decode()
    assert len(parse_multiline(text)) == count

    def parse() -> None:
        records = [DomainRecord.from_raw(r) for r in parse_multiline(text)]
        assert len(records) == count

    return median_seconds(parse, 7), len(text.encode())


def render(rows: list[tuple[int, float, float]], parse_s: float, parse_bytes: int, count: int) -> str:
    lines = [
        SECTION,
        "",
        f"`python bench/bench_virtualmin_client.py --write` on {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, {time.strftime('%Y-%m-%d')}. "
        "Simulator on loopback, plain HTTP; medians. Load average at the end of the run: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (the simulator runs in the same process, so a "
        "loaded host inflates both columns and the ratio).",
        "",
        "list-domains (multiline) per call: raw httpx POST + json.loads vs VirtualminClient.list_domains()"
        " (target: client within 1.2x of raw)",
        "",
        "| domains | raw httpx | client | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for n, raw_s, client_s in rows:
        lines.append(f"| {n:,} | {raw_s * 1000:.2f} ms | {client_s * 1000:.2f} ms | {client_s / raw_s:.2f}x |")
    lines += [
        "",
        f"Record parser on a {count:,}-domain `--multiline` listing ({parse_bytes / 1e6:.2f} MB of text), "
        "parse_multiline + DomainRecord.from_raw:",
        f"{parse_s * 1000:.1f} ms, {count / parse_s:,.0f} domains/s, {parse_bytes / parse_s / 1e6:.1f} MB/s.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str) -> Path:
    path = ROOT / "docs" / "benchmarks.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    start = text.find(SECTION + "\n")
    if start == -1:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(SECTION))
        end = len(text) if following == -1 else following + 1
        new = text[:start] + section + ("\n" + text[end:] if following != -1 else "")
    path.write_text(new.rstrip("\n") + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="praho-bench-") as tmp:
        workdir = Path(tmp)
        rows = []
        for count, runs in ((1, 30), (100, 15), (1000, 5)):
            raw_s, client_s = bench_overhead(count, runs, workdir)
            rows.append((count, raw_s, client_s))
            print(
                f"{count:>5} domains: raw {raw_s * 1000:8.2f} ms  client {client_s * 1000:8.2f} ms  "
                f"ratio {client_s / raw_s:.2f}x",
                flush=True,
            )
        parse_s, parse_bytes = bench_parser(1000, workdir)
        print(f"parser: 1000 domains in {parse_s * 1000:.1f} ms ({1000 / parse_s:,.0f} domains/s)")
    section = render(rows, parse_s, parse_bytes, 1000)
    if args.write:
        print(f"wrote {write_section(section)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
