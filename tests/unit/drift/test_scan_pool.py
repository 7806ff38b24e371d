"""How a scan reads a fleet: a bounded pool of threads, at most ``parallel`` reads in flight, progress
reported as each server is read, an unreachable server one read with its error, and the reads not
started yet cancelled when the scan is left early."""

from __future__ import annotations

import threading
import time

import pytest

from praho_cli.ledger.models.hosting import Server
from praho_cli.result import ErrorCode, PrahoFailure
from praho_cli.services.drift import scan as drift
from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.transport import RemoteReply


class Counting:
    """A transport whose list-domains lists two domains (one a sub-server); the shared ``flight`` counts
    the reads in flight at once and remembers the most. A read waits (up to ``delay`` seconds) until
    ``want`` reads are in flight, so a slow thread start on a loaded host cannot hide the parallelism."""

    def __init__(self, server: str, flight: dict[str, int], cond: threading.Condition, delay: float,
                 want: int, mode: str = "ok") -> None:
        self.server, self.flight, self.cond, self.delay, self.want, self.mode = (
            server, flight, cond, delay, want, mode)

    def call(self, program: str, params: object, *, mutating: bool) -> RemoteReply:
        with self.cond:
            self.flight["now"] += 1
            self.flight["most"] = max(self.flight["most"], self.flight["now"])
            self.flight["started"] += 1
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.flight["most"] >= self.want, timeout=self.delay)
        try:
            if self.mode == "down":
                raise PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, f"{self.server}: cannot connect")
            text = (f"{self.server}.test\n    ID: 1\n    Type: Top-level server\n    Plan ID: 0\n"
                    f"    Plan: Default\n    Username: u1\n    Disabled: Manually\n"
                    f"shop.{self.server}.test\n    ID: 2\n    Type: Sub-server\n"
                    f"    Parent domain: {self.server}.test\n    Username: u1\n")
            return RemoteReply(program, output=text)
        finally:
            with self.cond:
                self.flight["now"] -= 1

    def close(self) -> None:
        pass


def fleet(count: int, want: int, delay: float = 1.0, modes: dict[str, str] | None = None
          ) -> tuple[list[Server], drift.ClientProvider, dict[str, int]]:
    servers = [Server(id=i, name=f"vm{i:02d}", kind="http", url=f"https://vm{i:02d}.test:10000")
               for i in range(count, 0, -1)]  # not in name order: the reads come back sorted
    flight = {"now": 0, "most": 0, "started": 0}
    cond = threading.Condition()
    clients = {s.name: VirtualminClient(Counting(s.name, flight, cond, delay, want, (modes or {}).get(s.name, "ok")))
               for s in servers}
    return servers, lambda server: clients[server.name], flight


def read_all(servers: list[Server], clients: drift.ClientProvider, parallel: int,
             progress: drift.Progress | None = None) -> list[drift.ServerRead]:
    with drift._reading(servers, parallel) as pool:
        return drift._collect([pool.submit(drift._read_one, clients, s) for s in servers], progress)


def test_a_fleet_is_read_in_parallel_top_level_domains_only_with_progress() -> None:
    servers, clients, flight = fleet(20, want=20, delay=5.0, modes={"vm07": "down"})
    progress: list[tuple[str, int, int]] = []
    calling = threading.get_ident()
    seen_threads: set[int] = set()

    def report(name: str, done: int, total: int) -> None:
        seen_threads.add(threading.get_ident())
        progress.append((name, done, total))

    reads = read_all(servers, clients, 64, report)
    assert flight["most"] == 20  # all at once, not one after another
    assert [r.server for r in reads] == [f"vm{i:02d}" for i in range(1, 21)]
    assert reads[0].domains is not None and [d.domain for d in reads[0].domains] == ["vm01.test"]
    assert reads[6].error == "vm07: cannot connect" and reads[6].domains is None
    assert sorted(name for name, _done, _total in progress) == [r.server for r in reads]
    assert [done for _name, done, _total in progress] == list(range(1, 21)) and {t for *_x, t in progress} == {20}
    assert seen_threads == {calling}  # a progress bar is only ever driven from the scan's own thread


@pytest.mark.parametrize("parallel", [1, 3])
def test_never_more_than_parallel_reads_in_flight(parallel: int) -> None:
    servers, clients, flight = fleet(9, want=parallel + 1, delay=0.05)  # would wait for one read too many
    reads = read_all(servers, clients, parallel)
    assert all(r.reachable for r in reads) and len(reads) == 9
    assert flight["most"] == parallel


def test_leaving_the_scan_early_cancels_the_reads_not_started() -> None:
    servers, clients, flight = fleet(10, want=10, delay=0.3)
    with pytest.raises(KeyboardInterrupt), drift._reading(servers, 2) as pool:
        for server in servers:
            pool.submit(drift._read_one, clients, server)
        raise KeyboardInterrupt
    time.sleep(0.5)
    assert flight["started"] == 2 and flight["now"] == 0  # the two in flight ended, the rest never ran
