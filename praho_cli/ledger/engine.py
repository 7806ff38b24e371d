"""The one module that knows how SQLite and PostgreSQL differ.

SQLite: WAL, busy_timeout, foreign keys on, and write transactions opened with ``BEGIN IMMEDIATE``
(SQLite has no row locks; a deferred transaction that later upgrades to a writer can fail at once
with SQLITE_BUSY instead of waiting). The driver's own transaction handling is turned off so that
SQLAlchemy's ``begin`` event decides how each transaction starts.

PostgreSQL: psycopg 3; row locks come from ``SELECT … FOR UPDATE`` in the ledger queries
(SQLAlchemy drops ``FOR UPDATE`` silently on SQLite, which is why the SQLite path needs IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from praho_cli.result import ErrorCode, PrahoFailure, Retry

__all__ = ["Database", "open_database", "parse_url", "ping", "read_connection", "redact_url", "sqlite_url_for",
           "translate_db_error"]

WRITE = "praho_write"


@dataclass(frozen=True)
class Database:
    engine: Engine
    url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    @cached_property
    def _writer(self) -> Engine:
        return self.engine.execution_options(**{WRITE: True})

    def writer(self) -> Engine:
        """An engine view whose transactions start as writers (BEGIN IMMEDIATE on SQLite); built once
        per Database (it shares the engine's pool), not once per transaction."""
        return self._writer


def sqlite_url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def redact_url(url: URL | str) -> str:
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise PrahoFailure.of(
            ErrorCode.CONFIG,
            f"database_url is not a valid database URL: {redact_url(raw)!s} "
            "(expected sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB)",
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql" and url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    if backend not in ("sqlite", "postgresql"):
        raise PrahoFailure.of(
            ErrorCode.CONFIG,
            f"database_url uses {backend!r}; praho supports sqlite and postgresql",
        )
    return url


def open_database(raw_url: str, busy_timeout_ms: int = 30000) -> Database:
    url = parse_url(raw_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            from praho_cli.private_files import ensure_private_file

            # It holds CNPs and addresses: 0600 from creation (and so are SQLite's -wal and -shm).
            ensure_private_file(database)
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_ms / 1000, "isolation_level": None, "check_same_thread": False},
        )
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        engine = create_engine(url, pool_pre_ping=False, connect_args={"connect_timeout": 10})
    return Database(engine=engine, url=url)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN"
        conn.exec_driver_sql(mode)


def translate_db_error(exc: BaseException, display_url: str) -> PrahoFailure | None:
    """Connection-level database errors become praho errors (69, 77, 78); others stay bugs."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return None
    text_ = str(getattr(exc, "orig", exc)).lower()
    if "password authentication failed" in text_ or "no password supplied" in text_ or "permission denied" in text_:
        return PrahoFailure.of(ErrorCode.REMOTE_AUTH, f"database refused the credentials for {display_url}")
    if "does not exist" in text_ and "database" in text_:
        return PrahoFailure.of(ErrorCode.CONFIG, f"database in {display_url} does not exist")
    if (
        "connection refused" in text_
        or "could not connect" in text_
        or "timeout expired" in text_
        or "could not translate host name" in text_
        or "connection failed" in text_
    ):
        return PrahoFailure.of(
            ErrorCode.REMOTE_UNAVAILABLE, f"cannot connect to the database at {display_url}", Retry.RETRIABLE
        )
    return sqlite_failure(text_, display_url)


def sqlite_failure(message: str, display: str) -> PrahoFailure | None:
    """SQLite's errors that are about the ledger file, not a bug: locked past busy_timeout (75), or
    not openable as a database (78)."""
    text_ = message.lower()
    if "database is locked" in text_ or "database is busy" in text_:
        return PrahoFailure.of(
            ErrorCode.LOCKED, "the SQLite ledger stayed locked by another writer past busy_timeout", Retry.RETRIABLE
        )
    if "unable to open database file" in text_ or "not a database" in text_ or "malformed" in text_:
        return PrahoFailure.of(ErrorCode.CONFIG, f"cannot open the SQLite ledger at {display}")
    return None


@contextmanager
def translating_errors(db: Database) -> Iterator[None]:
    """Database errors raised inside become praho's failures (translate_db_error), others pass."""
    try:
        yield
    except Exception as exc:
        failure = translate_db_error(exc, db.display_url)
        if failure:
            raise failure from None
        raise


@contextmanager
def read_connection(db: Database) -> Iterator[Connection]:
    """A connection for reading Core rows (deferred BEGIN on SQLite, one snapshot; rolled back at
    the end): large lists stream through it without an ORM session."""
    with translating_errors(db), db.engine.connect() as conn:
        yield conn


def ping(db: Database) -> None:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        failure = translate_db_error(exc, db.display_url)
        if failure:
            raise failure from None
        raise
