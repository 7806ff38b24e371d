"""The append-only, hash-chained audit trail.

Each event's hash is sha256(previous hash + canonical JSON of the event). Appends lock the single
``audit_head`` row (``FOR UPDATE`` on PostgreSQL; SQLite writers are already serialized by BEGIN
IMMEDIATE), so sequence numbers are gapless and the chain has one order. ``verify`` recomputes the
chain and reports the first broken link: an edited event (its hash no longer matches), a deleted
or reordered one (sequence or previous-hash mismatch), or events cut from the end (the head row
disagrees with the last event).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.core import AuditEvent, AuditHead

GENESIS = "0" * 64
SECRET_WORDS = ("password", "passphrase", "secret", "token", "api_key", "private_key")


_SECRET_KEY = re.compile("|".join(SECRET_WORDS), re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _secret_key(key: str) -> bool:
    """Whether a key names a secret (cached: records repeat the same few dozen keys)."""
    return _SECRET_KEY.search(key) is not None


_PLAIN = frozenset({str, int, float, bool, type(None)})  # nothing inside to redact


def redact(value: Any) -> Any:
    """Drop secret-looking keys at any depth: audit rows never hold a secret."""
    if isinstance(value, Mapping):
        return {k: ("[redacted]" if _secret_key(str(k)) else v if type(v) in _PLAIN else redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else redact(v) for v in value]
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_payload(event: Any) -> str:
    """The hashed text of an event: an AuditEvent row or a mapping with the same names."""
    get = event.get if isinstance(event, Mapping) else lambda name: getattr(event, name, None)
    payload = {
        "seq": get("seq"),
        "ts": iso(get("ts")),
        "actor": get("actor"),
        "action": get("action"),
        "entity_type": get("entity_type"),
        "entity_id": get("entity_id"),
        "before": get("before_json"),
        "after": get("after_json"),
    }
    proof = get("proof")
    if proof is not None:  # only when present: events written before proofs existed hash as they did
        payload["proof"] = proof
    return canonical(payload)


def compute_hash(prev_hash: str, event: Any) -> str:
    return hashlib.sha256((prev_hash + _event_payload(event)).encode()).hexdigest()


_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
_HEAD = AuditHead.__table__  # type: ignore[attr-defined]

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
    proves: object | None = None,
) -> dict[str, Any]:
    """Append one event in the caller's transaction and return it (a mapping of its columns).

    ``proves`` is the row the event creates (an issued ``BillingDocument``, a ``Payment``, a
    ``Refund``; or a proof already computed): its proof (``ledger/proofs.py``) is chained with the
    event, and ``audit verify`` recomputes it from the row.

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite's writers are serialised by BEGIN
    IMMEDIATE) and stays locked until commit, so sequence numbers are gapless and every event's hash
    chains to the one before it: read the head, insert the event with its hash, move the head."""
    event: dict[str, Any] = {
        "ts": ts,
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before_json": canonical(redact(before)) if before is not None else None,
        "after_json": canonical(redact(after)) if after is not None else None,
    }
    if proves is not None:
        from praho_cli.ledger import proofs

        event["proof"] = proves if isinstance(proves, str) else proofs.of(session, proves)
    seq, prev_hash = session.execute(
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()).one()
    event.update(seq=seq + 1, prev_hash=prev_hash)
    event["hash"] = compute_hash(prev_hash, event)
    session.execute(insert(_EVENTS).values(**event))
    session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=event["seq"], hash=event["hash"]))
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
        stmt = stmt.where(col(AuditEvent.entity_type) == flt.entity_type)
    if flt.entity_id:
        stmt = stmt.where(col(AuditEvent.entity_id) == flt.entity_id)
    if flt.action:
        pattern = flt.action.replace("*", "%")
        stmt = stmt.where(col(AuditEvent.action).like(pattern))
    if flt.actor:
        stmt = stmt.where(col(AuditEvent.actor) == flt.actor)
    if flt.since:
        stmt = stmt.where(col(AuditEvent.ts) >= flt.since)
    if flt.until:
        stmt = stmt.where(col(AuditEvent.ts) < flt.until)
    stmt = stmt.order_by(col(AuditEvent.seq).desc() if flt.newest_first else col(AuditEvent.seq))
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
    stmt = select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=2000)
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


def head(session: Session) -> tuple[int, str]:
    """The chain's head: the last sequence number and hash written (0 and the genesis hash when empty)."""
    row = session.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
    return (int(row.seq), str(row.hash)) if row is not None else (0, GENESIS)


def hash_at(session: Session, seq: int) -> str | None:
    """The hash of event ``seq`` as stored (None: no such event)."""
    value = session.execute(select(col(AuditEvent.hash)).where(col(AuditEvent.seq) == seq)).scalar()
    return str(value) if value is not None else None


def seq_of_hash(session: Session, digest: str) -> int | None:
    """The sequence number of the event with this hash (None: no such event)."""
    value = session.execute(select(col(AuditEvent.seq)).where(col(AuditEvent.hash) == digest)).scalar()
    return int(value) if value is not None else None
