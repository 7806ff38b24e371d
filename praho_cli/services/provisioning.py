"""Creating accounts (docs/provisioning.md): record intent, pre-flight, create, record the outcome.

Every step that changes something records the operation that undoes it in the job's ``steps``.
On failure the recorded rollbacks run in reverse order, each one's result is recorded, and a
failed rollback step does not stop the others. A create whose outcome is unknown (timeout, lost
reply) is resolved by reading the domain back from Virtualmin, never by repeating the create.
"""

from __future__ import annotations

import json
import shlex
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from praho_cli.ledger import accounts as repo
from praho_cli.ledger import audit
from praho_cli.ledger import idempotency as idem_store
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import HostingAccount, ProvisioningJob, Server
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, PrahoFailure, Result, Retry, err
from praho_cli.services import placement
from praho_cli.services.accounts import (
    ClientProvider,
    check_password,
    customer_name,
    find_customer,
    generate_password,
    normalize_domain,
    to_public,
    username_candidates,
    validate_username,
)
from praho_cli.services.context import ServiceContext
from praho_cli.virtualmin.client import VirtualminClient


@dataclass(frozen=True)
class CreateRequest:
    domain: str
    customer: str
    plan: str | None = None
    template: str | None = None
    server: str | None = None
    region: str | None = None
    tags: tuple[str, ...] = ()
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    protect: bool = False

    def fingerprint(self) -> dict[str, Any]:
        """Parameters for idempotency: the password's presence, never its value."""
        data = asdict(self)
        data["password"] = self.password is not None
        data["tags"] = list(self.tags)
        return data


@dataclass
class Intent:
    account_id: int
    job_id: int
    server: Server
    domain: str
    username: str
    generated_username: bool
    steps: list[dict[str, Any]]
    customer_name: str


# --------------------------------------------------------------------------- placement


def _candidates(session: Session, ctx: ServiceContext, req: CreateRequest) -> Result[list[Server]]:
    max_age = int(ctx.setting("virtualmin.health_max_age_seconds") or 900)
    constraints = placement.Constraints(region=req.region.lower() if req.region else None,
                                        tags=tuple(t.lower() for t in req.tags))
    if req.server:
        server = server_repo.get_by_name(session, req.server.strip().lower())
        if server is None:
            return err(ErrorCode.NOT_FOUND, f"no server {req.server!r}")
        reason = placement.rejection(server, ctx.now(), max_age, constraints)
        if reason:
            # An explicit --server must pass the same checks: never a silent fallback.
            return err(ErrorCode.INELIGIBLE, f"server {server.name} cannot host this account: {reason}",
                       server=server.name, reason=reason)
        return Ok([server])
    eligible, verdicts = placement.rank(list(server_repo.iter_servers(session)), ctx.now(), max_age, constraints)
    if not eligible:
        return err(ErrorCode.INELIGIBLE, "no server can host this account: " + placement.explain(verdicts),
                   rejected={v.server.name: v.reason for v in verdicts})
    return Ok(eligible)


def _validate(session: Session, req: CreateRequest) -> Result[tuple[str, str, int, HostingAccount | None]]:
    normalized = normalize_domain(req.domain)
    if isinstance(normalized, Err):
        return normalized
    domain, unicode_name = normalized.value
    if req.username is not None:
        checked = validate_username(req.username)
        if isinstance(checked, Err):
            return checked
    if req.password is not None:
        checked_pw = check_password(req.password)
        if isinstance(checked_pw, Err):
            return checked_pw
    customer = find_customer(session, req.customer)
    if isinstance(customer, Err):
        return customer
    existing = repo.get_by_domain(session, domain)
    if existing is not None and existing.status != "error":
        return err(ErrorCode.CONFLICT, f"{domain} is already in the ledger ({existing.status}, server "
                   f"{server_repo.get_by_id(session, existing.server_id).name})",  # type: ignore[union-attr]
                   domain=domain)
    if existing is not None and existing.customer_id != customer.value.id:
        return err(ErrorCode.CONFLICT, f"{domain} belongs to another customer in the ledger", domain=domain)
    return Ok((domain, unicode_name, customer.value.id or 0, existing))


