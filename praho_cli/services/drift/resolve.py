"""Resolving drift records: choose them, then push, adopt or ignore each one, audited.

What an action would do is planned first (:mod:`praho_cli.services.drift.plan`); a dry run stops
there. Pushing changes Virtualmin (:mod:`praho_cli.services.drift.push`), adopting changes the ledger
(:mod:`praho_cli.services.drift.adopt`); either way the record is resolved in its own unit of work.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import drift as repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.drift import DriftRecord
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.result import Err, ErrorCode, Ok, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.drift.adopt import adopt
from praho_cli.services.drift.compare import KINDS
from praho_cli.services.drift.plan import Item, Plan, ResolveRequest, plan_for
from praho_cli.services.drift.push import push_remote
from praho_cli.services.drift.records import ACTIONS, find, to_public
from praho_cli.services.drift.scan import ClientProvider


def _row(item: Item, action: str, outcome: str, detail: str) -> dict[str, Any]:
    return {"id": str(item.id), "kind": item.kind, "domain": item.domain, "server": item.server,
            "action": action, "outcome": outcome, "detail": detail}


def _select(session: Session, req: ResolveRequest) -> list[Item]:
    if req.action not in ACTIONS:
        raise fail(ErrorCode.INVALID, "give one of --push, --adopt or --ignore --reason R")
    if req.ids and req.all_:
        raise fail(ErrorCode.INVALID, "give drift ids or --all, not both")
    if not req.ids and not req.all_:
        raise fail(ErrorCode.INVALID, "give one or more drift ids, or --all")
    if req.kind is not None and req.kind not in KINDS:
        raise fail(ErrorCode.INVALID, f"kind: must be one of {', '.join(KINDS)}", field="kind")
    if req.action == "ignore" and not (req.reason or "").strip():
        raise fail(ErrorCode.INVALID, "--ignore needs --reason R (kept with the record)", field="reason")
    if req.action != "ignore" and req.reason:
        raise fail(ErrorCode.INVALID, "--reason goes with --ignore", field="reason")
    if req.customer and req.action != "adopt":
        raise fail(ErrorCode.INVALID, "--customer goes with --adopt", field="customer")
    if req.recreate and req.action != "push":
        raise fail(ErrorCode.INVALID, "--recreate goes with --push", field="recreate")
    if req.all_:
        records = list(repo.iter_records(session, status="pending", kind=req.kind))
    else:
        records = []
        for ref in dict.fromkeys(req.ids):
            found = find(session, ref)
            if req.kind is None or found.kind == req.kind:
                records.append(found)
    return [Item(r.id or 0, r.kind, r.domain, r.server, r.status, r.version,
                 json.loads(r.virtualmin_state)) for r in records]


@returns_result
def resolve(
    db: Database, ctx: ServiceContext, clients: ClientProvider, req: ResolveRequest
) -> list[dict[str, Any]]:
    """Resolve drift records one by one; each item reports planned, done, refused or failed."""
    with read_session(db) as session:
        selected = _select(session, req)
    if req.customer:
        with read_session(db) as session:
            from praho_cli.services.billing.customers import find_customer

            customer_id: int | None = find_customer(session, req.customer).unwrap().id
    else:
        customer_id = None
    rows: list[dict[str, Any]] = []
    for item in selected:
        if item.status == "resolved":
            rows.append(_row(item, req.action, "refused", "already resolved"))
            continue
        if req.action == "ignore":
            rows.append(_ignore(db, ctx, item, req))
            continue
        plan = plan_for(db, item, req, customer_id)
        if isinstance(plan, str):
            rows.append(_row(item, req.action, "refused", plan))
            continue
        if req.dry_run:
            rows.append(_row(item, req.action, "planned", plan.detail))
            continue
        rows.append(_execute(db, ctx, clients, item, req.action, plan))
    return rows


def _ignore(db: Database, ctx: ServiceContext, item: Item, req: ResolveRequest) -> dict[str, Any]:
    reason = (req.reason or "").strip()[:500]
    if item.status == "ignored":
        return _row(item, "ignore", "refused", "already ignored")
    if req.dry_run:
        return _row(item, "ignore", "planned", f"ignore: {reason}")

    @returns_result
    def work(session: Session) -> dict[str, Any]:
        record = _unchanged(session, item)
        before = to_public(record)
        now = ctx.now()
        # The open key stays: a rescan that still sees this drift refreshes it instead of reopening it.
        record.status, record.resolution, record.reason = "ignored", "ignore", reason
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
        session.flush()
        audit.append(session, ts=now, actor=ctx.actor, action="drift.ignore", entity_type="drift",
                     entity_id=str(item.id), before=before, after=to_public(record))
        return _row(item, "ignore", "done", f"ignored: {reason}")

    result = run_in_transaction(db, work)
    return result.value if isinstance(result, Ok) else _row(item, "ignore", "failed", result.error.message)


def _unchanged(session: Session, item: Item) -> DriftRecord:
    """The record, as it was when it was chosen; a conflict if it changed meanwhile."""
    record = repo.get(session, item.id)
    if record is None or record.version != item.version:
        raise fail(ErrorCode.CONFLICT, f"drift {item.id} changed meanwhile; show it again")
    return record


def _execute(db: Database, ctx: ServiceContext, clients: ClientProvider, item: Item, action: str,
             plan: Plan) -> dict[str, Any]:
    if action == "push":
        pushed = push_remote(db, clients, item, plan)
        if isinstance(pushed, Err):
            return _row(item, action, "failed", pushed.error.message)

    @returns_result
    def work(session: Session) -> dict[str, Any]:
        record = _unchanged(session, item)
        now = ctx.now()
        if action == "adopt":
            adopt(session, ctx, item, plan, now)
        before = to_public(record)
        record.status, record.resolution, record.open_key = "resolved", action, None
        record.reason = plan.detail[:500]
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
        session.flush()
        audit.append(session, ts=now, actor=ctx.actor, action=f"drift.{action}", entity_type="drift",
                     entity_id=str(item.id), before=before, after=to_public(record))
        return _row(item, action, "done", plan.detail)

    result = run_in_transaction(db, work)
    return result.value if isinstance(result, Ok) else _row(item, action, "failed", result.error.message)

