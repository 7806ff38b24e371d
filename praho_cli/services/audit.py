"""Reading and verifying the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit as chain
from praho_cli.ledger.models import AuditEvent
from praho_cli.ledger.models.base import iso
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result

AUDIT_EVENT = RecordType(
    name="audit_event",
    title="Audit event",
    description="One change to the ledger, hash-chained to the event before it.",
    fields=(
        Field("seq", "integer", "Position in the chain, gapless from 1."),
        Field("ts", "string", "When the change was committed (UTC).", format="date-time"),
        Field("actor", "string", "Who made the change (--actor, or the OS user)."),
        Field("action", "string", "What was done, noun.verb (customer.create)."),
        Field("entity_type", "string", "The kind of record changed."),
        Field("entity_id", "string", "The id of the record changed."),
        Field("before", "object|null", "The record before the change (secrets never included).", table=False),
        Field("after", "object|null", "The record after the change (secrets never included).", table=False),
        Field("hash", "string", "sha256 of the previous hash and this event.", table=False),
    ),
)

AUDIT_VERIFY = RecordType(
    name="audit_verify",
    title="Audit verification",
    fields=(
        Field("ok", "boolean", "True when every link of the chain holds."),
        Field("checked", "integer", "Events read."),
        Field("last_seq", "integer", "Sequence number of the last good event."),
        Field("broken_seq", "integer|null", "Sequence number where the chain first breaks."),
        Field("broken_event_id", "integer|null", "Row id of the first broken event (null: removed from the end)."),
        Field("problem", "string|null", "What is wrong at the first break."),
    ),
)


def _public(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "ts": iso(event.ts),
        "actor": event.actor,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": json.loads(event.before_json) if event.before_json else None,
        "after": json.loads(event.after_json) if event.after_json else None,
        "hash": event.hash,
    }


@returns_result
def list_events(session: Session, flt: chain.AuditFilter) -> Iterator[dict[str, Any]]:
    if flt.limit is not None and flt.limit < 1:
        raise fail(ErrorCode.INVALID, "--limit must be at least 1")
    if flt.since and flt.until and flt.since >= flt.until:
        raise fail(ErrorCode.INVALID, "--since must be before --until")
    return (_public(e) for e in chain.iter_events(session, flt))


@returns_result
def verify_chain(session: Session) -> dict[str, Any]:
    report = chain.verify(session)
    row = {
        "ok": report.broken is None,
        "checked": report.checked,
        "last_seq": report.last_seq,
        "broken_seq": report.broken.seq if report.broken else None,
        "broken_event_id": report.broken.event_id if report.broken else None,
        "problem": report.broken.problem if report.broken else None,
    }
    return row
