"""The drift scan: read every chosen server's domains at once, compare them with the ledger and record
what differs.

The reads run in a bounded thread pool (reads only, so it is wider than for mutations) while the
ledger is read; the comparison is :func:`praho_cli.services.drift.compare.compare` (pure); the drift
records are updated in one unit of work: an open record is refreshed rather than duplicated, and an
open record whose drift is gone is closed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import drift as repo
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.drift import DriftRecord
from praho_cli.ledger.models.hosting import Server
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.result import Err, ErrorCode, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.drift.compare import Drift, LedgerAccount, ServerRead, compare
from praho_cli.services.drift.records import to_public
from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.records import DomainState

ClientProvider = Callable[[Server], VirtualminClient]
Progress = Callable[[str, int, int], None]  # server name, servers done, servers total


@returns_result
def _list_states(clients: ClientProvider, server: Server) -> list[DomainState]:
    # The lean read (list-domains --simple-multiline, only the lines drift compares): a scan is
    # mostly waiting for servers, not parsing their full records.
    return clients(server).list_domain_states()


def _read_one(clients: ClientProvider, server: Server) -> ServerRead:
    try:
        listed = _list_states(clients, server)
    except Exception as exc:  # one server's bad answer must not stop the scan of the others
        return ServerRead(server.name, None, f"unexpected error reading the server: {type(exc).__name__}")
    if isinstance(listed, Err):  # the server could not be read: an unreachable read, not a failed scan
        return ServerRead(server.name, None, listed.error.message[:500])
    states = listed.value
    # Sub-servers and aliases belong to their parent's account; only top-level ones are accounts.
    return ServerRead(server.name, tuple([s for s in states if s.top_level]))


def _collect(futures: Sequence[Future[ServerRead]], progress: Progress | None) -> list[ServerRead]:
    """The reads as they complete (progress is reported from the calling thread), sorted by server."""
    reads: list[ServerRead] = []
    for future in as_completed(futures):
        read = future.result()
        reads.append(read)
        if progress is not None:
            progress(read.server, len(reads), len(futures))
    return sorted(reads, key=lambda r: r.server)


def read_servers(
    servers: Sequence[Server], clients: ClientProvider, parallel: int, progress: Progress | None = None
) -> list[ServerRead]:
    """list-domains on every server, at most ``parallel`` at a time; a failure becomes an unreachable read."""
    with _reading(servers, parallel) as pool:
        return _collect([pool.submit(_read_one, clients, server) for server in servers], progress)


@contextmanager
def _reading(servers: Sequence[Server], parallel: int) -> Iterator[ThreadPoolExecutor]:
    """The bounded pool a scan's reads run in: one thread per server read at once, never more than
    ``parallel``. Leaving it early (an error, Ctrl-C) cancels the reads not started yet; the reads in
    flight end within their timeouts."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallel, len(servers))), thread_name_prefix="drift")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _choose_servers(session: Session, names: Sequence[str]) -> list[Server]:
    """The servers to scan, detached from the session: their loaded columns stay readable after it
    ends (the reads use nothing else)."""
    if not names:
        chosen = list(server_repo.iter_servers(session))
    else:
        chosen = []
        for name in dict.fromkeys(n.strip().lower() for n in names):
            server = server_repo.get_by_name(session, name)
            if server is None:
                raise fail(ErrorCode.NOT_FOUND, f"no server {name!r} (see praho servers list)")
            chosen.append(server)
    for server in chosen:
        session.expunge(server)
    return chosen


@dataclass(frozen=True)
class ScanReport:
    servers: int
    unreachable: list[str]
    drifts: list[dict[str, Any]]  # public records of what this scan found
    new: int
    closed: int


@returns_result
def scan(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str] = (),
    progress: Progress | None = None, parallel: int | None = None,
) -> ScanReport:
    with read_session(db) as session:
        servers = _choose_servers(session, names)
    width = parallel or int(ctx.setting("drift.parallel") or 64)
    with _reading(servers, width) as pool:
        # The servers are read while the ledger is: the slowest server sets the pace, not the sum.
        futures = [pool.submit(_read_one, clients, server) for server in servers]
        with read_session(db) as session:
            # Plain tuples until the comparison: the cyclic collector stops tracking a tuple of strings,
            # never a named tuple, and would walk 10,000 of them on every full pass.
            rows = [tuple(row) for row in repo.ledger_accounts(session)]
        reads = _collect(futures, progress)
    found = compare(map(LedgerAccount._make, rows), reads)
    scanned = {r.server for r in reads}
    reachable = {r.server for r in reads if r.reachable}
    return run_in_transaction(db, lambda session: _record(session, ctx, found, scanned, reachable)).unwrap()


@returns_result
def _record(
    session: Session, ctx: ServiceContext, found: list[Drift], scanned: set[str], reachable: set[str]
) -> ScanReport:
    now = ctx.now()
    existing = repo.open_records(session)
    rows: list[DriftRecord] = []
    new = 0
    for drift in found:
        ledger_json = json.dumps(drift.ledger, sort_keys=True)
        vm_json = json.dumps(drift.virtualmin, sort_keys=True)
        record = existing.pop(drift.key, None)
        if record is None:
            record = DriftRecord(kind=drift.kind, domain=drift.domain, server=drift.server, open_key=drift.key,
                                 ledger_state=ledger_json, virtualmin_state=vm_json, status="pending",
                                 first_seen_at=now, last_seen_at=now, created_at=now, updated_at=now)
            repo.insert(session, record)
            new += 1
        else:
            record.ledger_state, record.virtualmin_state = ledger_json, vm_json
            record.last_seen_at = record.updated_at = now
            record.seen_count += 1
            record.version += 1
            session.add(record)
        rows.append(record)
    closed = 0
    for record in existing.values():
        # Judged only where this scan could see: a record of an unscanned or unreachable server
        # stays open, except the unreachable record of a server that answered this time.
        judged = record.server in reachable if record.kind != "unreachable" else record.server in scanned
        if not judged:
            continue
        record.status, record.resolution, record.open_key = "resolved", "gone", None
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
        closed += 1
    session.flush()
    unreachable = sorted(scanned - reachable)
    audit.append(session, ts=now, actor=ctx.actor, action="drift.scan", entity_type="drift",
                 entity_id=ctx.run_id or "scan",
                 after={"servers": sorted(scanned), "unreachable": unreachable, "found": len(found), "new": new,
                        "closed": closed})
    return ScanReport(len(scanned), unreachable, [to_public(r) for r in rows], new, closed)

