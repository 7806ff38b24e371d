"""Idempotency keys for money-moving and provisioning commands (docs/architecture.md, "Idempotency keys").

Wrap the body of a service with :func:`idempotent`. With no key it simply runs. With a key seen
before, it returns the stored result (and does nothing) when the command and parameters match, and a
conflict (exit 5) when they differ. The key is stored in the same transaction as the work, so the two
commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import idempotency as store
from praho_cli.ledger.models.base import iso
from praho_cli.result import Err, ErrorCode, Ok, Result, fail, returns_result
from praho_cli.services.context import ServiceContext

MAX_KEY_LENGTH = 200


@returns_result
def idempotent(
    session: Session,
    ctx: ServiceContext,
    key: str | None,
    command: str,
    params: Mapping[str, Any],
    work: Callable[[], Result[dict[str, Any]] | dict[str, Any]],
) -> dict[str, Any]:
    """Run ``work`` once per key; its result is stored after it, in the same transaction.

    ``work`` returns a ``Result`` (a public service's) or a plain value, or raises; the caller gets
    ``Ok(value)`` or ``Err(error)`` either way, and only a value is stored under the key."""
    if key is None:
        return _value(work())
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise fail(ErrorCode.INVALID, f"idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
    digest = store.params_hash(command, params)
    seen = store.lookup(session, key)
    if seen is not None:
        if seen.command != command or seen.params_hash != digest:
            raise fail(
                ErrorCode.CONFLICT,
                f"idempotency key {key!r} was already used by {seen.command} at {iso(seen.created_at)} "
                "with different parameters",
                key=key,
            )
        stored: dict[str, Any] = json.loads(seen.result_json)
        return stored
    started = ctx.now()
    value = _value(work())
    store.store(session, key, command, digest, value, started)
    return value


def _value(outcome: Result[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    """The work's value: an ``Err`` is raised again (nothing is stored), an ``Ok`` unwrapped."""
    if isinstance(outcome, Ok | Err):
        return outcome.unwrap()
    return outcome
