"""Creating accounts (docs/provisioning.md): record intent, pre-flight, create, record the outcome.

Every step that changes something records the operation that undoes it in the job's ``steps``.
On failure the recorded rollbacks run in reverse order, each one's result is recorded, and a
failed rollback step does not stop the others. A create whose outcome is unknown (timeout, lost
reply, an interrupted or dead process) is resolved by reading the domain back from Virtualmin,
never by repeating the create.

While a create runs, its process holds the job's lease (``ledger.locks``, named by
:func:`lease_name`), so that `accounts jobs resume` and cron know at once when that process is gone.
"""

from __future__ import annotations

import json
import shlex
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as repo
from praho_cli.ledger import audit, locks
from praho_cli.ledger import idempotency as idem_store
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import HostingAccount, ProvisioningJob, Server
from praho_cli.ledger.uow import read_session, transaction
from praho_cli.result import Err, ErrorCode, PrahoError, PrahoFailure, Retry, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.hosting import placement
from praho_cli.services.hosting.accounts import customer_name, find_customer, job_public, server_name, to_public
from praho_cli.services.hosting.connections import ClientProvider
from praho_cli.services.hosting.tx import outcome
from praho_cli.services.hosting.validation import (
    check_password,
    generate_password,
    normalize_domain,
    username_candidates,
    validate_username,
)
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


def lease_name(attempt_id: str) -> str:
    """The run lock a create holds while its process works on the job."""
    return f"provisioning.job.{attempt_id}"


# --------------------------------------------------------------------------- placement


def _candidates(session: Session, ctx: ServiceContext, req: CreateRequest) -> list[Server]:
    max_age = int(ctx.setting("virtualmin.health_max_age_seconds") or 900)
    constraints = placement.Constraints(region=req.region.lower() if req.region else None,
                                        tags=tuple(t.lower() for t in req.tags))
    if req.server:
        server = server_repo.get_by_name(session, req.server.strip().lower())
        if server is None:
            raise fail(ErrorCode.NOT_FOUND, f"no server {req.server!r}")
        reason = placement.rejection(server, ctx.now(), max_age, constraints)
        if reason:
            # An explicit --server must pass the same checks: never a silent fallback.
            raise fail(ErrorCode.INELIGIBLE, f"server {server.name} cannot host this account: {reason}",
                       server=server.name, reason=reason)
        return [server]
    eligible, verdicts = placement.rank(list(server_repo.iter_servers(session)), ctx.now(), max_age, constraints)
    if not eligible:
        raise fail(ErrorCode.INELIGIBLE, "no server can host this account: " + placement.explain(verdicts),
                   rejected={v.server.name: v.reason for v in verdicts})
    return eligible


def _validate(session: Session, req: CreateRequest) -> tuple[str, str, int, HostingAccount | None]:
    domain, unicode_name = normalize_domain(req.domain).unwrap()
    if req.username is not None:
        validate_username(req.username).unwrap()
    if req.password is not None:
        check_password(req.password).unwrap()
    customer = find_customer(session, req.customer).unwrap()
    existing = repo.get_by_domain(session, domain)
    if existing is not None and existing.status != "error":
        raise fail(ErrorCode.CONFLICT, f"{domain} is already in the ledger ({existing.status}, server "
                   f"{server_repo.get_by_id(session, existing.server_id).name})",  # type: ignore[union-attr]
                   domain=domain)
    if existing is not None and existing.customer_id != customer.id:
        raise fail(ErrorCode.CONFLICT, f"{domain} belongs to another customer in the ledger", domain=domain)
    return domain, unicode_name, customer.id or 0, existing


@returns_result
def plan_create(db: Database, ctx: ServiceContext, req: CreateRequest) -> dict[str, Any]:
    """--dry-run: validation and placement only; nothing is written or sent."""
    with read_session(db) as session:
        domain, unicode_name, customer_id, _existing = _validate(session, req)
        server = server_repo.snapshot(_candidates(session, ctx, req)[0])
        username = req.username or next(u for u in username_candidates(domain)
                                        if not repo.username_taken(session, u))
        owner = customer_name(session, customer_id)
    return {"id": None, "domain": domain, "domain_unicode": unicode_name, "customer_id": str(customer_id),
            "customer_name": owner, "server": server.name, "username": username, "plan": req.plan,
            "template": req.template,
            "status": "planned", "suspend_reason": None, "error_reason": None, "protected": req.protect,
            "pending_op": None, "password": None, "created_at": None, "updated_at": None, "version": 0}


