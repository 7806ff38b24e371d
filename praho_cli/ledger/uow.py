"""The unit of work a command owns: one session, one commit (or rollback), bounded replays.

Services add and flush; they never commit. ``transaction`` commits when its work returns and rolls
back when it raises; ``run_in_transaction`` does the same for a public service's Result (commit on
``Ok``, roll back on ``Err``). A service (or a ledger helper) that lost a race it can only
recover from by starting over raises :class:`RetryTransaction`; the whole transaction is then
replayed from the start, up to a few times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from praho_cli.ledger.engine import Database, translate_db_error, translating_errors
from praho_cli.result import Err, ErrorCode, PrahoFailure, Result, Retry

T = TypeVar("T")
MAX_ATTEMPTS = 5


class RetryTransaction(Exception):
    """Roll back and run the whole unit of work again."""


# The unique violations that are races the unit of work settles by replaying, by constraint name
# (PostgreSQL) and by the columns SQLite names: the loser's replay finds the winner's row.
KNOWN_RACES = {
    "pk_idempotency_keys": "idempotency_keys.key",  # two writers store one key: the replay replays
    "pk_series_counters": "series_counters.series_id, series_counters.year",  # a year's first number
    "pk_run_locks": "run_locks.name",  # two runs create one lock's row: the replay sees it held
    "uq_dunning_actions_invoice_id_kind": "dunning_actions.invoice_id, dunning_actions.kind",  # one claim
}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def _unique_violation(exc: IntegrityError) -> str | None:
    """The violated unique constraint (PostgreSQL's name, or SQLite's column list); None when the
    error is not a unique violation."""
    orig = exc.orig
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if name and getattr(orig, "sqlstate", None) == "23505":
        return str(name)
    found = _SQLITE_UNIQUE.search(str(orig).strip())
    return found.group(1) if found else None


def _is_known_race(constraint: str) -> bool:
    return constraint in KNOWN_RACES or constraint in KNOWN_RACES.values()


def _is_retryable_db_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "deadlock detected" in text or "could not serialize access" in text


@contextmanager
def read_session(db: Database) -> Iterator[Session]:
    """A read-only session (deferred BEGIN on SQLite): used for listing and streaming."""
    with Session(db.engine, expire_on_commit=False) as session:
        try:
            with translating_errors(db):
                yield session
        finally:
            session.rollback()


class _GaveUp(PrahoFailure):
    """Replays exhausted: ``run_in_transaction`` answers it as an ``Err`` (``transaction`` raises it)."""


class _RolledBack(Exception):
    def __init__(self, result: Result[Any]) -> None:
        super().__init__("rolled back")
        self.result = result


def transaction(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction and return its value: committed when it returns, rolled
    back when it raises (its ``PrahoFailure`` passes on unchanged). A lost race that only a fresh start
    settles (:class:`RetryTransaction`, a known unique race, a deadlock or serialization failure) replays
    the whole of ``work``, up to ``MAX_ATTEMPTS`` times."""
    last_error: BaseException | None = None
    for _attempt in range(MAX_ATTEMPTS):
        with Session(db.writer(), expire_on_commit=False) as session:
            try:
                value = work(session)
                session.commit()
                return value
            except RetryTransaction as exc:
                session.rollback()
                last_error = exc
                continue
            except IntegrityError as exc:
                session.rollback()
                constraint = _unique_violation(exc)
                if constraint is not None and _is_known_race(constraint):
                    # A concurrent writer inserted the same row between our check and our insert;
                    # the replay sees it and answers properly (an idempotent replay, the next number).
                    last_error = exc
                    continue
                if constraint is not None:
                    raise PrahoFailure.of(
                        ErrorCode.CONFLICT, f"a concurrent change already wrote the same value ({constraint}); "
                        "nothing was changed: run the command again to see the ledger as it is now",
                        Retry.RETRIABLE, constraint=constraint) from None
                raise
            except OperationalError as exc:
                session.rollback()
                if _is_retryable_db_error(exc):
                    last_error = exc
                    continue
                failure = translate_db_error(exc, db.display_url)
                if failure:
                    raise failure from None
                raise
            except BaseException:
                session.rollback()
                raise
    raise _GaveUp(PrahoFailure.of(
        ErrorCode.CONFLICT,
        f"gave up after {MAX_ATTEMPTS} attempts: concurrent changes kept conflicting ({type(last_error).__name__})",
        Retry.RETRIABLE,
    ).error)


def run_in_transaction(db: Database, work: Callable[[Session], Result[T]]) -> Result[T]:
    """:func:`transaction` for a public service's Result: committed on ``Ok``, rolled back on ``Err``
    (and on any exception); exhausted replays are an ``Err`` too."""
    def raising(session: Session) -> Result[T]:
        result = work(session)
        if not result.ok:
            raise _RolledBack(result)
        return result

    try:
        return transaction(db, raising)
    except _RolledBack as rolled_back:
        return rolled_back.result
    except _GaveUp as gave_up:
        return Err(gave_up.error)
