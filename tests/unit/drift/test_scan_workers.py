"""How a scan reads a large fleet: worker processes forked for it when the transports allow it (the HTTP
transport before its first call), with the same reads as threads give; a worker that dies or stalls has
its servers read by the scan itself; and every case where the reads stay in threads."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator

import pytest

from praho_cli.ledger.models.hosting import Server
from praho_cli.result import ErrorCode, PrahoFailure
from praho_cli.services import drift
from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.connection import FixedSecret, ServerConnection
from praho_cli.virtualmin.http import HttpTransport
from praho_cli.virtualmin.transport import RemoteReply
from tests.unit.virtualmin.fake import FakeTransport

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are Linux-only")

PARENT = os.getpid()


class Forkable:
    """A transport a forked worker may use. Each server lists two domains (one a sub-server) and names
    the process that read it in the username; ``mode`` makes one server's read misbehave in a worker."""

    def __init__(self, server: str, mode: str = "ok") -> None:
        self.server = server
        self.mode = mode

    def prepare_fork(self) -> bool:
        return True

    def call(self, program: str, params: object, *, mutating: bool) -> RemoteReply:
        in_worker = os.getpid() != PARENT
        if self.mode == "down":
            raise PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, f"{self.server}: cannot connect")
        if self.mode == "die" and in_worker:
            os._exit(3)
        if self.mode == "hang" and in_worker:
            time.sleep(60)
        if self.mode == "noisy":
            logging.getLogger("praho.virtualmin").error("worker log line from %s", os.getpid())
            warnings.warn(f"worker warning from {os.getpid()}", stacklevel=1)
            os.write(2, b"")  # the stream itself stays usable
        text = (f"{self.server}.test\n    ID: 1\n    Type: Top-level server\n    Plan ID: 0\n    Plan: Default\n"
                f"    Username: u{os.getpid()}\n    Disabled: Manually\n"
                f"shop.{self.server}.test\n    ID: 2\n    Type: Sub-server\n    Parent domain: {self.server}.test\n"
                f"    Username: u{os.getpid()}\n")
        return RemoteReply(program, output=text)

    def close(self) -> None:
        pass


def fleet(count: int, modes: dict[str, str] | None = None) -> tuple[list[Server], drift.ClientProvider]:
    servers = [Server(id=i, name=f"vm{i:02d}", kind="http", url=f"https://vm{i:02d}.test:10000")
               for i in range(1, count + 1)]
    clients = {s.name: VirtualminClient(Forkable(s.name, (modes or {}).get(s.name, "ok"))) for s in servers}
    return servers, lambda server: clients[server.name]


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(drift, "_usable_cpus", lambda: 2)
    yield


def readers(reads: list[drift.ServerRead]) -> set[int]:
    """The processes that read the servers (from the usernames the transport wrote)."""
    return {int(d.username[1:]) for r in reads for d in r.domains or () if d.username}


def summary(reads: list[drift.ServerRead]) -> list[tuple[object, ...]]:
    return [(r.server, r.error, [(d.domain, d.plan, d.plan_id, d.disabled) for d in r.domains or ()])
            for r in reads]


@linux_only
def test_a_large_fleet_is_read_by_worker_processes_with_the_reads_threads_give(two_cpus: None) -> None:
    servers, clients = fleet(20, {"vm07": "down"})
    assert drift._worker_count(servers, clients) == 2
    progress: list[tuple[str, int, int]] = []
    reads = drift.read_servers(servers, clients, 64, lambda name, done, total: progress.append((name, done, total)))
    assert PARENT not in readers(reads) and len(readers(reads)) == 2
    assert [r.server for r in reads] == [s.name for s in servers]
    # top-level domains only, and the unreachable server is one read with its error, as with threads
    assert reads[0].domains is not None and [d.domain for d in reads[0].domains] == ["vm01.test"]
    assert reads[6].error == "vm07: cannot connect" and reads[6].domains is None
    assert sorted(name for name, _done, _total in progress) == [s.name for s in servers]
    assert [done for _name, done, _total in progress] == list(range(1, 21)) and {t for *_x, t in progress} == {20}
    threaded = drift._read_with_threads(servers, clients, 64)
    assert readers(threaded) == {PARENT}
    assert summary(reads) == summary(sorted(threaded, key=lambda r: r.server))


