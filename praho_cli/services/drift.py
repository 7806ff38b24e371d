"""Drift: find where Virtualmin differs from the ledger, record it, and resolve it.

A scan reads every chosen server's domains in parallel (reads only, so the pool is wider than for
mutations), compares them with the ledger (:mod:`praho_cli.services.drift_compare`, pure) and
updates the drift records in one unit of work: an open record is refreshed rather than duplicated,
and an open record whose drift is gone is closed. Resolving pushes the ledger's state to Virtualmin,
adopts Virtualmin's state into the ledger, or ignores the record; every action is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as account_repo
from praho_cli.ledger import audit
from praho_cli.ledger import drift as repo
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.drift import DriftRecord
from praho_cli.ledger.models.hosting import HostingAccount, Server
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, PrahoFailure, Result, err
from praho_cli.services.context import ServiceContext
from praho_cli.services.drift_compare import KINDS, Drift, LedgerAccount, ServerRead, compare
from praho_cli.virtualmin.client import VirtualminClient

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

ClientProvider = Callable[[Server], VirtualminClient]
Progress = Callable[[str, int, int], None]  # server name, servers done, servers total


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


# --------------------------------------------------------------------------- scan


def _read_one(clients: ClientProvider, server: Server) -> ServerRead:
    try:
        # The lean read (list-domains --simple-multiline, only the lines drift compares): a scan is
        # mostly waiting for servers, not parsing their full records.
        states = clients(server).list_domain_states()
    except PrahoFailure as failure:
        return ServerRead(server.name, None, failure.error.message[:500])
    except Exception as exc:  # one server's bad answer must not stop the scan of the others
        return ServerRead(server.name, None, f"unexpected error reading the server: {type(exc).__name__}")
    # Sub-servers and aliases belong to their parent's account; only top-level ones are accounts.
    return ServerRead(server.name, tuple([s for s in states if s.top_level]))


def _collect(futures: Sequence[Future[ServerRead]], progress: Progress | None) -> list[ServerRead]:
    """The reads as they complete (progress is reported from the calling thread), sorted by server."""
    reads: list[ServerRead] = []
    for future in as_completed(futures):
        read = future.result()
        reads.append(read)
        if progress is not None:
            progress(read.server, len(reads), len(futures))
    return sorted(reads, key=lambda r: r.server)


def read_servers(
    servers: Sequence[Server], clients: ClientProvider, parallel: int, progress: Progress | None = None
) -> list[ServerRead]:
    """list-domains on every server, at most ``parallel`` at a time; a failure becomes an unreachable read."""
    with _reading(servers, parallel) as pool:
        return _collect([pool.submit(_read_one, clients, server) for server in servers], progress)


@contextmanager
def _reading(servers: Sequence[Server], parallel: int) -> Iterator[ThreadPoolExecutor]:
    """The bounded pool a scan's reads run in: one thread per server read at once, never more than
    ``parallel``. Leaving it early (an error, Ctrl-C) cancels the reads not started yet; the reads in
    flight end within their timeouts."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallel, len(servers))), thread_name_prefix="drift")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _choose_servers(session: Session, names: Sequence[str]) -> Result[list[Server]]:
    """The servers to scan, detached from the session: their loaded columns stay readable after it
    ends (the reads use nothing else)."""
    if not names:
        chosen = list(server_repo.iter_servers(session))
    else:
        chosen = []
        for name in dict.fromkeys(n.strip().lower() for n in names):
            server = server_repo.get_by_name(session, name)
            if server is None:
                return err(ErrorCode.NOT_FOUND, f"no server {name!r} (see praho servers list)")
            chosen.append(server)
    for server in chosen:
        session.expunge(server)
    return Ok(chosen)


@dataclass(frozen=True)
class ScanReport:
    servers: int
    unreachable: list[str]
    drifts: list[dict[str, Any]]  # public records of what this scan found
    new: int
    closed: int


def scan(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str] = (),
    progress: Progress | None = None, parallel: int | None = None,
) -> Result[ScanReport]:
    with read_session(db) as session:
        chosen = _choose_servers(session, names)
    if isinstance(chosen, Err):
        return chosen
    servers = chosen.value
    width = parallel or int(ctx.setting("drift.parallel") or 64)
    with _reading(servers, width) as pool:
        # The servers are read while the ledger is: the slowest server sets the pace, not the sum.
        futures = [pool.submit(_read_one, clients, server) for server in servers]
        with read_session(db) as session:
            # Plain tuples until the comparison: the cyclic collector stops tracking a tuple of strings,
            # never a named tuple, and would walk 10,000 of them on every full pass.
            rows = [tuple(row) for row in repo.ledger_accounts(session)]
        reads = _collect(futures, progress)
    found = compare(map(LedgerAccount._make, rows), reads)
    scanned = {r.server for r in reads}
    reachable = {r.server for r in reads if r.reachable}
    return run_in_transaction(db, lambda session: _record(session, ctx, found, scanned, reachable))


