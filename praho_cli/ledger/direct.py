"""A read-only SQLite ledger through the standard library, for large streaming reads.

Listing 100,000 invoices as JSON lines is bound by fixed costs, not by the query: importing
SQLAlchemy, SQLModel and the models takes longer than SQLite needs to read every row and build its
JSON. For a plain ``sqlite:///PATH`` ledger whose file exists, list commands that write JSON read
through :mod:`sqlite3` directly and let SQLite build each row's JSON text (see
:mod:`praho_cli.ledger.documents_json`). Every other ledger (PostgreSQL, in-memory, URLs with
options, a file that is not there yet) goes through the engine as usual.

The connection is opened ``mode=ro``: it cannot write, whatever is executed on it. It passes the
same schema guard as the engine (:func:`praho_cli.ledger.revisions.mismatch`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from praho_cli.ledger.revisions import mismatch
from praho_cli.result import ErrorCode, PrahoFailure, Retry

_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")
BATCH = 1000


def sqlite_url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_file(raw_url: str) -> Path | None:
    """The ledger file of a plain ``sqlite:///PATH`` URL when it exists; None for anything else.

    The path is resolved as SQLAlchemy's pysqlite dialect resolves it (made absolute, no ``~``
    expansion), so both readers open the same file. URLs with a query string or escapes are left to
    the engine, which knows their rules."""
    for prefix in _PREFIXES:
        if raw_url.startswith(prefix):
            rest = raw_url[len(prefix):]
            if not rest or rest == ":memory:" or "?" in rest or "%" in rest:
                return None
            path = Path(os.path.abspath(rest))
            return path if path.is_file() else None
    return None


def sqlite_failure(message: str, display: str) -> PrahoFailure | None:
    """SQLite's errors that are about the ledger file, not a bug: locked past busy_timeout (75), or
    not openable as a database (78). Shared with the engine's translate_db_error."""
    text = message.lower()
    if "database is locked" in text or "database is busy" in text:
        return PrahoFailure.of(
            ErrorCode.LOCKED, "the SQLite ledger stayed locked by another writer past busy_timeout", Retry.RETRIABLE
        )
    if "unable to open database file" in text or "not a database" in text or "malformed" in text:
        return PrahoFailure.of(ErrorCode.CONFIG, f"cannot open the SQLite ledger at {display}")
    return None


def _failure(exc: sqlite3.Error, display: str) -> PrahoFailure:
    return sqlite_failure(str(exc), display) or PrahoFailure.of(
        ErrorCode.INTERNAL, f"reading the SQLite ledger at {display} failed: {exc}")


class DirectReader:
    """One read-only connection; every read runs in one snapshot (a deferred transaction)."""

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self.path = path
        self.display_url = sqlite_url_for(path)
        uri = f"file:{quote(str(path))}?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise _failure(exc, self.display_url) from None

    def require_current(self) -> None:
        """The same guard as the engine's: exit 78 for a ledger without, or with another, schema."""
        try:
            has_table = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
            row = self._conn.execute("SELECT version_num FROM alembic_version").fetchone() if has_table else None
        except sqlite3.Error as exc:
            raise _failure(exc, self.display_url) from None
        failure = mismatch(row[0] if row else None, self.display_url)
        if failure is not None:
            raise failure

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            row = self._conn.execute(sql, tuple(params)).fetchone()
        except sqlite3.Error as exc:
            raise _failure(exc, self.display_url) from None
        return row[0] if row else None

    def text_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[str]:
        """The first column of every row, fetched ``BATCH`` at a time inside one read transaction."""
        try:
            self._conn.execute("BEGIN")
            try:
                cursor = self._conn.execute(sql, tuple(params))
                while batch := cursor.fetchmany(BATCH):
                    for (value,) in batch:
                        yield value
            finally:
                self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _failure(exc, self.display_url) from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DirectReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_reader(raw_url: str, busy_timeout_ms: int = 30000) -> DirectReader | None:
    """A checked read-only reader for a plain SQLite ledger, or None when the engine must be used."""
    path = sqlite_file(raw_url)
    if path is None:
        return None
    reader = DirectReader(path, busy_timeout_ms)
    try:
        reader.require_current()
    except BaseException:
        reader.close()
        raise
    return reader
