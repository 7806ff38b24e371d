"""Helpers the hosting services share: a raising unit of work, and a remote call's outcome as a value."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from praho_cli.ledger.engine import Database
from praho_cli.ledger.uow import run_in_transaction
from praho_cli.result import Err, PrahoError, Result, returns_result

T = TypeVar("T")


def write(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction (committed when it returns, rolled back when it raises)."""
    return run_in_transaction(db, returns_result(work)).unwrap()


def outcome(call: Callable[[], T]) -> Result[T]:
    """``call()``'s value, or the expected failure it raised, as a Result (remote steps whose failure is
    recorded rather than passed on)."""
    return returns_result(call)()


def error_of(call: Callable[[], object]) -> PrahoError | None:
    """The expected failure ``call()`` raised, or None when it succeeded."""
    result = outcome(call)
    return result.error if isinstance(result, Err) else None
