"""Results and errors shared by every layer.

The one rule (docs/architecture.md, "Errors"):

- Below the edge of a service — ledger queries, transports, a service's inner helpers — an expected
  failure is raised: ``raise fail(ErrorCode.NOT_FOUND, "no customer 42")``.
- Every public service function is decorated with :func:`returns_result`: its body returns a plain
  value or raises, and its callers receive ``Ok(value)`` or ``Err(PrahoError)``. That decorator is the
  only place a :class:`PrahoFailure` becomes an ``Err``.
- A service that uses another public service's result calls ``.unwrap()`` on it (an ``Err`` raises
  again and reaches the outer edge unchanged).
- Only ``cli/main.py`` turns an error into an exit code (see :data:`EXIT_CODES`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, NoReturn, ParamSpec, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)  # an Ok[dict] is an Ok[Mapping]: Ok is frozen
U = TypeVar("U")
P = ParamSpec("P")


class ErrorCode(StrEnum):
    INVALID = "invalid"  # bad input: flag, amount, domain, identifier, field name
    REFUSED = "refused"  # confirmation declined, or needed while prompting is impossible
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # stale version, duplicate, idempotency key reused with other parameters
    INELIGIBLE = "ineligible"  # not allowed in the current state (refund of a draft, protected account)
    PARTIAL = "partial"  # a batch finished and some items failed
    DIFFERENCES = "differences"  # a check found differences (drift, audit verify, series audit, plan)
    LOCKED = "locked"  # another run holds the named lock
    REMOTE_UNAVAILABLE = "remote_unavailable"  # could not connect, or timed out
    REMOTE_AUTH = "remote_auth"  # credentials or permission refused by a remote server or the database
    REMOTE_FAILED = "remote_failed"  # the remote server answered and refused or failed the work
    REMOTE_PROTOCOL = "remote_protocol"  # the remote answered something that is not the expected shape
    CONFIG = "config"  # configuration file, setting, schema version
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"  # a bug


class Retry(StrEnum):
    """Whether replaying the failed operation is safe."""

    RETRIABLE = "retriable"  # provably not applied: safe to replay
    NOT_RETRIABLE = "not_retriable"
    UNKNOWN = "unknown"  # may have applied: re-read state before any retry


# The one table of exit codes (docs/exit-codes.md). Never renumber.
EXIT_CODES: dict[ErrorCode, int] = {
    ErrorCode.INTERNAL: 1,
    ErrorCode.INVALID: 2,
    ErrorCode.REFUSED: 3,
    ErrorCode.NOT_FOUND: 4,
    ErrorCode.CONFLICT: 5,
    ErrorCode.INELIGIBLE: 5,
    ErrorCode.PARTIAL: 6,
    ErrorCode.DIFFERENCES: 7,
    ErrorCode.REMOTE_UNAVAILABLE: 69,
    ErrorCode.REMOTE_FAILED: 69,
    ErrorCode.REMOTE_PROTOCOL: 69,
    ErrorCode.LOCKED: 75,
    ErrorCode.REMOTE_AUTH: 77,
    ErrorCode.CONFIG: 78,
    ErrorCode.INTERRUPTED: 130,
}


@dataclass(frozen=True)
class PrahoError:
    code: ErrorCode
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    retry: Retry = Retry.NOT_RETRIABLE

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "message": self.message,
            "retry": str(self.retry),
            "details": dict(self.details),
        }


class PrahoFailure(Exception):
    """An expected failure raised across a layer that cannot return a Result."""

    def __init__(self, error: PrahoError) -> None:
        super().__init__(error.message)
        self.error = error

    @classmethod
    def of(
        cls,
        code: ErrorCode,
        message: str,
        retry: Retry = Retry.NOT_RETRIABLE,
        **details: Any,
    ) -> PrahoFailure:
        return cls(PrahoError(code, message, details, retry))


@dataclass(frozen=True)
class Ok(Generic[T_co]):
    value: T_co

    @property
    def ok(self) -> bool:
        return True

    def unwrap(self) -> T_co:
        return self.value

    def map(self, fn: Callable[[T_co], U]) -> Ok[U]:
        return Ok(fn(self.value))


@dataclass(frozen=True)
class Err:
    error: PrahoError

    @property
    def ok(self) -> bool:
        return False

    def unwrap(self) -> NoReturn:
        raise PrahoFailure(self.error)

    def map(self, fn: Callable[[Any], Any]) -> Err:
        return self


Result = Ok[T] | Err


def fail(
    code: ErrorCode, message: str, retry: Retry = Retry.NOT_RETRIABLE, **details: Any
) -> PrahoFailure:
    """The failure to raise: ``raise fail(ErrorCode.INVALID, "amount: not a number", field="amount")``."""
    return PrahoFailure(PrahoError(code, message, details, retry))


def returns_result(fn: Callable[P, T]) -> Callable[P, Result[T]]:
    """The edge of a public service function: the body returns a value or raises
    :class:`PrahoFailure`; the caller gets ``Ok(value)`` or ``Err(error)``.

    Only expected failures are converted; any other exception is a bug and propagates.
    """

    @functools.wraps(fn)
    def edge(*args: P.args, **kwargs: P.kwargs) -> Result[T]:
        try:
            return Ok(fn(*args, **kwargs))
        except PrahoFailure as failure:
            return Err(failure.error)

    return edge
