"""Experiment: what the drift scan's last target (50 servers within 1.5x of one) would take.

    python bench/bench_drift_paths.py [--runs 7] [--write]

This is not a benchmark of shipped code alone. Beside the scan praho ships, it times the same command
(``praho drift scan`` through ``cli.main.run``, the fleets and ledgers of bench_drift.py) with the
per-server read swapped, inside this process only, for alternatives praho does not ship, so that the
decision they call for (docs/drift.md, "The fleet-scan target") rests on figures anyone can
reproduce:

- ``shipped``: the scan as it is (httpx, a thread per server in each worker process).
- ``stdlib-threads``: each read's HTTP exchange made with the standard library's ``http.client``
  instead of httpx; the envelope and the domain states are read by praho's own functions
  (``interpret_http``, ``parse_domain_states``) in the same threads.
- ``stdlib-one-thread``: as ``stdlib-threads``, but each worker process sends all its requests first
  and then reads the replies one after another on its one thread (no thread per server).
- ``floor``: as ``stdlib-one-thread`` with each reply read but not interpreted (the domain states the
  ledger expects stand in for it): what everything but the envelope and the line scan costs.

The variants only serve this experiment: plain-HTTP loopback, no retries, no TLS, no error mapping.
Runs are interleaved (every variant once, then again) so a host that slows down or speeds up during
the run weighs on every variant alike. ``--write`` replaces the "Drift: what 1.5x would take" section
of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_drift import _scan, start_fleet, stop_fleet  # noqa: E402

VARIANTS = ("shipped", "stdlib-threads", "stdlib-one-thread", "floor")


def _send(server: Any, clients: Callable[[Any], Any]) -> http.client.HTTPConnection:
    """The scan's request to one server, sent with http.client; the reply is read by _finish."""
    from praho_cli.virtualmin.transport import TEXT_FLAG

    transport = clients(server).transport
    url = urlsplit(transport._url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    secret = transport.conn.password() if transport.conn.password else ""
    token = base64.b64encode(f"{transport.conn.username}:{secret}".encode()).decode("ascii")
    conn.request("POST", url.path, transport.encode("list-domains", [(TEXT_FLAG, None)]),
                 {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {token}"})
    return conn


def _finish(server: Any, conn: http.client.HTTPConnection, interpret: bool) -> Any:
    from praho_cli.services.drift_compare import RemoteDomain, ServerRead
    from praho_cli.virtualmin.envelope import interpret_http
    from praho_cli.virtualmin.records import parse_domain_states

    response = conn.getresponse()
    content = response.read()
    conn.close()
    if not interpret:
        # the bench ledger's accounts of this server: vm07d0000.test ... owned by vm07d0000
        count = content.count(b"    ID: ")
        return ServerRead(server.name, tuple(
            RemoteDomain(f"{server.name}d{i:04d}.test", f"{server.name}d{i:04d}", "Default Plan", "0", False)
            for i in range(count)))
    headers = {k.lower(): v for k, v in response.getheaders()}
    text = content.decode("utf-8", errors="replace")
    reply = interpret_http(server.name, "list-domains", response.status, headers, text, mutating=False)
    states = parse_domain_states(reply.output)
    return ServerRead(server.name, tuple([s for s in states if s.top_level]))


@contextmanager
def _variant(name: str) -> Iterator[None]:
    from praho_cli.services import drift

    real_read, real_worker = drift._read_one, drift._worker

    def read_one(clients: Any, server: Any) -> Any:
        return _finish(server, _send(server, clients), interpret=name != "floor")

    def one_thread_worker(servers: Any, clients: Any, parallel: int, out: Any) -> None:
        sent = [(server, _send(server, clients)) for server in servers]
        for server, conn in sent:
            out.send_bytes(drift._compact(_finish(server, conn, interpret=name != "floor")))

    if name != "shipped":
        drift._read_one = read_one  # type: ignore[assignment]
    if name in ("stdlib-one-thread", "floor"):
        drift._worker = one_thread_worker  # type: ignore[assignment]
    try:
        yield
    finally:
        drift._read_one, drift._worker = real_read, real_worker  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=50)
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    walls: dict[tuple[str, int], list[float]] = {(v, n): [] for v in VARIANTS for n in (1, args.servers)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fleets: dict[int, tuple[Any, Any, str, list[str]]] = {}
        try:
            fleets[1] = start_fleet(work, "one", 1, args.domains, args.latency)
            fleets[args.servers] = start_fleet(work, "fleet", args.servers, args.domains, args.latency)
            for run in range(args.runs + 1):  # the first round warms up every variant and is not counted
                for variant in VARIANTS:
                    with _variant(variant):
                        for size, (_proc, _conn, url, names) in fleets.items():
                            wall, _cpu = _scan(url, names, work / f"home-{size}")
                            if run:
                                walls[(variant, size)].append(wall)
        finally:
            for proc, conn, _url, _names in fleets.values():
                stop_fleet(proc, conn)
    load_after = os.getloadavg()[0]
    latency_ms = int(args.latency * 1000)
    lines = [
        f"`python bench/bench_drift_paths.py --runs {args.runs}`: the `drift scan` of bench_drift.py "
        f"({args.domains} domains a server, {latency_ms} ms latency on every call, loopback HTTP), with each "
        f"server's read made four ways; medians of {args.runs} interleaved runs of the whole command. Only "
        f"`shipped` is praho's code; the other rows swap its read inside the benchmark (see the script's "
        f"docstring) to show what the target would take. Load average (1 min) {load_before:.2f} before, "
        f"{load_after:.2f} after.",
        "",
        f"| read | 1 server | {args.servers} servers | ratio (target <= 1.5x) |",
        "|---|---|---|---|",
    ]
    for variant in VARIANTS:
        one = statistics.median(walls[(variant, 1)])
        fleet = statistics.median(walls[(variant, args.servers)])
        lines.append(f"| {variant} | {one * 1000:.0f} ms | {fleet * 1000:.0f} ms | {fleet / one:.2f}x |")
    lines += [
        "",
        "- `shipped`: httpx in a thread per server, praho's envelope and line scan.",
        "- `stdlib-threads`: the same threads and parsing, the HTTP exchange by `http.client`.",
        "- `stdlib-one-thread`: `http.client`; each worker process sends every request, then reads and "
        "parses the replies one after another on one thread.",
        "- `floor`: as `stdlib-one-thread`, replies read but not interpreted (no envelope, no line scan).",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write:
        from bench._report import write_section

        write_section("Drift: what 1.5x would take (issue 7, experiment)", body)


if __name__ == "__main__":
    main()
