"""Reading and verifying the audit trail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit as chain
from praho_cli.ledger import proofs
from praho_cli.ledger.models import AuditEvent
from praho_cli.ledger.models.base import iso
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.context import ServiceContext

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
        Field("proof", "string|null", "KIND:sha256 of the ledger row the event created (a document issued, a "
              "payment or refund recorded), which `audit verify` recomputes.", table=False),
    ),
)

AUDIT_VERIFY = RecordType(
    name="audit_verify",
    title="Audit verification",
    fields=(
        Field("ok", "boolean", "True when every link of the chain holds, the anchor (if given) is in it, and "
              "every issued document, payment and refund matches the event that created it."),
        Field("checked", "integer", "Events read."),
        Field("last_seq", "integer", "Sequence number of the last good event."),
        Field("broken_seq", "integer|null", "Sequence number where the chain first breaks."),
        Field("broken_event_id", "integer|null", "Row id of the first broken event (null: removed from the end)."),
        Field("problem", "string|null", "What is wrong: the first break, the missing anchor, or the ledger rows "
              "that differ from their events."),
        Field("head_seq", "integer", "The chain's head: its last sequence number (store it elsewhere as an "
              "anchor)."),
        Field("head_hash", "string", "The chain's head: the hash of its last event.", table=False),
        Field("proven", "integer", "Ledger rows (issued documents, payments, refunds) that match their event."),
        Field("changed", "array", "Ledger rows that differ from the event that created them.", table=False),
        Field("unproven", "array", "Ledger rows that no event proves (inserted directly, or older than proofs: "
              "see `praho audit prove-existing`).", table=False),
    ),
)

AUDIT_ANCHOR = RecordType(
    name="audit_anchor",
    title="Audit anchor",
    description="The chain's head, to store away from the ledger and give back to `audit verify`.",
    fields=(
        Field("seq", "integer", "Sequence number of the last event (--expect-seq)."),
        Field("hash", "string", "Hash of the last event (--expect-head)."),
    ),
)

PROVED = RecordType(
    name="audit_proved",
    title="Rows proved",
    description="What `audit prove-existing` proved: one audit event per row that had none.",
    fields=(
        Field("kind", "string", "document, payment or refund.", enum=proofs.KINDS),
        Field("id", "integer", "The row's id."),
        Field("label", "string", "What names it."),
        Field("proof", "string", "The proof written into its event.", table=False),
    ),
)

LISTED = 5  # rows named in a one-line problem before "and N more"


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
        "proof": event.proof,
    }


@returns_result
def list_events(session: Session, flt: chain.AuditFilter) -> Iterator[dict[str, Any]]:
    if flt.limit is not None and flt.limit < 1:
        raise fail(ErrorCode.INVALID, "--limit must be at least 1")
    if flt.since and flt.until and flt.since >= flt.until:
        raise fail(ErrorCode.INVALID, "--since must be before --until")
    return (_public(e) for e in chain.iter_events(session, flt))


def _named(labels: list[str]) -> str:
    more = f" and {len(labels) - LISTED} more" if len(labels) > LISTED else ""
    return ", ".join(labels[:LISTED]) + more


def _anchor_problem(session: Session, expect_head: str | None, expect_seq: int | None) -> str | None:
    """Why the chain no longer holds the anchor the operator stored, or None."""
    head_seq, _head_hash = chain.head(session)
    if expect_seq is not None and expect_head is not None:
        stored = chain.hash_at(session, expect_seq)
        if stored != expect_head.strip().lower():
            return (f"the chain no longer holds the anchor event {expect_seq} with hash {expect_head[:16]}… "
                    f"(it ends at event {head_seq}): events were cut from the end or rewritten")
    elif expect_seq is not None:
        if chain.hash_at(session, expect_seq) is None:
            return (f"the chain ends at event {head_seq} but the anchor says {expect_seq} events were written: "
                    "events were cut from the end")
    elif expect_head is not None and chain.seq_of_hash(session, expect_head.strip().lower()) is None:
        return (f"the chain no longer holds the anchor hash {expect_head[:16]}… (it ends at event {head_seq}): "
                "events were cut from the end or rewritten")
    return None


@returns_result
def verify_chain(session: Session, expect_head: str | None = None, expect_seq: int | None = None) -> dict[str, Any]:
    """The chain, the anchor the operator stored (if given), and every provable ledger row."""
    if expect_seq is not None and expect_seq < 0:
        raise fail(ErrorCode.INVALID, "--expect-seq must be 0 or more", field="expect_seq")
    if expect_head is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expect_head.strip()):
        raise fail(ErrorCode.INVALID, "--expect-head must be a sha256 hash (64 hex digits)", field="expect_head")
    report = chain.verify(session)
    head_seq, head_hash = chain.head(session)
    checked = proofs.check(session)
    changed = [f.label for f in checked.findings if f.problem == "changed"]
    unproven = [f.label for f in checked.findings if f.problem == "unproven"]
    problem = report.broken.problem if report.broken else _anchor_problem(session, expect_head, expect_seq)
    if problem is None and (changed or unproven):
        parts = []
        if changed:
            parts.append(f"{len(changed)} ledger row(s) differ from the audit event that created them: "
                         f"{_named(changed)}")
        if unproven:
            parts.append(f"{len(unproven)} ledger row(s) have no audit event proving them: {_named(unproven)} "
                         "(rows older than proofs: run `praho audit prove-existing` once)")
        problem = "; ".join(parts)
    return {
        "ok": problem is None,
        "checked": report.checked,
        "last_seq": report.last_seq,
        "broken_seq": report.broken.seq if report.broken else None,
        "broken_event_id": report.broken.event_id if report.broken else None,
        "problem": problem,
        "head_seq": head_seq,
        "head_hash": head_hash,
        "proven": checked.proven,
        "changed": changed,
        "unproven": unproven,
    }


@returns_result
def anchor(session: Session) -> dict[str, Any]:
    """The chain's head as an anchor: sequence number and hash."""
    seq, digest = chain.head(session)
    return {"seq": seq, "hash": digest}


@returns_result
def prove_existing(session: Session, ctx: ServiceContext) -> list[dict[str, Any]]:
    """Prove, once, the rows written before praho proved rows: an audit event per row with none.

    Refused while the chain is broken: a proof written on top of a tampered chain would bless it."""
    report = chain.verify(session)
    if report.broken is not None:
        raise fail(ErrorCode.DIFFERENCES, f"audit chain broken at event {report.broken.seq}: {report.broken.problem}")
    now = ctx.now()
    rows = proofs.unproven_events(session)
    for row in rows:
        chain.append(session, ts=now, actor=ctx.actor, action=f"{row['entity_type']}.prove",
                     entity_type=row["entity_type"], entity_id=row["id"], after={"proved": row["label"]},
                     proves=row["proof"])
    return [{k: row[k] for k in ("kind", "id", "label", "proof")} for row in rows]