def _record(
    session: Session, ctx: ServiceContext, found: list[Drift], scanned: set[str], reachable: set[str]
) -> Result[ScanReport]:
    now = ctx.now()
    existing = repo.open_records(session)
    rows: list[DriftRecord] = []
    new = 0
    for drift in found:
        ledger_json = json.dumps(drift.ledger, sort_keys=True)
        vm_json = json.dumps(drift.virtualmin, sort_keys=True)
        record = existing.pop(drift.key, None)
        if record is None:
            record = DriftRecord(kind=drift.kind, domain=drift.domain, server=drift.server, open_key=drift.key,
                                 ledger_state=ledger_json, virtualmin_state=vm_json, status="pending",
                                 first_seen_at=now, last_seen_at=now, created_at=now, updated_at=now)
            repo.insert(session, record)
            new += 1
        else:
            record.ledger_state, record.virtualmin_state = ledger_json, vm_json
            record.last_seen_at = record.updated_at = now
            record.seen_count += 1
            record.version += 1
            session.add(record)
        rows.append(record)
    closed = 0
    for record in existing.values():
        # Judged only where this scan could see: a record of an unscanned or unreachable server
        # stays open, except the unreachable record of a server that answered this time.
        judged = record.server in reachable if record.kind != "unreachable" else record.server in scanned
        if not judged:
            continue
        record.status, record.resolution, record.open_key = "resolved", "gone", None
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
        closed += 1
    session.flush()
    unreachable = sorted(scanned - reachable)
    audit.append(session, ts=now, actor=ctx.actor, action="drift.scan", entity_type="drift",
                 entity_id=ctx.run_id or "scan",
                 after={"servers": sorted(scanned), "unreachable": unreachable, "found": len(found), "new": new,
                        "closed": closed})
    return Ok(ScanReport(len(scanned), unreachable, [to_public(r) for r in rows], new, closed))


# --------------------------------------------------------------------------- list / show


def list_records(
    session: Session, status: str | None = None, kind: str | None = None, server: str | None = None,
) -> Result[Iterator[dict[str, Any]]]:
    if status is not None and status not in (*STATUSES, "open"):
        return err(ErrorCode.INVALID, f"status: must be one of open, {', '.join(STATUSES)}", field="status")
    if kind is not None and kind not in KINDS:
        return err(ErrorCode.INVALID, f"kind: must be one of {', '.join(KINDS)}", field="kind")
    rows: Iterator[DriftRecord]
    if status == "open":
        rows = (r for r in repo.iter_records(session, kind=kind, server=server) if r.status in repo.OPEN_STATUSES)
    else:
        rows = repo.iter_records(session, status=status, kind=kind, server=server)
    return Ok(to_public(r) for r in rows)


def _find(session: Session, ref: str) -> Result[DriftRecord]:
    ref = ref.strip()
    record = repo.get(session, int(ref)) if ref.isdigit() else None
    if record is None:
        return err(ErrorCode.NOT_FOUND, f"no drift record {ref!r} (see praho drift list)")
    return Ok(record)


def show_record(session: Session, ref: str) -> Result[dict[str, Any]]:
    return _find(session, ref).map(to_public)


# --------------------------------------------------------------------------- resolve


@dataclass(frozen=True)
class ResolveRequest:
    ids: tuple[str, ...] = ()
    all_: bool = False
    kind: str | None = None
    action: str = ""
    reason: str | None = None
    customer: str | None = None
    recreate: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class _Item:
    id: int
    kind: str
    domain: str | None
    server: str
    status: str
    version: int
    virtualmin: dict[str, Any] | None


def _row(item: _Item, action: str, outcome: str, detail: str) -> dict[str, Any]:
    return {"id": str(item.id), "kind": item.kind, "domain": item.domain, "server": item.server,
            "action": action, "outcome": outcome, "detail": detail}