def plan_create(db: Database, ctx: ServiceContext, req: CreateRequest) -> Result[dict[str, Any]]:
    """--dry-run: validation and placement only; nothing is written or sent."""
    with read_session(db) as session:
        checked = _validate(session, req)
        if isinstance(checked, Err):
            return checked
        domain, unicode_name, customer_id, _existing = checked.value
        candidates = _candidates(session, ctx, req)
        if isinstance(candidates, Err):
            return candidates
        server = server_repo.snapshot(candidates.value[0])
        username = req.username or next(u for u in username_candidates(domain)
                                        if not repo.username_taken(session, u))
        owner = customer_name(session, customer_id)
    return Ok({"id": None, "domain": domain, "domain_unicode": unicode_name, "customer_id": str(customer_id),
               "customer_name": owner, "server": server.name, "username": username, "plan": req.plan,
               "template": req.template,
               "status": "planned", "suspend_reason": None, "error_reason": None, "protected": req.protect,
               "pending_op": None, "password": None, "created_at": None, "updated_at": None, "version": 0})


# --------------------------------------------------------------------------- steps


def _record_intent(db: Database, ctx: ServiceContext, req: CreateRequest) -> Result[Intent]:
    def work(session: Session) -> Result[Intent]:
        checked = _validate(session, req)
        if isinstance(checked, Err):
            return checked
        domain, unicode_name, customer_id, existing = checked.value
        candidates = _candidates(session, ctx, req)
        if isinstance(candidates, Err):
            return candidates
        chosen: Server | None = None
        for server in candidates.value:
            if server_repo.reserve_slot(session, server.id or 0):
                chosen = server
                break
        if chosen is None:
            # Every candidate filled up between ranking and reservation (a concurrent create won).
            return err(ErrorCode.INELIGIBLE, "no server can host this account: "
                       + "; ".join(f"{s.name}: full" for s in candidates.value))
        if req.username is not None:
            username = req.username
            if repo.username_taken(session, username, existing.id if existing else None):
                return err(ErrorCode.CONFLICT, f"username {username} is already used in the ledger",
                           field="username")
        else:
            username = next(u for u in username_candidates(domain)
                            if not repo.username_taken(session, u, existing.id if existing else None))
        now = ctx.now()
        values = dict(domain=domain, domain_unicode=unicode_name, customer_id=customer_id, server_id=chosen.id,
                      username=username, plan=req.plan, template=req.template, status="provisioning",
                      suspend_reason=None, error_reason=None, protected=req.protect, pending_op="create",
                      holds_slot=True, updated_at=now)
        if existing is not None:
            account = repo.update_account_if_version(session, existing.id or 0, existing.version, values)
            if account is None:
                return err(ErrorCode.CONFLICT, f"{domain} was changed by someone else meanwhile; retry")
        else:
            account = HostingAccount(**values, created_at=now, version=1)  # type: ignore[arg-type]
            repo.insert(session, account)
        steps = [{"step": "reserve_slot", "status": "done", "rollback": "release_slot",
                  "detail": f"server {chosen.name}"}]
        job = ProvisioningJob(attempt_id=uuid.uuid4().hex, kind="create", domain=domain, account_id=account.id,
                              server_id=chosen.id or 0, username=username, status="pending",
                              steps_json=json.dumps(steps), created_at=now, updated_at=now, version=1)
        repo.insert(session, job)
        owner = customer_name(session, customer_id)  # loaded by _validate: no query
        audit.append(session, ts=now, actor=ctx.actor, action="account.create.intent", entity_type="account",
                     entity_id=str(account.id),
                     after={**to_public(account, chosen.name, owner), "job": job.attempt_id})
        return Ok(Intent(account.id or 0, job.id or 0, server_repo.snapshot(chosen), domain, username,
                         req.username is None, steps, owner))

    return run_in_transaction(db, work)


