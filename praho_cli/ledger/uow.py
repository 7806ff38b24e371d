"""The unit of work a command owns: one session, one commit (or rollback), bounded replays.

Services add and flush; they never commit. ``run_in_transaction`` commits when the service returns
``Ok`` and rolls back on ``Err``. A service (or a ledger helper) that lost a race it can only
recover from by starting over raises :class:`RetryTransaction`; the whole transaction is then
replayed from the start, up to a few times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Session

from praho_cli.ledger.engine import Database, translate_db_error
from praho_cli.result import Err, ErrorCode, PrahoFailure, Result, Retry

T = TypeVar("T")
MAX_ATTEMPTS = 5


class RetryTransaction(Exception):
    """Roll back and run the whole unit of work again."""


def _is_retryable_db_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "deadlock detected" in text or "could not serialize access" in text


@contextmanager
def read_session(db: Database) -> Iterator[Session]:
    """A read-only session (deferred BEGIN on SQLite): used for listing and streaming."""
    with Session(db.engine, expire_on_commit=False) as session:
        try:
            yield session
        except Exception as exc:
            failure = translate_db_error(exc, db.display_url)
            if failure:
                raise failure from None
            raise
        finally:
            session.rollback()


_COMPILED: dict[int, tuple[TextClause, Any]] = {}  # by id(statement): the statement, compiled for psycopg


def _pipelines(psycopg: Any) -> bool:
    """Whether the libpq under psycopg has pipeline mode (libpq 14 and newer; psycopg's binary
    wheels bring their own, a system libpq may be older)."""
    return bool(psycopg.Pipeline.is_supported())


def commit_with(session: Session, statement: TextClause, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Run the transaction's last statement and COMMIT in one round trip; the statement's first row.

    For a statement that takes a lock every other writer queues on (issuing: the series counter),
    this keeps the client out of the lock's window: PostgreSQL runs the statement and commits it
    without waiting for the client in between (psycopg's pipeline mode), so the lock is held for the
    statement and the commit alone, not for a round trip to a client that may be waiting for a CPU.
    Pending ORM changes are flushed first. The caller writes nothing after it: the transaction is
    over, and run_in_transaction's commit finds none open and sends nothing. A failure raises the
    error SQLAlchemy would have raised (deadlock, unique violation, lost connection), and the unit
    of work rolls back and replays as usual. Where the driver has no pipeline (SQLite), the
    statement is executed and the commit left to the unit of work, as it is with a libpq that has
    no pipeline mode.
    """
    session.flush()
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg" or not _pipelines(dialect.loaded_dbapi):
        first = conn.execute(statement, params).first()
        return None if first is None else tuple(first)
    cached = _COMPILED.get(id(statement))
    if cached is None or cached[0] is not statement:
        cached = _COMPILED[id(statement)] = (statement, statement.compile(dialect=dialect))
    compiled = cached[1]
    bound = compiled.construct_params(dict(params))
    for name, process in getattr(compiled, "_bind_processors", {}).items():
        if name in bound and bound[name] is not None:
            bound[name] = process(bound[name])
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        with raw.pipeline():
            cursor.execute(compiled.string, bound)
            raw.commit()
        row = cursor.fetchone()
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(compiled.string, bound, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from exc
    finally:
        cursor.close()
    session.info["committed"] = True
    return None if row is None else tuple(row)


def run_in_transaction(db: Database, work: Callable[[Session], Result[T]]) -> Result[T]:
    last_error: BaseException | None = None
    for _attempt in range(MAX_ATTEMPTS):
        with Session(db.writer(), expire_on_commit=False) as session:
            try:
                result: Any = work(session)
                if not result.ok and session.info.get("committed"):
                    raise PrahoFailure.of(ErrorCode.INTERNAL, "a service failed after its transaction had "
                                          f"committed: {result.error.message}")
                if result.ok:
                    session.commit()
                else:
                    session.rollback()
                return result  # type: ignore[no-any-return]
            except RetryTransaction as exc:
                session.rollback()
                last_error = exc
                continue
            except IntegrityError as exc:
                # A concurrent writer inserted the same unique value between our check and our
                # insert; the replay sees it and answers properly (conflict or idempotent replay).
                session.rollback()
                last_error = exc
                continue
            except OperationalError as exc:
                session.rollback()
                if _is_retryable_db_error(exc):
                    last_error = exc
                    continue
                failure = translate_db_error(exc, db.display_url)
                if failure:
                    raise failure from None
                raise
            except PrahoFailure:
                session.rollback()
                raise
    return Err(
        PrahoFailure.of(
            ErrorCode.CONFLICT,
            f"gave up after {MAX_ATTEMPTS} attempts: concurrent changes kept conflicting ({type(last_error).__name__})",
            Retry.RETRIABLE,
        ).error
    )
