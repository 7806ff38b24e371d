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
from praho_cli.result import ErrorCode, Ok, Result, err
from praho_cli.services.context import ServiceContext

MAX_KEY_LENGTH = 200


def idempotent(
    session: Session,
    ctx: ServiceContext,
    key: str | None,
    command: str,
    params: Mapping[str, Any],
    work: Callable[[], Result[dict[str, Any]]],
) -> Result[dict[str, Any]]:
    """Run ``work`` once per key; its result is stored after it, in the same transaction."""
    if key is None:
        return work()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        return err(ErrorCode.INVALID, f"idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
    digest = store.params_hash(command, params)
    seen = store.lookup(session, key)
    if seen is not None:
        if seen.command != command or seen.params_hash != digest:
            return err(
                ErrorCode.CONFLICT,
                f"idempotency key {key!r} was already used by {seen.command} at {iso(seen.created_at)} "
                "with different parameters",
                key=key,
            )
        return Ok(json.loads(seen.result_json))
    started = ctx.now()
    result = work()
    if isinstance(result, Ok):
        store.store(session, key, command, digest, result.value, started)
    return result
