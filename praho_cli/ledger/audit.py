"""The append-only, hash-chained audit trail.

Each event's hash is sha256(previous hash + canonical JSON of the event). Appends lock the single
``audit_head`` row (``FOR UPDATE`` on PostgreSQL; SQLite writers are already serialized by BEGIN
IMMEDIATE), so sequence numbers are gapless and the chain has one order. ``verify`` recomputes the
chain and reports the first broken link: an edited event (its hash no longer matches), a deleted
or reordered one (sequence or previous-hash mismatch), or events cut from the end (the head row
disagrees with the last event).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.core import AuditEvent, AuditHead

GENESIS = "0" * 64
SECRET_WORDS = ("password", "passphrase", "secret", "token", "api_key", "private_key")


def redact(value: Any) -> Any:
    """Drop secret-looking keys at any depth: audit rows never hold a secret."""
    if isinstance(value, Mapping):
        return {
            k: ("[redacted]" if any(w in str(k).lower() for w in SECRET_WORDS) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_payload(event: AuditEvent) -> str:
    return canonical(
        {
            "seq": event.seq,
            "ts": iso(event.ts),
            "actor": event.actor,
            "action": event.action,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "before": event.before_json,
            "after": event.after_json,
        }
    )


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _event_payload(event)).encode()).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    return head


def append(
    session: Session,
    *,
    ts: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    head = _lock_head(session)
    event = AuditEvent(
        seq=head.seq + 1,
        ts=ts,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before_json=canonical(redact(before)) if before is not None else None,
        after_json=canonical(redact(after)) if after is not None else None,
        prev_hash=head.hash,
        hash="",
    )
    event.hash = compute_hash(head.hash, event)
    session.add(event)
    head.seq = event.seq
    head.hash = event.hash
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    newest_first: bool = False


def iter_events(session: Session, flt: AuditFilter) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent)
    if flt.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == flt.entity_type)
    if flt.entity_id:
        stmt = stmt.where(AuditEvent.entity_id == flt.entity_id)
    if flt.action:
        pattern = flt.action.replace("*", "%")
        stmt = stmt.where(AuditEvent.action.like(pattern))  # type: ignore[attr-defined]
    if flt.actor:
        stmt = stmt.where(AuditEvent.actor == flt.actor)
    if flt.since:
        stmt = stmt.where(AuditEvent.ts >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEvent.ts < flt.until)
    stmt = stmt.order_by(AuditEvent.seq.desc() if flt.newest_first else AuditEvent.seq)  # type: ignore[attr-defined]
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    yield from session.execute(stmt.execution_options(yield_per=1000)).scalars()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int | None
    problem: str


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    last_seq: int
    broken: ChainBreak | None


def verify(session: Session) -> VerifyReport:
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)  # type: ignore[arg-type]
    for event in session.execute(stmt).scalars():
        checked += 1
        if event.seq != expected_seq:
            problem = (
                f"event id {event.id} has sequence {event.seq} where {expected_seq} was expected: "
                + ("an earlier event was deleted" if event.seq > expected_seq else "events were reordered")
            )
            return VerifyReport(checked, event.seq, ChainBreak(event.seq, event.id, problem))
        if event.prev_hash != expected_prev:
            return VerifyReport(
                checked, event.seq,
                ChainBreak(event.seq, event.id, f"event {event.seq} does not link to the event before it "
                           "(deleted, inserted or reordered events)"),
            )
        if compute_hash(event.prev_hash, event) != event.hash:
            return VerifyReport(
                checked, event.seq,
                ChainBreak(event.seq, event.id, f"event {event.seq} was modified after it was written"),
            )
        expected_prev = event.hash
        expected_seq += 1
    head = session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is not None and (head.seq != last or head.hash != expected_prev):
        return VerifyReport(
            checked, last,
            ChainBreak(last + 1, None, f"the chain ends at event {last} but {head.seq} events were written: "
                       "events were removed from the end"),
        )
    return VerifyReport(checked, last, None)