def _select(session: Session, req: ResolveRequest) -> Result[list[_Item]]:
    if req.action not in ACTIONS:
        return err(ErrorCode.INVALID, "give one of --push, --adopt or --ignore --reason R")
    if req.ids and req.all_:
        return err(ErrorCode.INVALID, "give drift ids or --all, not both")
    if not req.ids and not req.all_:
        return err(ErrorCode.INVALID, "give one or more drift ids, or --all")
    if req.kind is not None and req.kind not in KINDS:
        return err(ErrorCode.INVALID, f"kind: must be one of {', '.join(KINDS)}", field="kind")
    if req.action == "ignore" and not (req.reason or "").strip():
        return err(ErrorCode.INVALID, "--ignore needs --reason R (kept with the record)", field="reason")
    if req.action != "ignore" and req.reason:
        return err(ErrorCode.INVALID, "--reason goes with --ignore", field="reason")
    if req.customer and req.action != "adopt":
        return err(ErrorCode.INVALID, "--customer goes with --adopt", field="customer")
    if req.recreate and req.action != "push":
        return err(ErrorCode.INVALID, "--recreate goes with --push", field="recreate")
    if req.all_:
        records = list(repo.iter_records(session, status="pending", kind=req.kind))
    else:
        records = []
        for ref in dict.fromkeys(req.ids):
            found = _find(session, ref)
            if isinstance(found, Err):
                return found
            if req.kind is None or found.value.kind == req.kind:
                records.append(found.value)
    return Ok([_Item(r.id or 0, r.kind, r.domain, r.server, r.status, r.version,
                     json.loads(r.virtualmin_state)) for r in records])


def resolve(
    db: Database, ctx: ServiceContext, clients: ClientProvider, req: ResolveRequest
) -> Result[list[dict[str, Any]]]:
    """Resolve drift records one by one; each item reports planned, done, refused or failed."""
    with read_session(db) as session:
        selected = _select(session, req)
    if isinstance(selected, Err):
        return selected
    if req.customer:
        with read_session(db) as session:
            from praho_cli.services.billing.customers import find_customer

            customer = find_customer(session, req.customer)
            if isinstance(customer, Err):
                return customer
            customer_id: int | None = customer.value.id
    else:
        customer_id = None
    rows: list[dict[str, Any]] = []
    for item in selected.value:
        if item.status == "resolved":
            rows.append(_row(item, req.action, "refused", "already resolved"))
            continue
        if req.action == "ignore":
            rows.append(_ignore(db, ctx, item, req))
            continue
        plan = _plan(db, item, req, customer_id)
        if isinstance(plan, str):
            rows.append(_row(item, req.action, "refused", plan))
            continue
        if req.dry_run:
            rows.append(_row(item, req.action, "planned", plan.detail))
            continue
        rows.append(_execute(db, ctx, clients, item, req.action, plan))
    return Ok(rows)


def _ignore(db: Database, ctx: ServiceContext, item: _Item, req: ResolveRequest) -> dict[str, Any]:
    reason = (req.reason or "").strip()[:500]
    if item.status == "ignored":
        return _row(item, "ignore", "refused", "already ignored")
    if req.dry_run:
        return _row(item, "ignore", "planned", f"ignore: {reason}")

    def work(session: Session) -> Result[dict[str, Any]]:
        record = repo.get(session, item.id)
        if record is None or record.version != item.version:
            return err(ErrorCode.CONFLICT, f"drift {item.id} changed meanwhile; show it again")
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
        return Ok(_row(item, "ignore", "done", f"ignored: {reason}"))

    result = run_in_transaction(db, work)
    return result.value if isinstance(result, Ok) else _row(item, "ignore", "failed", result.error.message)


@dataclass(frozen=True)
class _Plan:
    detail: str
    account_id: int | None = None
    op: str = ""  # enable | disable | plan | create | adopt_new | adopt_gone | adopt_status | adopt_plan ...
    value: Any = None


def _account(session: Session, domain: str | None) -> HostingAccount | None:
    return account_repo.get_by_domain(session, domain or "") if domain else None


