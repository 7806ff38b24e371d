"""Drift: find where Virtualmin differs from the ledger, record it, and resolve it.

A scan reads every chosen server's domains in parallel (reads only, so the pool is wider than for
mutations), compares them with the ledger (:mod:`praho_cli.services.drift_compare`, pure) and
updates the drift records in one unit of work: an open record is refreshed rather than duplicated,
and an open record whose drift is gone is closed. Resolving pushes the ledger's state to Virtualmin,
adopts Virtualmin's state into the ledger, or ignores the record; every action is audited.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import marshal
import multiprocessing
import operator
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, cast

from sqlmodel import Session

from praho_cli.ledger import accounts as account_repo
from praho_cli.ledger import audit
from praho_cli.ledger import drift as repo
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.drift import DriftRecord
from praho_cli.ledger.models.hosting import HostingAccount, Server
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, PrahoFailure, Result, err
from praho_cli.services.context import ServiceContext
from praho_cli.services.drift_compare import KINDS, Drift, LedgerAccount, RemoteDomain, ServerRead, compare
from praho_cli.virtualmin.client import VirtualminClient

STATUSES = ("pending", "resolved", "ignored")
ACTIONS = ("push", "adopt", "ignore")

DRIFT = RecordType(
    name="drift",
    title="Drift record",
    description="A difference between the ledger and a Virtualmin server, and how it was settled.",
    fields=(
        Field("id", "string", "Ledger id of the drift record."),
        Field("kind", "string", "What differs.", enum=KINDS),
        Field("domain", "string|null", "Domain (null for an unreachable server)."),
        Field("server", "string", "Server the ledger places the domain on (or that hosts an unknown domain)."),
        Field("status", "string", "pending, resolved or ignored.", enum=STATUSES),
        Field("ledger_state", "object|null", "What the ledger says: server, status, plan, username (null: "
              "the ledger has no such account)."),
        Field("virtualmin_state", "object|null", "What Virtualmin says: server, status (enabled/disabled), plan, "
              "username; or the read error (null: the server has no such domain)."),
        Field("first_seen_at", "string", "First scan that found it (UTC).", table=False, format="date-time"),
        Field("last_seen_at", "string", "Latest scan that found it (UTC).", format="date-time"),
        Field("seen_count", "integer", "How many scans found it.", table=False),
        Field("resolved_at", "string|null", "When it was resolved or ignored (UTC).", table=False,
              format="date-time"),
        Field("resolved_by", "string|null", "Who resolved it (actor).", table=False),
        Field("resolution", "string|null", "push, adopt, ignore, or gone (a later scan no longer found it).",
              table=False, enum=("push", "adopt", "ignore", "gone")),
        Field("reason", "string|null", "Why it was ignored, or what resolving it did.", table=False),
    ),
)

RESOLUTION = RecordType(
    name="drift_resolution",
    title="Drift resolution",
    description="The plan or outcome of resolving one drift record.",
    fields=(
        Field("id", "string", "Drift record id."),
        Field("kind", "string", "Drift kind.", enum=KINDS),
        Field("domain", "string|null", "Domain."),
        Field("server", "string", "Server."),
        Field("action", "string", "push, adopt or ignore.", enum=ACTIONS),
        Field("outcome", "string", "planned (dry run), done, refused (not possible this way) or failed.",
              enum=("planned", "done", "refused", "failed")),
        Field("detail", "string", "What is (or would be) done, or why not."),
    ),
)

ClientProvider = Callable[[Server], VirtualminClient]
Progress = Callable[[str, int, int], None]  # server name, servers done, servers total


def to_public(record: DriftRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "kind": record.kind,
        "domain": record.domain,
        "server": record.server,
        "status": record.status,
        "ledger_state": json.loads(record.ledger_state),
        "virtualmin_state": json.loads(record.virtualmin_state),
        "first_seen_at": iso(record.first_seen_at),
        "last_seen_at": iso(record.last_seen_at),
        "seen_count": record.seen_count,
        "resolved_at": iso(record.resolved_at),
        "resolved_by": record.resolved_by,
        "resolution": record.resolution,
        "reason": record.reason,
    }


# --------------------------------------------------------------------------- scan


def _read_one(clients: ClientProvider, server: Server) -> ServerRead:
    try:
        # The lean read (list-domains --simple-multiline, only the lines drift compares): a scan is
        # mostly waiting for servers, not parsing their full records.
        states = clients(server).list_domain_states()
    except PrahoFailure as failure:
        return ServerRead(server.name, None, failure.error.message[:500])
    except Exception as exc:  # one server's bad answer must not stop the scan of the others
        return ServerRead(server.name, None, f"unexpected error reading the server: {type(exc).__name__}")
    # Sub-servers and aliases belong to their parent's account; only top-level ones are accounts.
    return ServerRead(server.name, tuple([s for s in states if s.top_level]))


def _read_with_threads(
    servers: Sequence[Server], clients: ClientProvider, parallel: int, progress: Progress | None = None,
    done: int = 0, total: int | None = None,
) -> list[ServerRead]:
    reads: list[ServerRead] = []
    if not servers:
        return reads
    total = len(servers) if total is None else total
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(servers))), thread_name_prefix="drift") as pool:
        futures = [pool.submit(_read_one, clients, server) for server in servers]
        for future in as_completed(futures):
            read = future.result()
            reads.append(read)
            done += 1
            if progress is not None:
                progress(read.server, done, total)
    return reads


# Worker processes: a scan's client work (each reply's HTTP exchange, its JSON envelope, picking out the
# domain states) runs under the interpreter lock, one reply after another, and on a large fleet the
# replies land together. Above this many servers per process, the reads are split across forked worker
# processes, one per CPU (at most _MAX_WORKERS), each reading its share with its own threads and sending
# back, server by server, plain tuples of the top-level domains; this process meanwhile reads the ledger.
_SERVERS_PER_WORKER = 8
_MAX_WORKERS = 4


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _worker_count(servers: Sequence[Server], clients: ClientProvider) -> int:
    """How many worker processes to read ``servers`` with; 0 means threads in this process.

    Forking is used only where it is safe and pays: on Linux (macOS and Windows have no safe fork
    without exec), with more than one usable CPU, a fleet of at least two workers' worth of servers,
    and clients whose transports have opened nothing yet and say a child may use them (the HTTP
    transport; not SSH, not the test fakes). A fork copies only the calling thread: any other thread
    must be a daemon helper (the run lock's lease heartbeat, a progress bar) that never takes a lock the
    child's code (the Virtualmin read, its thread pool, the pipe) takes; a non-daemon thread means some
    other work is running here, and the reads then stay in threads. Should a child hang all the same,
    the parent's stall limit ends it (see :meth:`_Reading.result`).
    """
    if not sys.platform.startswith("linux") or len(servers) < 2 * _SERVERS_PER_WORKER:
        return 0
    cpus = _usable_cpus()
    current = threading.current_thread()
    if cpus < 2 or any(t is not current and not t.daemon for t in threading.enumerate()):
        return 0
    try:
        if not all(clients(server).prepare_fork() for server in servers):
            return 0
    except Exception:  # a client that cannot be built is reported by the read itself, with threads
        return 0
    return min(cpus, _MAX_WORKERS, len(servers) // _SERVERS_PER_WORKER)


Compact = tuple[str, list[tuple[Any, ...]] | None, str | None]  # server, domain rows, error


def _compact(read: ServerRead) -> bytes:
    """One server's read as a worker sends it: marshal of plain tuples (of str, None and bool), which
    is written and read back in C, several times faster than a pickle of the same tuples."""
    if read.domains is None:
        return marshal.dumps((read.server, None, read.error))
    return marshal.dumps((read.server, list(map(_REMOTE_FIELDS, read.domains)), None))


_REMOTE_FIELDS = operator.attrgetter("domain", "username", "plan", "plan_id", "disabled")


def _from_compact(message: bytes) -> ServerRead:
    name, rows, error = cast(Compact, marshal.loads(message))
    if rows is None:
        return ServerRead(name, None, error)
    # tuple.__new__ over the rows, from C: RemoteDomain._make is a Python-level call per domain
    return ServerRead(name, tuple(map(_new_remote, rows)))


_new_remote = functools.partial(tuple.__new__, RemoteDomain)


def _worker(servers: Sequence[Server], clients: ClientProvider, parallel: int, out: Connection) -> None:
    """The body of a forked worker: read ``servers`` with threads and send each read as it completes."""
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(servers))), thread_name_prefix="drift") as pool:
        for future in as_completed([pool.submit(_read_one, clients, server) for server in servers]):
            out.send_bytes(_compact(future.result()))


def _fork_worker(servers: Sequence[Server], clients: ClientProvider, parallel: int) -> tuple[int, Connection]:
    reader, writer = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which ends with os._exit
        status = 1
        try:
            reader.close()
            # The child writes nothing to the stderr it shares with the parent: another thread there (a
            # progress bar) may have held the stream's lock at the fork, and the parent reports what the
            # child found. So no log record and no warning leaves it.
            logging.disable(logging.CRITICAL)
            warnings.simplefilter("ignore")
            _worker(servers, clients, parallel, writer)
            writer.close()
            status = 0
        except BaseException:
            # Whatever went wrong, the parent reads this worker's unreported servers itself; the child
            # prints nothing (no traceback can carry a secret) and runs no exit handler of the parent.
            pass
        finally:
            os._exit(status)
    writer.close()
    return pid, reader


class _Reading:
    """Reads in progress: :meth:`result` waits for them and returns one read per server."""

    def __init__(self, servers: Sequence[Server], clients: ClientProvider, parallel: int,
                 progress: Progress | None, stall_seconds: float = 300.0) -> None:
        self.servers, self.clients, self.parallel, self.progress = list(servers), clients, parallel, progress
        self.stall_seconds = stall_seconds
        self._workers: dict[Connection, tuple[int, set[str]]] = {}
        self._runner: ThreadPoolExecutor | None = None
        self._threads: Future[list[ServerRead]] | None = None
        self._live = False
        count = _worker_count(self.servers, clients)
        if count:
            width = -(-parallel // count)  # the parallelism is shared by the workers
            try:
                for index in range(count):
                    share = self.servers[index::count]
                    pid, conn = _fork_worker(share, clients, width)
                    self._workers[conn] = (pid, {s.name for s in share})
            except OSError:  # no fork possible now (process limits): the rest are read with threads
                pass
            except BaseException:
                self.close()
                raise
        assigned = set().union(*(names for _pid, names in self._workers.values()))
        rest = [s for s in self.servers if s.name not in assigned]
        if rest:
            # Without workers the runner reports progress itself, as each server is read.
            self._live = not self._workers
            self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift-scan")
            self._threads = self._runner.submit(_read_with_threads, rest, clients, parallel,
                                                progress if self._live else None)

    def result(self) -> list[ServerRead]:
        from multiprocessing.connection import wait

        reads: list[ServerRead] = []
        unread: list[str] = []
        total = len(self.servers)
        try:
            while self._workers:
                ready = wait(list(self._workers), timeout=self.stall_seconds)
                if not ready:
                    # No worker sent anything for longer than any one read can take (connect and read
                    # timeouts, retries): whatever holds them, read their remaining servers here.
                    for conn, (_pid, names) in list(self._workers.items()):
                        unread += sorted(names)
                        self._end(conn)
                    break
                for ready_conn in ready:
                    conn = cast(Connection, ready_conn)
                    _pid, names = self._workers[conn]
                    try:
                        read = _from_compact(conn.recv_bytes())
                    except (EOFError, OSError):
                        unread += sorted(names)  # a worker that ended early: read its rest here
                        self._end(conn)
                        continue
                    names.discard(read.server)
                    reads.append(read)
                    if self.progress is not None:
                        self.progress(read.server, len(reads), total)
            if self._threads is not None:
                for read in self._threads.result():
                    reads.append(read)
                    if self.progress is not None and not self._live:
                        self.progress(read.server, len(reads), total)
            if unread:
                wanted = set(unread)
                reads += _read_with_threads([s for s in self.servers if s.name in wanted], self.clients,
                                            self.parallel, self.progress, len(reads), total)
        finally:
            self.close()
        return sorted(reads, key=lambda r: r.server)

    def _end(self, conn: Connection) -> None:
        """Stop listening to a worker and reap it (killed first: a worker that is done has exited)."""
        pid, _names = self._workers.pop(conn)
        conn.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def close(self) -> None:
        for conn in list(self._workers):
            self._end(conn)
        if self._runner is not None:
            self._runner.shutdown(wait=True)
            self._runner = None


def read_servers(
    servers: Sequence[Server], clients: ClientProvider, parallel: int, progress: Progress | None = None
) -> list[ServerRead]:
    """list-domains on every server, ``parallel`` at a time; a failure becomes an unreachable read."""
    if not servers:
        return []
    return _Reading(servers, clients, parallel, progress).result()


def _choose_servers(session: Session, names: Sequence[str]) -> Result[list[Server]]:
    """The servers to scan, detached from the session: their loaded columns stay readable after it
    ends (the reads use nothing else). Detaching costs nothing where a copy (server_repo.snapshot, a
    validated model per server) costs about 0.15 ms a server, before the first request can leave."""
    if not names:
        chosen = list(server_repo.iter_servers(session))
    else:
        chosen = []
        for name in dict.fromkeys(n.strip().lower() for n in names):
            server = server_repo.get_by_name(session, name)
            if server is None:
                return err(ErrorCode.NOT_FOUND, f"no server {name!r} (see praho servers list)")
            chosen.append(server)
    for server in chosen:
        session.expunge(server)
    return Ok(chosen)


def _ledger_accounts(session: Session) -> list[LedgerAccount]:
    """Every account as a small LedgerAccount; the values that repeat across thousands of rows (server
    name, status, plan) are kept once rather than once per row."""
    shared: dict[Any, Any] = {}
    keep = shared.setdefault
    make = _new_tuple  # the fields are already in order: no per-row call of the named tuple's __new__
    return [make(LedgerAccount, (domain, keep(server, server), keep(status, status), keep(plan, plan), username))
            for domain, server, status, plan, username in repo.ledger_accounts(session)]


_new_tuple = tuple.__new__


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a scan reads and compares.

    A scan keeps tens of thousands of small objects alive at once (a state per domain, a row per
    account). Each batch of survivors makes the collector walk the whole heap, the command's imports
    included, and find no cycle: about 0.1 s a pass on the benchmark's 10,000 domains, with the GIL
    held, so every read waits. Reference counting still frees everything as usual; the collector
    runs again, as it was, as soon as the comparison is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class ScanReport:
    servers: int
    unreachable: list[str]
    drifts: list[dict[str, Any]]  # public records of what this scan found
    new: int
    closed: int


def scan(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str] = (),
    progress: Progress | None = None, parallel: int | None = None,
) -> Result[ScanReport]:
    with read_session(db) as session:
        chosen = _choose_servers(session, names)
    if isinstance(chosen, Err):
        return chosen
    width = parallel or int(ctx.setting("drift.parallel") or 64)
    with _gc_paused():
        # The servers are read while the ledger is: the slowest server sets the pace, not the sum. The
        # reads start first (worker processes are forked while this is the only thread).
        # A worker process that sends nothing for longer than one read can take (connect and read
        # timeouts, two retries) is given up on and its servers are read here.
        timeout = float(ctx.setting("virtualmin.timeout_seconds") or 30.0)
        stall = 3 * (timeout + 10.0) + 10.0
        reading = _Reading(chosen.value, clients, width, progress, stall) if chosen.value else None
        try:
            with read_session(db) as session:
                accounts = _ledger_accounts(session)
        except BaseException:
            if reading is not None:
                reading.close()
            raise
        reads = reading.result() if reading is not None else []
        found = compare(accounts, reads)
        del accounts
    scanned = {r.server for r in reads}
    reachable = {r.server for r in reads if r.reachable}
    return run_in_transaction(db, lambda session: _record(session, ctx, found, scanned, reachable))


def _record(
    session: Session, ctx: ServiceContext, found: list[Drift], scanned: set[str], reachable: set[str]
) -> Result[ScanReport]:
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
    return Ok(ScanReport(len(scanned), unreachable, [to_public(r) for r in rows], new, closed))


# --------------------------------------------------------------------------- list / show


def list_records(
    session: Session, status: str | None = None, kind: str | None = None, server: str | None = None,
) -> Result[Iterator[dict[str, Any]]]:
    if status is not None and status not in (*STATUSES, "open"):
        return err(ErrorCode.INVALID, f"status: must be one of open, {', '.join(STATUSES)}", field="status")
    if kind is not None and kind not in KINDS:
        return err(ErrorCode.INVALID, f"kind: must be one of {', '.join(KINDS)}", field="kind")
    rows: Iterator[DriftRecord]
    if status == "open":
        rows = (r for r in repo.iter_records(session, kind=kind, server=server) if r.status in repo.OPEN_STATUSES)
    else:
        rows = repo.iter_records(session, status=status, kind=kind, server=server)
    return Ok(to_public(r) for r in rows)


def _find(session: Session, ref: str) -> Result[DriftRecord]:
    ref = ref.strip()
    record = repo.get(session, int(ref)) if ref.isdigit() else None
    if record is None:
        return err(ErrorCode.NOT_FOUND, f"no drift record {ref!r} (see praho drift list)")
    return Ok(record)


def show_record(session: Session, ref: str) -> Result[dict[str, Any]]:
    return _find(session, ref).map(to_public)


# --------------------------------------------------------------------------- resolve


@dataclass(frozen=True)
class ResolveRequest:
    ids: tuple[str, ...] = ()
    all_: bool = False
    kind: str | None = None
    action: str = ""
    reason: str | None = None
    customer: str | None = None
    recreate: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class _Item:
    id: int
    kind: str
    domain: str | None
    server: str
    status: str
    version: int
    virtualmin: dict[str, Any] | None


def _row(item: _Item, action: str, outcome: str, detail: str) -> dict[str, Any]:
    return {"id": str(item.id), "kind": item.kind, "domain": item.domain, "server": item.server,
            "action": action, "outcome": outcome, "detail": detail}


def _select(session: Session, req: ResolveRequest) -> Result[list[_Item]]:
    if req.action not in ACTIONS:
        return err(ErrorCode.INVALID, "give one of --push, --adopt or --ignore --reason R")
    if req.ids and req.all_:
        return err(ErrorCode.INVALID, "give drift ids or --all, not both")
    if not req.ids and not req.all_:
        return err(ErrorCode.INVALID, "give one or more drift ids, or --all")
    if req.kind is not None and req.kind not in KINDS:
        return err(ErrorCode.INVALID, f"kind: must be one of {', '.join(KINDS)}", field="kind")
    if req.action == "ignore" and not (req.reason or "").strip():
        return err(ErrorCode.INVALID, "--ignore needs --reason R (kept with the record)", field="reason")
    if req.action != "ignore" and req.reason:
        return err(ErrorCode.INVALID, "--reason goes with --ignore", field="reason")
    if req.customer and req.action != "adopt":
        return err(ErrorCode.INVALID, "--customer goes with --adopt", field="customer")
    if req.recreate and req.action != "push":
        return err(ErrorCode.INVALID, "--recreate goes with --push", field="recreate")
    if req.all_:
        records = list(repo.iter_records(session, status="pending", kind=req.kind))
    else:
        records = []
        for ref in dict.fromkeys(req.ids):
            found = _find(session, ref)
            if isinstance(found, Err):
                return found
            if req.kind is None or found.value.kind == req.kind:
                records.append(found.value)
    return Ok([_Item(r.id or 0, r.kind, r.domain, r.server, r.status, r.version,
                     json.loads(r.virtualmin_state)) for r in records])


def resolve(
    db: Database, ctx: ServiceContext, clients: ClientProvider, req: ResolveRequest
) -> Result[list[dict[str, Any]]]:
    """Resolve drift records one by one; each item reports planned, done, refused or failed."""
    with read_session(db) as session:
        selected = _select(session, req)
    if isinstance(selected, Err):
        return selected
    if req.customer:
        with read_session(db) as session:
            from praho_cli.services.customers import find_customer

            customer = find_customer(session, req.customer)
            if isinstance(customer, Err):
                return customer
            customer_id: int | None = customer.value.id
    else:
        customer_id = None
    rows: list[dict[str, Any]] = []
    for item in selected.value:
        if item.status == "resolved":
            rows.append(_row(item, req.action, "refused", "already resolved"))
            continue
        if req.action == "ignore":
            rows.append(_ignore(db, ctx, item, req))
            continue
        plan = _plan(db, item, req, customer_id)
        if isinstance(plan, str):
            rows.append(_row(item, req.action, "refused", plan))
            continue
        if req.dry_run:
            rows.append(_row(item, req.action, "planned", plan.detail))
            continue
        rows.append(_execute(db, ctx, clients, item, req.action, plan))
    return Ok(rows)


def _ignore(db: Database, ctx: ServiceContext, item: _Item, req: ResolveRequest) -> dict[str, Any]:
    reason = (req.reason or "").strip()[:500]
    if item.status == "ignored":
        return _row(item, "ignore", "refused", "already ignored")
    if req.dry_run:
        return _row(item, "ignore", "planned", f"ignore: {reason}")

    def work(session: Session) -> Result[dict[str, Any]]:
        record = repo.get(session, item.id)
        if record is None or record.version != item.version:
            return err(ErrorCode.CONFLICT, f"drift {item.id} changed meanwhile; show it again")
        before = to_public(record)
        now = ctx.now()
        # The open key stays: a rescan that still sees this drift refreshes it instead of reopening it.
        record.status, record.resolution, record.reason = "ignored", "ignore", reason
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
        session.flush()
        audit.append(session, ts=now, actor=ctx.actor, action="drift.ignore", entity_type="drift",
                     entity_id=str(item.id), before=before, after=to_public(record))
        return Ok(_row(item, "ignore", "done", f"ignored: {reason}"))

    result = run_in_transaction(db, work)
    return result.value if isinstance(result, Ok) else _row(item, "ignore", "failed", result.error.message)


@dataclass(frozen=True)
class _Plan:
    detail: str
    account_id: int | None = None
    op: str = ""  # enable | disable | plan | create | adopt_new | adopt_gone | adopt_status | adopt_plan ...
    value: Any = None


def _account(session: Session, domain: str | None) -> HostingAccount | None:
    return account_repo.get_by_domain(session, domain or "") if domain else None


def _plan(db: Database, item: _Item, req: ResolveRequest, customer_id: int | None) -> _Plan | str:
    """What resolving would do, from the ledger's current state; a string says why it cannot."""
    if item.kind == "unreachable":
        return "an unreachable server has nothing to push or adopt; check it (praho servers check) or --ignore"
    with read_session(db) as session:
        account = _account(session, item.domain)
        vm = item.virtualmin or {}
        if req.action == "push":
            return _plan_push(item, account, req.recreate)
        if item.kind == "missing_in_ledger":
            if account is not None:
                return f"{item.domain} is in the ledger now; scan again"
            if customer_id is None:
                return "adopting an unknown domain needs --customer (the owner of the new account)"
            username = vm.get("username") or ""
            if not username or account_repo.username_taken(session, username):
                return f"username {username!r} is missing or already used by another ledger account"
            return _Plan(f"record {item.domain} on {item.server} as an account of customer {customer_id} "
                         f"(user {username}, {'suspended' if vm.get('status') == 'disabled' else 'active'})",
                         None, "adopt_new", customer_id)
        if account is None:
            return f"{item.domain} is no longer in the ledger; scan again"
        if account.pending_op:
            return f"{item.domain}: {account.pending_op} is in progress; retry when it finishes"
        if item.kind == "missing_in_virtualmin":
            return _Plan(f"mark {item.domain} terminated in the ledger (it is gone from {item.server})",
                         account.id, "adopt_gone")
        if item.kind == "status_mismatch":
            new = "suspended" if vm.get("status") == "disabled" else "active"
            return _Plan(f"set {item.domain} {new} in the ledger", account.id, "adopt_status", new)
        if item.kind == "plan_mismatch":
            return _Plan(f"set plan {vm.get('plan')!r} in the ledger", account.id, "adopt_plan", vm.get("plan"))
        if item.kind == "owner_mismatch":
            username = vm.get("username") or ""
            if not username or account_repo.username_taken(session, username, except_id=account.id):
                return f"username {username!r} is already used by another ledger account"
            return _Plan(f"set username {username} in the ledger", account.id, "adopt_owner", username)
        if item.kind == "server_mismatch":
            target = server_repo.get_by_name(session, str(vm.get("server") or ""))
            if target is None:
                return f"server {vm.get('server')!r} is not registered in the ledger"
            return _Plan(f"move {item.domain} to {target.name} in the ledger", account.id, "adopt_server",
                         target.id)
    return f"nothing to adopt for {item.kind}"


def _plan_push(item: _Item, account: HostingAccount | None, recreate: bool) -> _Plan | str:
    if item.kind == "missing_in_ledger":
        return ("praho never deletes a domain it does not know: adopt it (--adopt --customer C) or delete it "
                "explicitly")
    if account is None:
        return f"{item.domain} is no longer in the ledger; scan again"
    if account.pending_op:
        return f"{item.domain}: {account.pending_op} is in progress; retry when it finishes"
    if item.kind == "status_mismatch":
        if account.status == "active":
            return _Plan(f"enable {item.domain} on {item.server}", account.id, "enable")
        return _Plan(f"disable {item.domain} on {item.server}", account.id, "disable", account.suspend_reason)
    if item.kind == "plan_mismatch":
        if not account.plan:
            return f"{item.domain} has no plan in the ledger"
        return _Plan(f"apply plan {account.plan!r} to {item.domain} on {item.server}", account.id, "plan",
                     account.plan)
    if item.kind == "missing_in_virtualmin":
        if not recreate:
            return "re-creating a missing domain needs --recreate (it starts empty: files and mail are not restored)"
        return _Plan(f"re-create {item.domain} on {item.server} (user {account.username}"
                     f"{', plan ' + account.plan if account.plan else ''}); set a password afterwards with "
                     f"praho accounts password", account.id, "create")
    if item.kind == "owner_mismatch":
        return "Virtualmin cannot rename a domain's user; adopt Virtualmin's user (--adopt) or fix it on the server"
    if item.kind == "server_mismatch":
        return "praho does not move domains between servers; adopt the server Virtualmin uses (--adopt)"
    return f"nothing to push for {item.kind}"


def _execute(db: Database, ctx: ServiceContext, clients: ClientProvider, item: _Item, action: str,
             plan: _Plan) -> dict[str, Any]:
    if action == "push":
        failure = _push_remote(db, clients, item, plan)
        if failure is not None:
            return _row(item, action, "failed", failure.message)

    def work(session: Session) -> Result[dict[str, Any]]:
        record = repo.get(session, item.id)
        if record is None or record.version != item.version:
            return err(ErrorCode.CONFLICT, f"drift {item.id} changed meanwhile; show it again")
        now = ctx.now()
        if action == "adopt":
            applied = _adopt(session, ctx, item, plan, now)
            if isinstance(applied, Err):
                return applied
        before = to_public(record)
        record.status, record.resolution, record.open_key = "resolved", action, None
        record.reason = plan.detail[:500]
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
        session.flush()
        audit.append(session, ts=now, actor=ctx.actor, action=f"drift.{action}", entity_type="drift",
                     entity_id=str(item.id), before=before, after=to_public(record))
        return Ok(_row(item, action, "done", plan.detail))

    result = run_in_transaction(db, work)
    return result.value if isinstance(result, Ok) else _row(item, action, "failed", result.error.message)


def _push_remote(db: Database, clients: ClientProvider, item: _Item, plan: _Plan) -> PrahoError | None:
    with read_session(db) as session:
        account = session.get(HostingAccount, plan.account_id)
        if account is None:
            return PrahoError(ErrorCode.NOT_FOUND, f"{item.domain} is no longer in the ledger")
        found = server_repo.get_by_id(session, account.server_id)
        assert found is not None
        server = server_repo.snapshot(found)
        domain, username, plan_name, template = account.domain, account.username, account.plan, account.template
        suspended = account.status in ("suspended", "terminated")
    client = clients(server)
    try:
        if plan.op == "enable":
            _done_if_conflict(lambda: client.enable_domain(domain))
        elif plan.op == "disable":
            _done_if_conflict(lambda: client.disable_domain(domain, plan.value or None))
        elif plan.op == "plan":
            client.modify_domain(domain, plan=str(plan.value))
        elif plan.op == "create":
            from praho_cli.services.accounts import generate_password

            # The old password is not stored anywhere (by design), so the domain gets a fresh random one
            # that nobody sees; the operator sets a known one with `accounts password`.
            client.create_domain(domain, password=generate_password(), user=username, plan=plan_name,
                                 template=template)
            if suspended:
                _done_if_conflict(lambda: client.disable_domain(domain, "Suspended"))
    except PrahoFailure as failure:
        return failure.error
    return None


def _done_if_conflict(call: Callable[[], Any]) -> None:
    """"… is already disabled" / "… is not disabled" mean the wanted state is already there
    (http_disable-domain_already-disabled.json, http_enable-domain_already-enabled.json)."""
    try:
        call()
    except PrahoFailure as failure:
        if failure.error.code is not ErrorCode.CONFLICT:
            raise


def _adopt(session: Session, ctx: ServiceContext, item: _Item, plan: _Plan, now: datetime) -> Result[None]:
    from praho_cli.services.accounts import public_of

    if plan.op == "adopt_new":
        vm = item.virtualmin or {}
        server = server_repo.get_by_name(session, item.server)
        if server is None:
            return err(ErrorCode.NOT_FOUND, f"server {item.server} is gone from the ledger")
        domain = item.domain or ""
        try:
            unicode_name = domain.encode("ascii").decode("idna")
        except UnicodeError:
            unicode_name = domain
        disabled = vm.get("status") == "disabled"
        holds = server_repo.reserve_slot(session, server.id or 0)
        account = HostingAccount(
            domain=domain, domain_unicode=unicode_name, customer_id=int(plan.value), server_id=server.id or 0,
            username=str(vm.get("username")), plan=vm.get("plan"), status="suspended" if disabled else "active",
            suspend_reason="adopted from Virtualmin (disabled there)" if disabled else None, holds_slot=holds,
            created_at=now, updated_at=now, version=1,
        )
        account_repo.insert(session, account)
        after = public_of(session, account)
        audit.append(session, ts=now, actor=ctx.actor, action="account.adopt", entity_type="account",
                     entity_id=after["id"], after=after)
        return Ok(None)
    existing = session.get(HostingAccount, plan.account_id)
    if existing is None:
        return err(ErrorCode.NOT_FOUND, f"{item.domain} is no longer in the ledger")
    account = existing
    before = public_of(session, account)
    values: dict[str, Any] = {"updated_at": now}
    if plan.op == "adopt_gone":
        values.update(status="terminated", suspend_reason="missing in Virtualmin (adopted by drift resolve)",
                      holds_slot=False)
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
    elif plan.op == "adopt_status":
        values.update(status=plan.value,
                      suspend_reason="adopted from Virtualmin (disabled there)" if plan.value == "suspended" else None)
    elif plan.op == "adopt_plan":
        values["plan"] = plan.value
    elif plan.op == "adopt_owner":
        values["username"] = plan.value
    elif plan.op == "adopt_server":
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
        values.update(server_id=plan.value, holds_slot=server_repo.reserve_slot(session, int(plan.value)))
    updated = account_repo.update_account_if_version(session, account.id or 0, account.version, values)
    if updated is None:
        return err(ErrorCode.CONFLICT, f"{item.domain} was changed by someone else meanwhile; retry")
    audit.append(session, ts=now, actor=ctx.actor, action="account.adopt", entity_type="account",
                 entity_id=before["id"], before=before, after=public_of(session, updated))
    return Ok(None)
