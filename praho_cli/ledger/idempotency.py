"""The idempotency-key store: key → (command, hash of canonical parameters, stored result)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from praho_cli.ledger.models.core import IdempotencyRecord
from praho_cli.ledger.uow import RetryTransaction


def params_hash(command: str, params: Mapping[str, Any]) -> str:
    body = json.dumps({"command": command, "params": params}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def lock_key(session: Session, key: str) -> None:
    """Serialize transactions that use the same key until the first one commits.

    Without it, a replay could look the key up before the first transaction commits and then meet
    the first one's effects (a taken e-mail, a spent balance) and fail instead of replaying.
    SQLite writers are already serialized by BEGIN IMMEDIATE; PostgreSQL takes a transaction-level
    advisory lock on the key's hash."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"praho-idempotency:{key}".encode()).digest()[:8]
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest, "big", signed=True)})


def lookup(session: Session, key: str) -> IdempotencyRecord | None:
    lock_key(session, key)
    return session.get(IdempotencyRecord, key, populate_existing=True)


def store(
    session: Session, key: str, command: str, digest: str, result: Mapping[str, Any], now: datetime
) -> None:
    session.add(
        IdempotencyRecord(
            key=key, command=command, params_hash=digest, result_json=json.dumps(result, sort_keys=True, default=str),
            created_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        # Another transaction stored the same key first (PostgreSQL made us wait for it on the
        # unique index). Start over: the rerun finds the key and replays the stored result.
        raise RetryTransaction(f"idempotency key {key!r} was stored concurrently") from None
