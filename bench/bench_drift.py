"""Benchmark: `praho drift scan` as a process over 50 simulated servers x 200 domains, 100 ms latency.

    python bench/bench_drift.py [--servers 50] [--domains 200] [--latency 0.1] [--runs 5]
                                [--compare DIR] [--write]

The simulated servers run in a separate process (as real servers are other machines), each on its
own loopback port, answering after the latency. The ledger (SQLite) holds exactly the accounts the
servers host, so a scan finds no drift and records nothing but its audit event.

Each scan is the whole command as cron or a shell runs it: a fresh ``python -m praho_cli drift scan``
process, start-up included. It is timed over fleets of 1, 10, ``--servers`` and twice the default
parallelism (drift.parallel) servers, with the median wall time of ``--runs`` runs, the ratio to one
server (target: at most 1.3x at ``--servers``), the CPU time and the peak RSS of the process (target:
flat as servers grow). ``--compare DIR`` also runs another checkout's code (its ``praho_cli`` first
on ``PYTHONPATH``) against the same fleets, the runs of both interleaved, so the two are measured
side by side. ``--write`` replaces the "Drift scan" section of docs/benchmarks.md (this checkout only).

Each replayed server answers only the request the scan really sends (captured from the client call
drift makes, VirtualminClient.list_domain_states); any other request gets HTTP 400 and fails the run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-pass"


def _capture(state_dir: str, domains: int) -> tuple[bytes, int, list[tuple[str, str]], bytes]:
    """What the drift scan sends to a server and the simulator's exact reply (request body, status,
    headers, body) for a server named vm01. The request is made by the very client call `drift scan`
    makes (VirtualminClient.list_domain_states over the HTTP transport); a hook records the exchange."""
    import httpx

    from praho_cli.virtualmin import FixedSecret, ServerConnection, VirtualminClient
    from praho_cli.virtualmin.http import HttpTransport
    from praho_cli.virtualmin.simulator import SimState, serve

    state = SimState(Path(state_dir) / "vm01.json")
    state.seed_domains(f"vm01d{i:04d}.test" for i in range(domains))
    seen: list[httpx.Response] = []

    def record(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    with serve(state, password=PASSWORD) as sim:
        conn = ServerConnection("vm01", "http", url=sim.url, username="root", password=FixedSecret(PASSWORD))
        with httpx.Client(event_hooks={"response": [record]}, trust_env=False) as http:
            states = VirtualminClient(HttpTransport(conn, client=http)).list_domain_states()
    if len(seen) != 1 or len(states) != domains:
        raise SystemExit(f"capture failed: {len(seen)} exchanges, {len(states)} domains")
    reply = seen[0]
    headers = [(k, v) for k, v in reply.headers.multi_items() if k.lower() not in ("content-length", "connection")]
    return reply.request.content, reply.status_code, headers, reply.content


def _serve_fleet(state_dir: str, names: list[str], domains: int, latency: float, conn: Any) -> None:
    """Replay the simulator's captured reply from one asyncio loop, one port per server.

    The full simulator spends tenths of a second of CPU rendering 200 domains; fifty of them on a 2-core
    machine would measure the simulator, not praho. Real servers are separate machines, so each
    replayed server costs nothing but its injected latency."""
    import asyncio

    request_body, status, headers, template = _capture(state_dir, domains)
    refused = b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    async def main() -> None:
        urls: dict[str, str] = {}
        servers = []
        for name in names:
            body = template.replace(b"vm01", name.encode())
            head = f"HTTP/1.0 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            response = (head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body

            async def handle(reader: Any, writer: Any, response: bytes = response) -> None:
                head_bytes = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head_bytes.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                # Only the captured request gets the captured reply: a scan sending anything else fails.
                body = await reader.readexactly(length)
                await asyncio.sleep(latency)
                writer.write(response if body == request_body else refused)
                await writer.drain()
                writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            servers.append(server)
            urls[name] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        conn.send(urls)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # stop
        for server in servers:
            server.close()

    asyncio.run(main())


def _ledger(url: str, urls: dict[str, str], domains: int) -> None:
    from sqlalchemy import insert

    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.models import Customer
    from praho_cli.ledger.models.hosting import HostingAccount, Server
    from praho_cli.ledger.schema import upgrade

    db = open_database(url, 30000)
    upgrade(db)
    now = datetime.now(UTC)
    with db.writer().begin() as conn:
        conn.execute(insert(Customer).values(kind="company", name="Bench SRL", email="bench@bench.ro", country="RO",
                                             currency="RON", vat_payer=False, created_at=now, updated_at=now,
                                             version=1))
        for server_id, (name, server_url) in enumerate(sorted(urls.items()), start=1):
            conn.execute(insert(Server).values(id=server_id, name=name, kind="http", url=server_url,
                                               max_domains=domains, current_domains=domains, created_at=now,
                                               updated_at=now))
            conn.execute(insert(HostingAccount), [
                {"domain": f"{name}d{i:04d}.test", "domain_unicode": f"{name}d{i:04d}.test", "customer_id": 1,
                 "server_id": server_id, "username": f"{name}d{i:04d}", "plan": "Default Plan", "status": "active",
                 "holds_slot": True, "created_at": now, "updated_at": now} for i in range(domains)])
    db.engine.dispose()


class Sample(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds, user + system
    rss: int  # peak resident set, KiB


def _scan_process(tree: Path, url: str, names: list[str], home: Path, work: Path) -> Sample:
    """One `praho drift scan` run as its own process with ``tree``'s code: its wall time, and from
    wait4 its CPU time and peak RSS (with any process it started and waited for)."""
    environ = {**os.environ, "PYTHONPATH": str(tree), "PRAHO_DATABASE_URL": url, "HOME": str(home),
               "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
               "PRAHO_ACTOR": "bench"}
    environ |= {f"PRAHO_SERVERS_{n.upper()}_PASSWORD": PASSWORD for n in names}
    with tempfile.TemporaryFile(dir=work) as out, tempfile.TemporaryFile(dir=work) as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "praho_cli", "drift", "scan", "--exit-code", "-o", "jsonl"],
                                env=environ, cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0 or out.read():
            raise SystemExit(f"scan process of {tree} failed ({proc.returncode}): {err.read()[:500]!r}")
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


FLEET_START_TIMEOUT = 120.0


def _wait_for_fleet(parent: Any, proc: multiprocessing.Process, timeout: float | None = None) -> Any:
    """The fleet's URLs, once its process has started every server. A fleet process that dies first
    (an ImportError, a failed capture) or never answers fails the benchmark with a clear error instead
    of leaving it waiting forever."""
    timeout = FLEET_START_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while not parent.poll(0.2):
        if not proc.is_alive():
            raise SystemExit(f"the simulated fleet's process exited with code {proc.exitcode} before serving "
                             "(its traceback, if any, is above)")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"the simulated fleet did not start within {timeout:.0f} s")
    try:
        return parent.recv()
    except EOFError:
        raise SystemExit(f"the simulated fleet's process closed its pipe (exit code {proc.exitcode})") from None


def stop_fleet(proc: multiprocessing.Process, parent: Any) -> None:
    if proc.is_alive():
        parent.send("stop")
        proc.join(timeout=30)
    if proc.is_alive():
        proc.kill()


def _ledgers(work: Path, urls: dict[str, str], sizes: list[int], domains: int) -> dict[int, tuple[str, list[str]]]:
    """A SQLite ledger per fleet size holding the first ``size`` servers and their accounts."""
    names = sorted(urls)
    ledgers = {}
    for size in sizes:
        url = f"sqlite:///{work / f'ledger-{size}.db'}"
        _ledger(url, {n: urls[n] for n in names[:size]}, domains)
        ledgers[size] = (url, names[:size])
    return ledgers


def measure(trees: dict[str, Path], sizes: list[int], domains: int, latency: float, runs: int,
            work: Path) -> dict[tuple[str, int], list[Sample]]:
    """Samples per (tree, fleet size); every run goes once through every size and tree, so a host that
    slows down during the benchmark weighs on all of them alike."""
    names = [f"vm{i:02d}" for i in range(1, max(sizes) + 1)]
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_serve_fleet, args=(str(work / "sim"), names, domains, latency, child),
                                   daemon=True)
    proc.start()
    samples: dict[tuple[str, int], list[Sample]] = {(t, n): [] for t in trees for n in sizes}
    try:
        ledgers = _ledgers(work, _wait_for_fleet(parent, proc), sizes, domains)
        for run in range(runs + 1):  # the first run warms the file cache and the fleet's connections
            for size in sizes:
                url, fleet = ledgers[size]
                for label, tree in trees.items():
                    sample = _scan_process(tree, url, fleet, work / f"home-{label}-{size}", work)
                    if run:
                        samples[(label, size)].append(sample)
    finally:
        stop_fleet(proc, parent)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=50)
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", type=Path, metavar="DIR", help="another checkout to measure beside this one")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    from praho_cli.config.schema import SETTINGS

    parallel = next(s.default for s in SETTINGS if s.key == "drift.parallel")
    sizes = sorted({1, 10, args.servers, 2 * parallel})
    trees = {"this checkout": ROOT}
    if args.compare is not None:
        trees = {"compared": args.compare.resolve(), **trees}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        samples = measure(trees, sizes, args.domains, args.latency, args.runs, Path(tmp))
    load_after = os.getloadavg()[0]

    def med(label: str, size: int, field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples[(label, size)])

    latency_ms = round(args.latency * 1000)
    head = "| servers | domains |"
    rule = "|---:|---:|"
    for label in trees:
        tag = f" ({label})" if len(trees) > 1 else ""
        head += f" wall time{tag} | / 1 server{tag} | CPU time{tag} | peak RSS{tag} |"
        rule += "---:|---:|---:|---:|"
    lines = [
        f"`python bench/bench_drift.py` — `praho drift scan --exit-code` run as a process (start-up "
        f"included) over simulated servers of {args.domains} domains each, every reply {latency_ms} ms "
        f"after its request (loopback HTTP, the servers in another process); SQLite ledger holding exactly "
        f"those accounts, so no drift. Default parallelism (drift.parallel = {parallel}); medians of "
        f"{args.runs} runs, interleaved. Load average (1 min) {load_before:.1f} before, {load_after:.1f} after.",
        "",
        head,
        rule,
    ]
    for size in sizes:
        row = f"| {size} | {size * args.domains:,} |"
        for label in trees:
            wall, one = med(label, size, "wall"), med(label, 1, "wall")
            row += (f" {wall * 1000:.0f} ms | {wall / one:.2f}x | {med(label, size, 'cpu') * 1000:.0f} ms | "
                    f"{med(label, size, 'rss') / 1024:.0f} MB |")
        lines.append(row)
    body = "\n".join(lines)
    print(body)
    if args.write:
        from bench._report import write_section

        write_section("Drift scan", body)


if __name__ == "__main__":
    main()
