"""Helpers the hosting services share: a remote call's outcome as a value."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from praho_cli.result import Err, PrahoError, Result, returns_result

T = TypeVar("T")


def outcome(call: Callable[[], T]) -> Result[T]:
    """``call()``'s value, or the expected failure it raised, as a Result (remote steps whose failure is
    recorded rather than passed on)."""
    return returns_result(call)()


def error_of(call: Callable[[], object]) -> PrahoError | None:
    """The expected failure ``call()`` raised, or None when it succeeded."""
    result = outcome(call)
    return result.error if isinstance(result, Err) else None