def _plan(db: Database, item: _Item, req: ResolveRequest, customer_id: int | None) -> _Plan | str:
    """What resolving would do, from the ledger's current state; a string says why it cannot."""
    if item.kind == "unreachable":
        return "an unreachable server has nothing to push or adopt; check it (praho servers check) or --ignore"
    with read_session(db) as session:
        account = _account(session, item.domain)
        vm = item.virtualmin or {}
        if req.action == "push":
            return _plan_push(item, account, req.recreate)
        if item.kind == "missing_in_ledger":
            if account is not None:
                return f"{item.domain} is in the ledger now; scan again"
            if customer_id is None:
                return "adopting an unknown domain needs --customer (the owner of the new account)"
            username = vm.get("username") or ""
            if not username or account_repo.username_taken(session, username):
                return f"username {username!r} is missing or already used by another ledger account"
            return _Plan(f"record {item.domain} on {item.server} as an account of customer {customer_id} "
                         f"(user {username}, {'suspended' if vm.get('status') == 'disabled' else 'active'})",
                         None, "adopt_new", customer_id)
        if account is None:
            return f"{item.domain} is no longer in the ledger; scan again"
        if account.pending_op:
            return f"{item.domain}: {account.pending_op} is in progress; retry when it finishes"
        if item.kind == "missing_in_virtualmin":
            return _Plan(f"mark {item.domain} terminated in the ledger (it is gone from {item.server})",
                         account.id, "adopt_gone")
        if item.kind == "status_mismatch":
            new = "suspended" if vm.get("status") == "disabled" else "active"
            return _Plan(f"set {item.domain} {new} in the ledger", account.id, "adopt_status", new)
        if item.kind == "plan_mismatch":
            return _Plan(f"set plan {vm.get('plan')!r} in the ledger", account.id, "adopt_plan", vm.get("plan"))
        if item.kind == "owner_mismatch":
            username = vm.get("username") or ""
            if not username or account_repo.username_taken(session, username, except_id=account.id):
                return f"username {username!r} is already used by another ledger account"
            return _Plan(f"set username {username} in the ledger", account.id, "adopt_owner", username)
        if item.kind == "server_mismatch":
            target = server_repo.get_by_name(session, str(vm.get("server") or ""))
            if target is None:
                return f"server {vm.get('server')!r} is not registered in the ledger"
            return _Plan(f"move {item.domain} to {target.name} in the ledger", account.id, "adopt_server",
                         target.id)
    return f"nothing to adopt for {item.kind}"


def _plan_push(item: _Item, account: HostingAccount | None, recreate: bool) -> _Plan | str:
    if item.kind == "missing_in_ledger":
        return ("praho never deletes a domain it does not know: adopt it (--adopt --customer C) or delete it "
                "explicitly")
    if account is None:
        return f"{item.domain} is no longer in the ledger; scan again"
    if account.pending_op:
        return f"{item.domain}: {account.pending_op} is in progress; retry when it finishes"
    if item.kind == "status_mismatch":
        if account.status == "error":
            return (f"{item.domain} is an account whose create failed in the ledger: adopt the domain (--adopt) "
                    "or delete it explicitly; drift never deletes a domain")
        if account.status == "active":
            return _Plan(f"enable {item.domain} on {item.server}", account.id, "enable")
        return _Plan(f"disable {item.domain} on {item.server}", account.id, "disable", account.suspend_reason)
    if item.kind == "plan_mismatch":
        if not account.plan:
            return f"{item.domain} has no plan in the ledger"
        return _Plan(f"apply plan {account.plan!r} to {item.domain} on {item.server}", account.id, "plan",
                     account.plan)
    if item.kind == "missing_in_virtualmin":
        if not recreate:
            return "re-creating a missing domain needs --recreate (it starts empty: files and mail are not restored)"
        return _Plan(f"re-create {item.domain} on {item.server} (user {account.username}"
                     f"{', plan ' + account.plan if account.plan else ''}); set a password afterwards with "
                     f"praho accounts password", account.id, "create")
    if item.kind == "owner_mismatch":
        return "Virtualmin cannot rename a domain's user; adopt Virtualmin's user (--adopt) or fix it on the server"
    if item.kind == "server_mismatch":
        return "praho does not move domains between servers; adopt the server Virtualmin uses (--adopt)"
    return f"nothing to push for {item.kind}"


def _execute(db: Database, ctx: ServiceContext, clients: ClientProvider, item: _Item, action: str,
             plan: _Plan) -> dict[str, Any]:
    if action == "push":
        failure = _push_remote(db, clients, item, plan)
        if failure is not None:
            return _row(item, action, "failed", failure.message)

    def work(session: Session) -> Result[dict[str, Any]]:
        record = repo.get(session, item.id)
        if record is None or record.version != item.version:
            return err(ErrorCode.CONFLICT, f"drift {item.id} changed meanwhile; show it again")
        now = ctx.now()
        if action == "adopt":
            applied = _adopt(session, ctx, item, plan, now)
            if isinstance(applied, Err):
                return applied
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
        return Ok(_row(item, action, "done", plan.detail))

    result = run_in_transaction(db, work)
    return result.value if isinstance(result, Ok) else _row(item, action, "failed", result.error.message)