# --------------------------------------------------------------------------- steps


def _record_intent(db: Database, ctx: ServiceContext, req: CreateRequest, attempt_id: str) -> Intent:
    def work(session: Session) -> Intent:
        domain, unicode_name, customer_id, existing = _validate(session, req)
        candidates = _candidates(session, ctx, req)
        chosen: Server | None = None
        for server in candidates:
            if server_repo.reserve_slot(session, server.id or 0):
                chosen = server
                break
        if chosen is None:
            # Every candidate filled up between ranking and reservation (a concurrent create won).
            raise fail(ErrorCode.INELIGIBLE, "no server can host this account: "
                       + "; ".join(f"{s.name}: full" for s in candidates))
        if req.username is not None:
            username = req.username
            if repo.username_taken(session, username, existing.id if existing else None):
                raise fail(ErrorCode.CONFLICT, f"username {username} is already used in the ledger",
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
                raise fail(ErrorCode.CONFLICT, f"{domain} was changed by someone else meanwhile; retry")
        else:
            account = HostingAccount(**values, created_at=now, version=1)  # type: ignore[arg-type]
            repo.insert(session, account)
        steps = [{"step": "reserve_slot", "status": "done", "rollback": "release_slot",
                  "detail": f"server {chosen.name}"}]
        job = ProvisioningJob(attempt_id=attempt_id, kind="create", domain=domain, account_id=account.id,
                              server_id=chosen.id or 0, username=username, status="pending",
                              steps_json=json.dumps(steps), created_at=now, updated_at=now, version=1)
        repo.insert(session, job)
        owner = customer_name(session, customer_id)  # loaded by _validate: no query
        audit.append(session, ts=now, actor=ctx.actor, action="account.create.intent", entity_type="account",
                     entity_id=str(account.id),
                     after={**to_public(account, chosen.name, owner), "job": job.attempt_id})
        return Intent(account.id or 0, job.id or 0, server_repo.snapshot(chosen), domain, username,
                      req.username is None, steps, owner)

    return transaction(db, work)


def _save_job(db: Database, ctx: ServiceContext, intent: Intent, status: str, error: str | None = None,
              account_values: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Record the job's progress (and account changes) in one short write transaction. Returns the
    account's public record when ``account_values`` change its status (the outcome), else None.

    Plain UPDATEs without re-reading the rows: a create makes three of these transactions and they
    serialise on SQLite's single writer across every server an apply works on (bench/bench_apply.py),
    so each one is kept to the statements it needs."""
    now = ctx.now()

    def work(session: Session) -> dict[str, Any] | None:
        repo.set_job_progress(session, intent.job_id, status=status, error=error,
                              steps_json=json.dumps(intent.steps), username=intent.username, now=now)
        if account_values is None:
            return None
        if "status" not in account_values:
            repo.set_account_values(session, intent.account_id, account_values, now)
            return None
        account = session.get(HostingAccount, intent.account_id)
        if account is None:
            return None
        before = to_public(account, intent.server.name, intent.customer_name)
        updated = repo.update_account_if_version(session, account.id or 0, account.version,
                                                 {**account_values, "updated_at": now})
        if updated is None:
            return None
        after = to_public(updated, intent.server.name, intent.customer_name)
        audit.append(session, ts=now, actor=ctx.actor, action=f"account.create.{updated.status}",
                     entity_type="account", entity_id=str(updated.id), before=before, after=after)
        return after

    return transaction(db, work)


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


def _rollback_step(db: Database, client: VirtualminClient | None, intent: Intent, name: str,
                   entry: dict[str, Any]) -> None:
    """Run one recorded rollback; raises when it fails."""
    if name == "delete_domain":
        assert client is not None
        failure = outcome(lambda: client.delete_domain(intent.domain))
        if isinstance(failure, Err):
            if failure.error.code is not ErrorCode.NOT_FOUND:
                raise PrahoFailure(failure.error)
            entry["detail"] = "not present"
    elif name == "release_slot":
        def release(session: Session) -> None:
            account = session.get(HostingAccount, intent.account_id)
            if account is not None and account.holds_slot:
                server_repo.release_slot(session, intent.server.id or 0)
                repo.update_account_if_version(session, account.id or 0, account.version, {"holds_slot": False})

        transaction(db, release)


def _rollback(db: Database, ctx: ServiceContext, client: VirtualminClient | None, intent: Intent) -> None:
    """Run the recorded rollbacks in reverse order; record each; continue past failures."""
    for step in reversed([s for s in intent.steps if s.get("rollback") and s["status"] in ("done", "unknown")]):
        name = step["rollback"]
        entry: dict[str, Any] = {"step": f"rollback:{name}", "status": "done"}
        done = returns_result(_rollback_step)(db, client, intent, name, entry)
        if isinstance(done, Err):
            entry.update(status="failed", detail=done.error.message[:300])
        intent.steps.append(entry)
        _save_job(db, ctx, intent, "running")


def _fail(db: Database, ctx: ServiceContext, client: VirtualminClient | None, intent: Intent,
          error: PrahoError) -> PrahoFailure:
    """Roll back, record the job failed and the account ``error``; the failure for the caller to raise."""
    _rollback(db, ctx, client, intent)
    rollback_failed = any(s["status"] == "failed" for s in intent.steps if s["step"].startswith("rollback:"))
    reason = error.message + (" (a rollback step failed: see praho accounts jobs show)" if rollback_failed else "")
    _save_job(db, ctx, intent, "failed", reason[:1000],
              {"status": "error", "error_reason": reason[:1000], "pending_op": None})
    return PrahoFailure(PrahoError(error.code, reason, {**error.details, "domain": intent.domain,
                                                        "job": intent.job_id}, error.retry))


@returns_result
def create_account(
    db: Database, ctx: ServiceContext, clients: ClientProvider, req: CreateRequest,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Returns the account record; ``password`` holds a generated password (the caller decides
    whether to show it)."""
    if idempotency_key is not None:
        replay = _idempotent_lookup(db, idempotency_key, req)
        if replay is not None:
            return replay
    password = req.password or generate_password()
    attempt_id = uuid.uuid4().hex
    with locks.acquire(db, lease_name(attempt_id), ctx.run_id or attempt_id,
                       ttl_seconds=int(ctx.setting("lock_ttl_seconds") or 300), clock=ctx.now):
        intent = _record_intent(db, ctx, req, attempt_id)
        try:
            result = _create(db, ctx, clients, req, intent, password, idempotency_key)
        except KeyboardInterrupt:
            raise _interrupted(db, ctx, intent) from None
    if req.password is None:
        return {**result, "password": password}
    return result


def _create(db: Database, ctx: ServiceContext, clients: ClientProvider, req: CreateRequest, intent: Intent,
            password: str, idempotency_key: str | None) -> dict[str, Any]:
    recorded_username = intent.username
    connected = outcome(lambda: clients(intent.server))
    if isinstance(connected, Err):
        raise _fail(db, ctx, None, intent, connected.error)
    client = connected.value
    checked = outcome(lambda: _preflight(client, req, intent, db))
    if isinstance(checked, Err):
        intent.steps.append({"step": "preflight", "status": "failed", "detail": checked.error.message[:300]})
        raise _fail(db, ctx, client, intent, checked.error)
    if checked.value is not None:
        intent.steps.append({"step": "preflight", "status": "failed", "detail": checked.value})
        raise _fail(db, ctx, client, intent, PrahoError(ErrorCode.INELIGIBLE, f"pre-flight: {checked.value}"))
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
    created = outcome(lambda: client.create_domain(intent.domain, password=password, user=intent.username,
                                                   plan=req.plan, template=req.template))
    if isinstance(created, Err):
        return _after_failed_create(db, ctx, client, intent, create_step, created.error)
    create_step["status"] = "done"
    return _succeed(db, ctx, intent, idempotency_key, req)


def _interrupted(db: Database, ctx: ServiceContext, intent: Intent) -> PrahoFailure:
    """SIGINT after the intent was recorded: the job is left ``unknown`` (a create may have reached the
    server) and the message names the command that settles it."""
    for step in intent.steps:
        if step["step"] == "create_domain" and step["status"] == "started":
            step.update(status="unknown", detail="interrupted")
    _save_job(db, ctx, intent, "unknown", "outcome unknown: interrupted")
    return fail(ErrorCode.INTERRUPTED,
                f"{intent.domain}: interrupted before the create finished; run praho accounts jobs resume "
                f"{intent.job_id} to settle it from the server's state", Retry.UNKNOWN,
                domain=intent.domain, job=intent.job_id)


def _after_failed_create(
    db: Database, ctx: ServiceContext, client: VirtualminClient, intent: Intent, step: dict[str, Any],
    error: PrahoError,
) -> dict[str, Any]:
    read = outcome(lambda: client.get_domain(intent.domain))
    if isinstance(read, Err):
        # Neither the create nor the read-back answered: leave the job for `accounts jobs resume`.
        raise _leave_unknown(db, ctx, intent, step, error, f"read-back failed: {read.error.message}")
    record = read.value
    if record is None and error.retry is Retry.UNKNOWN:
        # Timed out or lost: Virtualmin goes on with a create after the client gave up, so a domain
        # absent right now may still appear. Only a later read (`accounts jobs resume`) can tell.
        raise _leave_unknown(db, ctx, intent, step, error, "not on the server yet")
    if record is not None and record.username == intent.username and error.retry is Retry.UNKNOWN:
        # The reply was lost but the server created it with our username: that is a success.
        step.update(status="done", detail="confirmed by reading the domain back")
        return _succeed(db, ctx, intent, None, None)
    if record is not None and record.username != intent.username:
        step.update(status="failed", detail=f"domain exists with owner {record.username}")
        # Not ours: never delete someone else's domain.
        step.pop("rollback", None)
        raise _fail(db, ctx, client, intent, PrahoError(
            ErrorCode.CONFLICT, f"{intent.domain} exists on {intent.server.name} owned by {record.username}"))
    # The create definitely failed, maybe after creating the domain: the recorded delete_domain
    # rollback removes it.
    step.update(status="unknown" if record is not None else "failed", detail=error.message[:300])
    raise _fail(db, ctx, client, intent, error)


def _leave_unknown(db: Database, ctx: ServiceContext, intent: Intent, step: dict[str, Any], error: PrahoError,
                   why: str) -> PrahoFailure:
    """The create's outcome is unknown: the job stays ``unknown`` (the account ``provisioning``, its slot
    held) until `accounts jobs resume` reads the server."""
    step.update(status="unknown", detail=error.message[:300])
    _save_job(db, ctx, intent, "unknown", f"outcome unknown: {error.message}"[:1000])
    return fail(ErrorCode.REMOTE_UNAVAILABLE,
                f"{intent.domain}: the create's outcome is unknown ({error.message}; {why}); run praho accounts "
                f"jobs resume {intent.job_id} once the server has had time to finish it", Retry.UNKNOWN,
                domain=intent.domain, job=intent.job_id)


def settle_seconds(ctx: ServiceContext) -> float:
    """How long after an unknown outcome an absent domain still may appear: Virtualmin goes on with a
    create after the client gave up, for up to the mutation timeout praho allows, and a queued create
    waits up to Virtualmin's 5-minute lock timeout."""
    return max(float(ctx.setting("virtualmin.mutation_timeout_seconds") or 600.0), 300.0)


def _succeed(db: Database, ctx: ServiceContext, intent: Intent, key: str | None,
             req: CreateRequest | None) -> dict[str, Any]:
    public = _save_job(db, ctx, intent, "succeeded", None, {"status": "active", "pending_op": None,
                                                             "error_reason": None, "username": intent.username})
    if public is None:
        raise fail(ErrorCode.CONFLICT, f"{intent.domain}: the account changed or vanished while it was created; "
                   f"see praho accounts jobs show {intent.job_id}")
    if key is not None and req is not None:
        def store(session: Session) -> None:
            idem_store.store(session, key, "accounts.create", idem_store.params_hash(
                "accounts.create", req.fingerprint()), public, ctx.now())

        transaction(db, store)
    return public


def _idempotent_lookup(db: Database, key: str, req: CreateRequest) -> dict[str, Any] | None:
    if not key.strip() or len(key) > 200:
        raise fail(ErrorCode.INVALID, "idempotency key must be 1 to 200 characters")
    with read_session(db) as session:
        seen = idem_store.lookup(session, key)
        if seen is None:
            return None
        command, digest, stored = seen.command, seen.params_hash, seen.result_json
    if command != "accounts.create" or digest != idem_store.params_hash("accounts.create", req.fingerprint()):
        raise fail(ErrorCode.CONFLICT, f"idempotency key {key!r} was already used with different parameters")
    replayed: dict[str, Any] = json.loads(stored)
    return replayed


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


def _process_gone(db: Database, ctx: ServiceContext, attempt_id: str) -> bool:
    """A pending or running job whose create process no longer holds its lease (ledger.locks' rule)."""
    return not locks.is_held(db, lease_name(attempt_id), clock=ctx.now)


@returns_result
def resumable_jobs(db: Database, ctx: ServiceContext) -> list[str]:
    """Ids of the jobs `accounts jobs resume --all` and cron settle: every ``unknown`` job, and every
    ``pending`` or ``running`` one whose process is gone (its lease shows it dead)."""
    with read_session(db) as session:
        jobs = [(str(j.id), j.status, j.attempt_id) for j in repo.iter_jobs(session)
                if j.status in ("unknown", "pending", "running")]
    return [ref for ref, status, attempt in jobs if status == "unknown" or _process_gone(db, ctx, attempt)]


@returns_result
def resume_job(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> dict[str, Any]:
    """Resolve a job whose outcome is unknown (or whose process died) from the server's state."""
    with read_session(db) as session:
        job = repo.get_job(session, ref.strip())
        if job is None:
            raise fail(ErrorCode.NOT_FOUND, f"no provisioning job {ref!r}")
        if job.status in ("succeeded", "failed"):
            return job_public(job, server_name(session, job.server_id))
        if job.status in ("pending", "running") and not _process_gone(db, ctx, job.attempt_id):
            raise fail(ErrorCode.LOCKED, f"job {job.id}: its create is still running in another process; "
                       "resume it once that process has ended", Retry.RETRIABLE, job=job.id)
        found_server = server_repo.get_by_id(session, job.server_id)
        assert found_server is not None
        server = server_repo.snapshot(found_server)
        account = session.get(HostingAccount, job.account_id) if job.account_id else None
        if account is None:
            raise fail(ErrorCode.INELIGIBLE, f"job {job.id}: its account is gone from the ledger")
        intent = Intent(account.id or 0, job.id or 0, server, job.domain, job.username, True,
                        json.loads(job.steps_json), customer_name(session, account.customer_id))
        job_updated, job_status = job.updated_at, job.status
        retry_command = _create_command(job.domain, str(account.customer_id), account.plan, account.template,
                                        server.name)
    client = clients(server)
    record = client.get_domain(intent.domain)  # a failure here leaves the job as it was
    started = next((s for s in intent.steps if s["step"] == "create_domain"), None)
    # A create whose process died records no create step (that would cost a commit per create), so a
    # pending or running job may have sent its create just as well.
    maybe_sent = started["status"] in ("unknown", "started") if started is not None \
        else job_status in ("pending", "running")
    if record is None and maybe_sent:
        # Absent is final only once a create still running on the server would have finished.
        settled_at = job_updated + timedelta(seconds=settle_seconds(ctx))
        if ctx.now() < settled_at:
            raise fail(ErrorCode.INELIGIBLE,
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
        done = session.get(ProvisioningJob, intent.job_id)
        assert done is not None
        return job_public(done, server.name)