def _save_job(db: Database, ctx: ServiceContext, intent: Intent, status: str, error: str | None = None,
              account_values: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Record the job's progress (and account changes) in one short write transaction. Returns the
    account's public record when ``account_values`` change its status (the outcome), else None.

    Plain UPDATEs without re-reading the rows: a create makes three of these transactions and they
    serialise on SQLite's single writer across every server an apply works on (bench/bench_apply.py),
    so each one is kept to the statements it needs."""
    now = ctx.now()

    def work(session: Session) -> Result[dict[str, Any] | None]:
        session.execute(
            update(ProvisioningJob).where(col(ProvisioningJob.id) == intent.job_id)
            .values(status=status, error=error, steps_json=json.dumps(intent.steps), username=intent.username,
                    updated_at=now, version=ProvisioningJob.version + 1)
            .execution_options(synchronize_session=False))
        if account_values is None:
            return Ok(None)
        if "status" not in account_values:
            session.execute(
                update(HostingAccount).where(col(HostingAccount.id) == intent.account_id)
                .values(**account_values, updated_at=now, version=HostingAccount.version + 1)
                .execution_options(synchronize_session=False))
            return Ok(None)
        account = session.get(HostingAccount, intent.account_id)
        if account is None:
            return Ok(None)
        before = to_public(account, intent.server.name, intent.customer_name)
        updated = repo.update_account_if_version(session, account.id or 0, account.version,
                                                 {**account_values, "updated_at": now})
        if updated is None:
            return Ok(None)
        after = to_public(updated, intent.server.name, intent.customer_name)
        audit.append(session, ts=now, actor=ctx.actor, action=f"account.create.{updated.status}",
                     entity_type="account", entity_id=str(updated.id), before=before, after=after)
        return Ok(after)

    recorded = run_in_transaction(db, work)
    if isinstance(recorded, Err):
        raise PrahoFailure(recorded.error)
    return recorded.value


def _preflight(client: VirtualminClient, req: CreateRequest, intent: Intent, db: Database) -> str | None:
    """Remote checks on the chosen server. Returns why the account cannot be created there, or None.
    May change ``intent.username`` (generated names get a numeric suffix on a clash)."""
    # One list-domains serves both checks (domain free, username free): a round trip saved per create.
    hosted = client.list_domains()
    if any(d.domain == intent.domain for d in hosted):
        return f"{intent.domain} is already hosted on {intent.server.name}"
    if req.plan is not None:
        plans = client.list_plans()
        if not any(req.plan in (p.id, p.name) for p in plans):
            return f"plan {req.plan!r} does not exist on {intent.server.name}"
    if req.template is not None:
        templates = client.list_templates()
        if not any(req.template in (t.id, t.name) for t in templates):
            return f"template {req.template!r} does not exist on {intent.server.name}"
    remote_users = {d.username for d in hosted if d.username}
    if intent.username in remote_users:
        if not intent.generated_username:
            return f"username {intent.username} is already used on {intent.server.name}"
        with read_session(db) as session:
            intent.username = next(u for u in username_candidates(intent.domain)
                                   if u not in remote_users and not repo.username_taken(session, u, intent.account_id))
    return None


def _rollback(db: Database, ctx: ServiceContext, client: VirtualminClient | None, intent: Intent) -> None:
    """Run the recorded rollbacks in reverse order; record each; continue past failures."""
    for step in reversed([s for s in intent.steps if s.get("rollback") and s["status"] in ("done", "unknown")]):
        name = step["rollback"]
        entry: dict[str, Any] = {"step": f"rollback:{name}", "status": "done"}
        try:
            if name == "delete_domain":
                assert client is not None
                try:
                    client.delete_domain(intent.domain)
                except PrahoFailure as failure:
                    if failure.error.code is not ErrorCode.NOT_FOUND:
                        raise
                    entry["detail"] = "not present"
            elif name == "release_slot":
                def release(session: Session) -> Result[None]:
                    account = session.get(HostingAccount, intent.account_id)
                    if account is not None and account.holds_slot:
                        server_repo.release_slot(session, intent.server.id or 0)
                        repo.update_account_if_version(session, account.id or 0, account.version,
                                                       {"holds_slot": False})
                    return Ok(None)

                done = run_in_transaction(db, release)
                if isinstance(done, Err):
                    raise PrahoFailure(done.error)
        except PrahoFailure as failure:
            entry.update(status="failed", detail=failure.error.message[:300])
        intent.steps.append(entry)
        _save_job(db, ctx, intent, "running")


def _fail(db: Database, ctx: ServiceContext, client: VirtualminClient | None, intent: Intent,
          error: PrahoError) -> Err:
    _rollback(db, ctx, client, intent)
    rollback_failed = any(s["status"] == "failed" for s in intent.steps if s["step"].startswith("rollback:"))
    reason = error.message + (" (a rollback step failed: see praho accounts jobs show)" if rollback_failed else "")
    _save_job(db, ctx, intent, "failed", reason[:1000],
              {"status": "error", "error_reason": reason[:1000], "pending_op": None})
    return Err(PrahoError(error.code, reason, {**error.details, "domain": intent.domain,
                                                "job": intent.job_id}, error.retry))


def create_account(
    db: Database, ctx: ServiceContext, clients: ClientProvider, req: CreateRequest,
    idempotency_key: str | None = None,
) -> Result[dict[str, Any]]:
    """Returns the account record; ``password`` holds a generated password (the caller decides
    whether to show it)."""
    if idempotency_key is not None:
        replay = _idempotent_lookup(db, idempotency_key, req)
        if replay is not None:
            return replay
    password = req.password or generate_password()
    recorded = _record_intent(db, ctx, req)
    if isinstance(recorded, Err):
        return recorded
    intent = recorded.value
    recorded_username = intent.username
    try:
        client = clients(intent.server)
    except PrahoFailure as failure:
        return _fail(db, ctx, None, intent, failure.error)
    try:
        problem = _preflight(client, req, intent, db)
    except PrahoFailure as failure:
        intent.steps.append({"step": "preflight", "status": "failed", "detail": failure.error.message[:300]})
        return _fail(db, ctx, client, intent, failure.error)
    if problem is not None:
        intent.steps.append({"step": "preflight", "status": "failed", "detail": problem})
        return _fail(db, ctx, client, intent, PrahoError(ErrorCode.INELIGIBLE, f"pre-flight: {problem}"))
    intent.steps.append({"step": "preflight", "status": "done"})
    create_step: dict[str, Any] = {"step": "create_domain", "status": "started", "rollback": "delete_domain"}
    intent.steps.append(create_step)
    # The committed intent already leaves a visible pending job that `accounts jobs resume` settles by
    # reading the domain back, so a crash during the create needs no further commit here - unless
    # pre-flight changed the generated username: resume must compare the owner against the name the
    # create will use, so that one is committed first. (Each commit is a turn on SQLite's single
    # writer that every server of an apply waits for: bench/bench_apply.py.)
    if intent.username != recorded_username:
        _save_job(db, ctx, intent, "running", account_values={"username": intent.username})
    try:
        client.create_domain(intent.domain, password=password, user=intent.username, plan=req.plan,
                             template=req.template)
    except PrahoFailure as failure:
        return _after_failed_create(db, ctx, client, intent, create_step, failure.error)
    create_step["status"] = "done"
    result = _succeed(db, ctx, intent, idempotency_key, req)
    if isinstance(result, Ok) and req.password is None:
        return Ok({**result.value, "password": password})
    return result


def _after_failed_create(
    db: Database, ctx: ServiceContext, client: VirtualminClient, intent: Intent, step: dict[str, Any],
    error: PrahoError,
) -> Result[dict[str, Any]]:
    try:
        record = client.get_domain(intent.domain)
    except PrahoFailure as read_failure:
        # Neither the create nor the read-back answered: leave the job for `accounts jobs resume`.
        return _leave_unknown(db, ctx, intent, step, error, f"read-back failed: {read_failure.error.message}")
    if record is None and error.retry is Retry.UNKNOWN:
        # Timed out or lost: Virtualmin goes on with a create after the client gave up, so a domain
        # absent right now may still appear. Only a later read (`accounts jobs resume`) can tell.
        return _leave_unknown(db, ctx, intent, step, error, "not on the server yet")
    if record is not None and record.username == intent.username and error.retry is Retry.UNKNOWN:
        # The reply was lost but the server created it with our username: that is a success.
        step.update(status="done", detail="confirmed by reading the domain back")
        return _succeed(db, ctx, intent, None, None)
    if record is not None and record.username != intent.username:
        step.update(status="failed", detail=f"domain exists with owner {record.username}")
        # Not ours: never delete someone else's domain.
        step.pop("rollback", None)
        return _fail(db, ctx, client, intent, PrahoError(
            ErrorCode.CONFLICT, f"{intent.domain} exists on {intent.server.name} owned by {record.username}"))
    # The create definitely failed, maybe after creating the domain: the recorded delete_domain
    # rollback removes it.
    step.update(status="unknown" if record is not None else "failed", detail=error.message[:300])
    return _fail(db, ctx, client, intent, error)


def _leave_unknown(db: Database, ctx: ServiceContext, intent: Intent, step: dict[str, Any], error: PrahoError,
                   why: str) -> Err:
    """The create's outcome is unknown: the job stays ``unknown`` (the account ``provisioning``, its slot
    held) until `accounts jobs resume` reads the server."""
    step.update(status="unknown", detail=error.message[:300])
    _save_job(db, ctx, intent, "unknown", f"outcome unknown: {error.message}"[:1000])
    return Err(PrahoError(
        ErrorCode.REMOTE_UNAVAILABLE,
        f"{intent.domain}: the create's outcome is unknown ({error.message}; {why}); run praho accounts "
        f"jobs resume {intent.job_id} once the server has had time to finish it",
        {"domain": intent.domain, "job": intent.job_id}, Retry.UNKNOWN))


def settle_seconds(ctx: ServiceContext) -> float:
    """How long after an unknown outcome an absent domain still may appear: Virtualmin goes on with a
    create after the client gave up, for up to the mutation timeout praho allows, and a queued create
    waits up to Virtualmin's 5-minute lock timeout."""
    return max(float(ctx.setting("virtualmin.mutation_timeout_seconds") or 600.0), 300.0)