@linux_only
def test_the_servers_of_a_worker_that_dies_are_read_by_the_scan_itself(two_cpus: None) -> None:
    servers, clients = fleet(20, {"vm02": "die"})
    reads = drift.read_servers(servers, clients, 64)
    assert [r.server for r in reads] == [s.name for s in servers] and all(r.reachable for r in reads)
    # vm02's worker (every second server from vm02) died; the other worker read the rest
    by_reader = {r.server: readers([r]) for r in reads}
    assert by_reader["vm02"] == {PARENT}
    assert {p for name, pids in by_reader.items() if name != "vm02" for p in pids} - {PARENT}


@linux_only
def test_a_silent_worker_is_ended_after_the_stall_limit_and_its_servers_read_here(two_cpus: None) -> None:
    servers, clients = fleet(16, {"vm01": "hang"})
    started = time.monotonic()
    reading = drift._Reading(servers, clients, 64, None, stall_seconds=1.0)
    reads = reading.result()
    assert time.monotonic() - started < 10
    assert [r.server for r in reads] == [s.name for s in servers] and all(r.reachable for r in reads)
    assert readers([r for r in reads if r.server == "vm01"]) == {PARENT}


def test_the_reads_stay_in_threads_where_workers_would_not_be_safe_or_pay(two_cpus: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    servers, clients = fleet(20)
    assert drift._worker_count(servers[:15], clients) == 0  # too few servers to pay for a fork
    fake = VirtualminClient(FakeTransport("vm"))  # the fakes (and SSH) do not say a child may use them
    assert drift._worker_count(servers, lambda _s: fake) == 0
    monkeypatch.setattr(drift, "_usable_cpus", lambda: 1)
    assert drift._worker_count(servers, clients) == 0
    monkeypatch.setattr(drift, "_usable_cpus", lambda: 2)
    if sys.platform.startswith("linux"):
        assert drift._worker_count(servers, clients) == 2
    # a non-daemon thread is other work running in this process: a fork would copy it half-way
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=False)
    other.start()
    try:
        assert drift._worker_count(servers, clients) == 0
    finally:
        release.set()
        other.join()


def test_an_http_transport_may_be_used_by_a_worker_only_before_its_first_call() -> None:
    conn = ServerConnection("vm1", "http", url="http://127.0.0.1:1", username="root", password=FixedSecret("x"))
    fresh = VirtualminClient(HttpTransport(conn))
    assert fresh.prepare_fork()
    assert "httpcore" in sys.modules  # imported here once, not again in every worker
    with pytest.raises(PrahoFailure):
        fresh.list_domain_states()  # nothing listens on port 1: the transport has opened its client
    assert not fresh.prepare_fork()
    import httpx

    with httpx.Client() as shared:
        assert not VirtualminClient(HttpTransport(conn, client=shared)).prepare_fork()


@linux_only
def test_a_worker_writes_nothing_to_the_stderr_it_shares_with_the_scan(two_cpus: None,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    servers, clients = fleet(16, {s: "noisy" for s in [f"vm{i:02d}" for i in range(1, 17)]})
    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("praho.virtualmin")
    logger.addHandler(handler)
    try:
        reads = drift.read_servers(servers, clients, 64)
    finally:
        logger.removeHandler(handler)
    assert all(r.reachable for r in reads) and PARENT not in readers(reads)
    err = capfd.readouterr().err
    assert "worker log line" not in err and "worker warning" not in err
    # the same transport in the scan's own threads does log (the test would see a worker's lines)
    with warnings.catch_warnings(record=True):
        logger.addHandler(handler)
        try:
            drift._read_with_threads(servers[:1], clients, 1)
        finally:
            logger.removeHandler(handler)
    assert f"worker log line from {PARENT}" in capfd.readouterr().err
