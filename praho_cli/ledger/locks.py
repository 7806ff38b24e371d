"""Named run locks, so two batch runs (cron, drift scan, apply) never overlap.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the whole run. It is
released when the run ends or its process dies (the server drops the connection), on any host that
shares the database. The ``run_locks`` row beside it only says who holds it, for messages.

SQLite: a lease row (holder, pid, host, expiry) written under BEGIN IMMEDIATE. A heartbeat thread
extends the lease while the run lives; a lease whose expiry has passed is taken over, and so is one
held by a process on this host that no longer exists (killed with SIGKILL, say).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, text, update
from sqlmodel import col

from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.core import RunLock
from praho_cli.result import ErrorCode, PrahoFailure, Retry

POLL_SECONDS = 0.2


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from the lock's name."""
    return int.from_bytes(hashlib.sha256(f"praho:{name}".encode()).digest()[:8], "big", signed=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_gone(row: RunLock, now: datetime) -> bool:
    """The one rule for a SQLite lease whose holder is dead: its expiry has passed, or it was taken by
    a process on this host that no longer exists (killed with SIGKILL, say)."""
    return row.expires_at <= now or (row.host == socket.gethostname() and not _pid_alive(row.pid))


def is_held(db: Database, name: str, *, clock: Callable[[], datetime]) -> bool:
    """Whether a live run holds ``name``, by the rule :func:`acquire` applies: on PostgreSQL the advisory
    lock (the server drops it with its holder's connection), on SQLite the lease row (:func:`holder_gone`)."""
    if db.is_postgres:
        key = advisory_key(name)
        with db.engine.connect() as conn:
            free = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            if free:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
        return not free
    with db.engine.connect() as conn:
        row = conn.execute(select(RunLock).where(col(RunLock.name) == name)).first()
    return row is not None and not holder_gone(RunLock(**row._mapping), clock())


@dataclass
class HeldLock:
    name: str
    holder: str
    db: Database
    ttl_seconds: int
    clock: Callable[[], datetime]
    _conn: Connection | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    lost: bool = False

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            with self.db.writer().begin() as conn:
                conn.execute(delete(RunLock).where(col(RunLock.name) == self.name, col(RunLock.holder) == self.holder))
        finally:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(self.name)})
                    self._conn.commit()
                finally:
                    self._conn.close()
                    self._conn = None

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _heartbeat(self) -> None:
        interval = max(self.ttl_seconds / 3, 0.5)
        while not self._stop.wait(interval):
            try:
                with self.db.writer().begin() as conn:
                    done = conn.execute(
                        update(RunLock)
                        .where(col(RunLock.name) == self.name, col(RunLock.holder) == self.holder)
                        .values(expires_at=self.clock() + timedelta(seconds=self.ttl_seconds))
                    )
                    if done.rowcount == 0:
                        self.lost = True
            except Exception:
                continue


def _describe(row: RunLock | None) -> str:
    if row is None:
        return "another run"
    return f"run {row.holder} (pid {row.pid} on {row.host}, since {row.acquired_at:%Y-%m-%d %H:%M:%S}Z)"


def _write_holder_row(conn: Connection, name: str, holder: str, now: datetime, ttl: int) -> None:
    conn.execute(delete(RunLock).where(col(RunLock.name) == name))
    conn.execute(
        RunLock.__table__.insert().values(  # type: ignore[attr-defined]
            name=name, holder=holder, pid=os.getpid(), host=socket.gethostname(),
            acquired_at=now, expires_at=now + timedelta(seconds=ttl),
        )
    )


def _try_sqlite(db: Database, name: str, holder: str, ttl: int, clock: Callable[[], datetime]) -> RunLock | None:
    """Take the lease if free; otherwise return the row that holds it."""
    now = clock()
    with db.writer().begin() as conn:
        row = conn.execute(select(RunLock).where(col(RunLock.name) == name)).first()
        current = RunLock(**row._mapping) if row else None
        if current is not None and not holder_gone(current, now):
            return current
        _write_holder_row(conn, name, holder, now, ttl)
    return None


def acquire(
    db: Database,
    name: str,
    holder: str,
    *,
    ttl_seconds: int = 300,
    wait_seconds: float = 0,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
) -> HeldLock:
    deadline = monotonic() + max(wait_seconds, 0)
    lock = HeldLock(name=name, holder=holder, db=db, ttl_seconds=ttl_seconds, clock=clock)
    if db.is_postgres:
        conn = db.engine.connect()
        try:
            while True:
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(name)}).scalar()
                conn.commit()
                if got:
                    with db.writer().begin() as wconn:
                        _write_holder_row(wconn, name, holder, clock(), ttl_seconds)
                    lock._conn = conn
                    return lock
                if monotonic() >= deadline:
                    with db.engine.connect() as rconn:
                        row = rconn.execute(select(RunLock).where(col(RunLock.name) == name)).first()
                    raise _locked(name, RunLock(**row._mapping) if row else None, wait_seconds)
                time.sleep(POLL_SECONDS)
        except BaseException:
            conn.close()
            raise
    while True:
        holder_row = _try_sqlite(db, name, holder, ttl_seconds, clock)
        if holder_row is None:
            lock._thread = threading.Thread(target=lock._heartbeat, name=f"lease-{name}", daemon=True)
            lock._thread.start()
            return lock
        if monotonic() >= deadline:
            raise _locked(name, holder_row, wait_seconds)
        time.sleep(POLL_SECONDS)


def _locked(name: str, row: RunLock | None, waited: float) -> PrahoFailure:
    after = f" after waiting {waited:g} s" if waited else ""
    return PrahoFailure.of(
        ErrorCode.LOCKED,
        f"lock {name!r} is held by {_describe(row)}{after}; try later or pass --wait SECONDS",
        Retry.RETRIABLE,
        lock=name,
    )