def _succeed(db: Database, ctx: ServiceContext, intent: Intent, key: str | None,
             req: CreateRequest | None) -> Result[dict[str, Any]]:
    public = _save_job(db, ctx, intent, "succeeded", None, {"status": "active", "pending_op": None,
                                                             "error_reason": None, "username": intent.username})
    if public is None:
        return err(ErrorCode.CONFLICT, f"{intent.domain}: the account changed or vanished while it was created; "
                   f"see praho accounts jobs show {intent.job_id}")
    if key is not None and req is not None:
        def store(session: Session) -> Result[None]:
            idem_store.store(session, key, "accounts.create", idem_store.params_hash(
                "accounts.create", req.fingerprint()), public, ctx.now())
            return Ok(None)

        run_in_transaction(db, store)
    return Ok(public)


def _idempotent_lookup(db: Database, key: str, req: CreateRequest) -> Result[dict[str, Any]] | None:
    if not key.strip() or len(key) > 200:
        return err(ErrorCode.INVALID, "idempotency key must be 1 to 200 characters")
    with read_session(db) as session:
        seen = idem_store.lookup(session, key)
        if seen is None:
            return None
        command, digest, stored = seen.command, seen.params_hash, seen.result_json
    if command != "accounts.create" or digest != idem_store.params_hash("accounts.create", req.fingerprint()):
        return err(ErrorCode.CONFLICT, f"idempotency key {key!r} was already used with different parameters")
    return Ok(json.loads(stored))


