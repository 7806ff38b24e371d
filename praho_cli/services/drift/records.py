"""Drift records: their public shape, and listing and showing them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import drift as repo
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.drift import DriftRecord
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.drift.compare import KINDS

STATUSES = ("pending", "resolved", "ignored")
ACTIONS = ("push", "adopt", "ignore")

DRIFT = RecordType(
    name="drift",
    title="Drift record",
    description="A difference between the ledger and a Virtualmin server, and how it was settled.",
    fields=(
        Field("id", "string", "Ledger id of the drift record."),
        Field("kind", "string", "What differs.", enum=KINDS),
        Field("domain", "string|null", "Domain (null for an unreachable server)."),
        Field("server", "string", "Server the ledger places the domain on (or that hosts an unknown domain)."),
        Field("status", "string", "pending, resolved or ignored.", enum=STATUSES),
        Field("ledger_state", "object|null", "What the ledger says: server, status, plan, username (null: "
              "the ledger has no such account)."),
        Field("virtualmin_state", "object|null", "What Virtualmin says: server, status (enabled/disabled), plan, "
              "username; or the read error (null: the server has no such domain)."),
        Field("first_seen_at", "string", "First scan that found it (UTC).", table=False, format="date-time"),
        Field("last_seen_at", "string", "Latest scan that found it (UTC).", format="date-time"),
        Field("seen_count", "integer", "How many scans found it.", table=False),
        Field("resolved_at", "string|null", "When it was resolved or ignored (UTC).", table=False,
              format="date-time"),
        Field("resolved_by", "string|null", "Who resolved it (actor).", table=False),
        Field("resolution", "string|null", "push, adopt, ignore, or gone (a later scan no longer found it).",
              table=False, enum=("push", "adopt", "ignore", "gone")),
        Field("reason", "string|null", "Why it was ignored, or what resolving it did.", table=False),
    ),
)

RESOLUTION = RecordType(
    name="drift_resolution",
    title="Drift resolution",
    description="The plan or outcome of resolving one drift record.",
    fields=(
        Field("id", "string", "Drift record id."),
        Field("kind", "string", "Drift kind.", enum=KINDS),
        Field("domain", "string|null", "Domain."),
        Field("server", "string", "Server."),
        Field("action", "string", "push, adopt or ignore.", enum=ACTIONS),
        Field("outcome", "string", "planned (dry run), done, refused (not possible this way) or failed.",
              enum=("planned", "done", "refused", "failed")),
        Field("detail", "string", "What is (or would be) done, or why not."),
    ),
)


def to_public(record: DriftRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "kind": record.kind,
        "domain": record.domain,
        "server": record.server,
        "status": record.status,
        "ledger_state": json.loads(record.ledger_state),
        "virtualmin_state": json.loads(record.virtualmin_state),
        "first_seen_at": iso(record.first_seen_at),
        "last_seen_at": iso(record.last_seen_at),
        "seen_count": record.seen_count,
        "resolved_at": iso(record.resolved_at),
        "resolved_by": record.resolved_by,
        "resolution": record.resolution,
        "reason": record.reason,
    }



@returns_result
def list_records(
    session: Session, status: str | None = None, kind: str | None = None, server: str | None = None,
) -> Iterator[dict[str, Any]]:
    if status is not None and status not in (*STATUSES, "open"):
        raise fail(ErrorCode.INVALID, f"status: must be one of open, {', '.join(STATUSES)}", field="status")
    if kind is not None and kind not in KINDS:
        raise fail(ErrorCode.INVALID, f"kind: must be one of {', '.join(KINDS)}", field="kind")
    rows: Iterator[DriftRecord]
    if status == "open":
        rows = (r for r in repo.iter_records(session, kind=kind, server=server) if r.status in repo.OPEN_STATUSES)
    else:
        rows = repo.iter_records(session, status=status, kind=kind, server=server)
    return (to_public(r) for r in rows)


def find(session: Session, ref: str) -> DriftRecord:
    """The record a reference names (its id), or not found."""
    ref = ref.strip()
    record = repo.get(session, int(ref)) if ref.isdigit() else None
    if record is None:
        raise fail(ErrorCode.NOT_FOUND, f"no drift record {ref!r} (see praho drift list)")
    return record


@returns_result
def show_record(session: Session, ref: str) -> dict[str, Any]:
    return to_public(find(session, ref))