def _push_remote(db: Database, clients: ClientProvider, item: _Item, plan: _Plan) -> PrahoError | None:
    with read_session(db) as session:
        account = session.get(HostingAccount, plan.account_id)
        if account is None:
            return PrahoError(ErrorCode.NOT_FOUND, f"{item.domain} is no longer in the ledger")
        found = server_repo.get_by_id(session, account.server_id)
        assert found is not None
        server = server_repo.snapshot(found)
        domain, username, plan_name, template = account.domain, account.username, account.plan, account.template
        suspended = account.status in ("suspended", "terminated")
    client = clients(server)
    try:
        if plan.op == "enable":
            _done_if_conflict(lambda: client.enable_domain(domain))
        elif plan.op == "disable":
            _done_if_conflict(lambda: client.disable_domain(domain, plan.value or None))
        elif plan.op == "plan":
            client.modify_domain(domain, plan=str(plan.value))
        elif plan.op == "create":
            from praho_cli.services.hosting.validation import generate_password

            # The old password is not stored anywhere (by design), so the domain gets a fresh random one
            # that nobody sees; the operator sets a known one with `accounts password`.
            client.create_domain(domain, password=generate_password(), user=username, plan=plan_name,
                                 template=template)
            if suspended:
                _done_if_conflict(lambda: client.disable_domain(domain, "Suspended"))
    except PrahoFailure as failure:
        return failure.error
    return None


def _done_if_conflict(call: Callable[[], Any]) -> None:
    """"… is already disabled" / "… is not disabled" mean the wanted state is already there
    (http_disable-domain_already-disabled.json, http_enable-domain_already-enabled.json)."""
    try:
        call()
    except PrahoFailure as failure:
        if failure.error.code is not ErrorCode.CONFLICT:
            raise


def _adopt(session: Session, ctx: ServiceContext, item: _Item, plan: _Plan, now: datetime) -> Result[None]:
    from praho_cli.services.hosting.accounts import public_of

    if plan.op == "adopt_new":
        vm = item.virtualmin or {}
        server = server_repo.get_by_name(session, item.server)
        if server is None:
            return err(ErrorCode.NOT_FOUND, f"server {item.server} is gone from the ledger")
        domain = item.domain or ""
        try:
            unicode_name = domain.encode("ascii").decode("idna")
        except UnicodeError:
            unicode_name = domain
        disabled = vm.get("status") == "disabled"
        holds = server_repo.reserve_slot(session, server.id or 0)
        account = HostingAccount(
            domain=domain, domain_unicode=unicode_name, customer_id=int(plan.value), server_id=server.id or 0,
            username=str(vm.get("username")), plan=vm.get("plan"), status="suspended" if disabled else "active",
            suspend_reason="adopted from Virtualmin (disabled there)" if disabled else None, holds_slot=holds,
            created_at=now, updated_at=now, version=1,
        )
        account_repo.insert(session, account)
        after = public_of(session, account)
        audit.append(session, ts=now, actor=ctx.actor, action="account.adopt", entity_type="account",
                     entity_id=after["id"], after=after)
        return Ok(None)
    existing = session.get(HostingAccount, plan.account_id)
    if existing is None:
        return err(ErrorCode.NOT_FOUND, f"{item.domain} is no longer in the ledger")
    account = existing
    before = public_of(session, account)
    values: dict[str, Any] = {"updated_at": now}
    if plan.op == "adopt_gone":
        values.update(status="terminated", suspend_reason="missing in Virtualmin (adopted by drift resolve)",
                      holds_slot=False)
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
    elif plan.op == "adopt_status":
        values.update(status=plan.value,
                      suspend_reason="adopted from Virtualmin (disabled there)" if plan.value == "suspended" else None)
        if account.status == "error":
            # a create recorded as failed released its slot: the domain it left takes one again
            values["error_reason"] = None
            if not account.holds_slot:
                values["holds_slot"] = server_repo.reserve_slot(session, account.server_id)
    elif plan.op == "adopt_plan":
        values["plan"] = plan.value
    elif plan.op == "adopt_owner":
        values["username"] = plan.value
    elif plan.op == "adopt_server":
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
        values.update(server_id=plan.value, holds_slot=server_repo.reserve_slot(session, int(plan.value)))
    updated = account_repo.update_account_if_version(session, account.id or 0, account.version, values)
    if updated is None:
        return err(ErrorCode.CONFLICT, f"{item.domain} was changed by someone else meanwhile; retry")
    audit.append(session, ts=now, actor=ctx.actor, action="account.adopt", entity_type="account",
                 entity_id=before["id"], before=before, after=public_of(session, updated))
    return Ok(None)