# --------------------------------------------------------------------------- resume


def _create_command(domain: str, customer_id: str, plan: str | None, template: str | None, server: str) -> str:
    """The `accounts create` that makes a fresh attempt of a failed job (same customer, plan, server)."""
    parts = ["praho accounts create", domain, "--customer", customer_id]
    if plan:
        parts += ["--plan", shlex.quote(plan)]
    if template:
        parts += ["--template", shlex.quote(template)]
    parts += ["--server", server]
    return " ".join(parts)


def resume_job(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> Result[dict[str, Any]]:
    """Resolve a job whose outcome is unknown (or that a crash left running) from the server's state."""
    with read_session(db) as session:
        job = repo.get_job(session, ref.strip())
        if job is None:
            return err(ErrorCode.NOT_FOUND, f"no provisioning job {ref!r}")
        if job.status in ("succeeded", "failed"):
            from praho_cli.services.accounts import job_public, server_name

            return Ok(job_public(job, server_name(session, job.server_id)))
        found_server = server_repo.get_by_id(session, job.server_id)
        assert found_server is not None
        server = server_repo.snapshot(found_server)
        account = session.get(HostingAccount, job.account_id) if job.account_id else None
        if account is None:
            return err(ErrorCode.INELIGIBLE, f"job {job.id}: its account is gone from the ledger")
        intent = Intent(account.id or 0, job.id or 0, server, job.domain, job.username, True,
                        json.loads(job.steps_json), customer_name(session, account.customer_id))
        job_updated = job.updated_at
        retry_command = _create_command(job.domain, str(account.customer_id), account.plan, account.template,
                                        server.name)
    client = clients(server)
    record = client.get_domain(intent.domain)  # a PrahoFailure here leaves the job as it was
    started = next((s for s in intent.steps if s["step"] == "create_domain"), None)
    if record is None and started is not None and started["status"] in ("unknown", "started"):
        # Absent is final only once a create still running on the server would have finished.
        settled_at = job_updated + timedelta(seconds=settle_seconds(ctx))
        if ctx.now() < settled_at:
            return err(ErrorCode.INELIGIBLE,
                       f"job {intent.job_id}: {intent.domain} is not on {server.name} yet, but the create may "
                       f"still be running there; resume again after {iso(settled_at)}",
                       job=intent.job_id, domain=intent.domain, retry_after=iso(settled_at))
    intent.steps.append({"step": "resume", "status": "done",
                         "detail": "present" if record else "absent" + (
                             f", owner {record.username}" if record else "")})
    if record is not None and record.username == intent.username:
        if started is not None:
            started.update(status="done", detail="confirmed on resume")
        _succeed(db, ctx, intent, None, None)
    elif record is not None:
        if started is not None:
            started.pop("rollback", None)
        _fail(db, ctx, client, intent, PrahoError(
            ErrorCode.CONFLICT, f"{intent.domain} exists on {server.name} owned by {record.username}"))
    else:
        # Absent: the create never happened. Without the password (never stored) it cannot be
        # replayed, so the job fails (its slot is released, the account row is left `error`) and
        # the message gives the command that makes a fresh attempt on the same row.
        if started is not None:
            started["status"] = "failed"
        _fail(db, ctx, client, intent, PrahoError(
            ErrorCode.REMOTE_FAILED,
            f"{intent.domain} was not created on {server.name} (absent when read back); the password is "
            f"never stored, so this attempt cannot be replayed: retry with `{retry_command}`"))
    with read_session(db) as session:
        from praho_cli.services.accounts import job_public

        done = session.get(ProvisioningJob, intent.job_id)
        assert done is not None
        return Ok(job_public(done, server.name))
