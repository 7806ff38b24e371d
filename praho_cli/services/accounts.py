"""Hosting accounts: validation, public records, and the lifecycle after creation.

A lifecycle operation is three steps, because the ledger and Virtualmin share no transaction:
claim the row (compare-and-set on ``version``, ``pending_op`` set) and commit; call Virtualmin;
record the outcome against the claimed version. A concurrent command sees the claim or a newer
version and fails with CONFLICT (exit 5) instead of overwriting. Creation lives in provisioning.py.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col

from praho_cli.ledger import accounts as repo
from praho_cli.ledger import audit
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import HostingAccount, ProvisioningJob, Server
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, PrahoFailure, Result, Retry, err
from praho_cli.services.context import ServiceContext
from praho_cli.virtualmin.client import VirtualminClient

STATUSES = ("provisioning", "active", "suspended", "terminated", "error")

ACCOUNT = RecordType(
    name="account",
    title="Account",
    description="A hosting account (a Virtualmin top-level virtual server) in the ledger.",
    fields=(
        Field("id", "string", "Ledger id of the account."),
        Field("domain", "string", "Domain, lower-case, IDNA (punycode) form."),
        Field("domain_unicode", "string", "Domain as people read it.", table=False),
        Field("customer_id", "string", "Owner (customer id).", table=False),
        Field("customer_name", "string", "Owner's name."),
        Field("server", "string", "Server name."),
        Field("username", "string", "Virtualmin administration username."),
        Field("plan", "string|null", "Virtualmin plan."),
        Field("template", "string|null", "Virtualmin template.", table=False),
        Field("status", "string", "Lifecycle state.", enum=STATUSES),
        Field("suspend_reason", "string|null", "Why it is suspended.", table=False),
        Field("error_reason", "string|null", "Why provisioning failed.", table=False),
        Field("protected", "boolean", "Deletion refused until `accounts unprotect`.", table=False),
        Field("pending_op", "string|null", "An operation in progress on this account.", table=False),
        Field("password", "string|null", "Generated password: only with --show-password, never stored.",
              table=False),
        Field("created_at", "string", "When it was recorded (UTC).", table=False, format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
        Field("version", "integer", "Optimistic-lock version.", table=False),
    ),
)

JOB = RecordType(
    name="provisioning_job",
    title="Provisioning job",
    description="One attempt to create an account, with its steps and rollback.",
    fields=(
        Field("id", "string", "Ledger id of the job."),
        Field("attempt_id", "string", "Unique id of this attempt."),
        Field("kind", "string", "What the job does.", enum=("create",)),
        Field("domain", "string", "Domain."),
        Field("server", "string", "Server name."),
        Field("username", "string", "Username the attempt uses."),
        Field("status", "string", "pending, running, succeeded, failed or unknown (remote outcome not known).",
              enum=("pending", "running", "succeeded", "failed", "unknown")),
        Field("error", "string|null", "Why it failed."),
        Field("steps", "array", "Steps and rollback operations with their outcome.", table=False),
        Field("created_at", "string", "When it started (UTC).", format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
        Field("version", "integer", "Optimistic-lock version.", table=False),
    ),
)

# RFC 2606 / RFC 6761 names and the ones no hosting company can sell.
RESERVED_SUFFIXES = ("localhost", "invalid", "local", "example", "test", "arpa", "onion", "internal")
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_USERNAMES = frozenset({
    "root", "admin", "administrator", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news",
    "uucp", "proxy", "www", "www_data", "backup", "list", "irc", "gnats", "nobody", "operator", "postfix",
    "postmaster", "hostmaster", "webmaster", "abuse", "mysql", "postgres", "dovecot", "named", "bind",
    "apache", "nginx", "httpd", "ftp", "sshd", "webmin", "virtualmin", "usermin", "clamav", "spamd",
    "wheel", "sudo", "adm", "staff", "users", "ubuntu", "debian", "centos", "systemd", "messagebus",
    "praho", "support", "info", "test",
})
USERNAME_RE = re.compile(r"^[a-z0-9_]{3,32}$")
LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Second-level registries whose registrable name is the third label from the right.
MULTI_LABEL_SUFFIXES = frozenset({
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.ro", "org.ro", "co.ro", "info.ro", "nom.ro", "firm.ro",
    "store.ro", "com.au", "net.au", "org.au", "co.nz", "com.br", "co.jp", "com.tr", "co.za", "com.mx", "com.ar",
    "com.pl", "com.cn", "co.in",
})
# Characters that survive every layer: no quotes, spaces, backslashes, '$', '`', '&', '%', '+', '=',
# '#', ';' or newlines (remote.cgi splits values on newlines since 7.20, docs/virtualmin-protocol.md §1.3).
PASSWORD_SYMBOLS = "-_.:@^~,"
PASSWORD_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, PASSWORD_SYMBOLS)
PASSWORD_LENGTH = 24
STALE_CLAIM = timedelta(minutes=15)


# --------------------------------------------------------------------------- validation


def normalize_domain(raw: str) -> Result[tuple[str, str]]:
    """(IDNA form, Unicode form) of a domain that can be hosted, or INVALID saying what is wrong."""
    parsed = parse_domain(raw)
    if isinstance(parsed, Err):
        return parsed
    ascii_name, _ = parsed.value
    labels = ascii_name.split(".")
    if labels[0] == "www":
        # Virtualmin refuses it too ("Domain name does not need to have www. at the start").
        if len(labels) == 2:
            return err(ErrorCode.INVALID, f"domain: {ascii_name} is www. and a top-level domain only; give the "
                       "site's own domain (e.g. shop.ro)", field="domain")
        return err(ErrorCode.INVALID, f"domain: give {'.'.join(labels[1:])} without www.", field="domain")
    if labels[-1] in RESERVED_SUFFIXES or any(ascii_name == d or ascii_name.endswith("." + d)
                                              for d in RESERVED_DOMAINS):
        return err(ErrorCode.INVALID, f"domain: {ascii_name} is reserved (RFC 2606/6761) and cannot be hosted",
                   field="domain")
    return parsed


def parse_domain(raw: str) -> Result[tuple[str, str]]:
    """(IDNA form, Unicode form) of any well-formed domain name (IDNA 2008, UTS #46 mapping), reserved
    names included: what looking an account up needs. :func:`normalize_domain` adds the hosting rules."""
    import idna

    from praho_cli.services.text import control_character

    bad = control_character(raw)
    if bad is not None:
        return err(ErrorCode.INVALID, f"domain: {raw!r} contains a {bad}", field="domain")
    text = raw.strip().rstrip(".").lower()
    if not text:
        return err(ErrorCode.INVALID, "domain: must not be empty", field="domain")
    if text.isascii():
        ascii_name = text
    else:
        try:
            ascii_name = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            if "too long" not in str(exc):
                return err(ErrorCode.INVALID, f"domain: {raw!r} is not a valid internationalised domain name "
                           f"(IDNA 2008): {_idna_reason(exc)}", field="domain")
            # Valid characters, too many of them: the lengths below say which part and by how much.
            ascii_name = ".".join(label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
                                  for label in idna.uts46_remap(text, std3_rules=True).split("."))
    labels = ascii_name.split(".")
    if len(ascii_name) > 253:
        return err(ErrorCode.INVALID, f"domain: too long ({len(ascii_name)} characters"
                   f"{' in its IDNA form' if ascii_name != text else ''}; at most 253)", field="domain")
    if len(labels) < 2:
        return err(ErrorCode.INVALID, f"domain: {raw!r} needs a name and a top-level domain (e.g. shop.ro)",
                   field="domain")
    long_label = next((label for label in labels if len(label) > 63), None)
    if long_label is not None:
        return err(ErrorCode.INVALID, f"domain: the label {long_label[:20]}… is too long ({len(long_label)} "
                   "characters; at most 63)", field="domain")
    if not all(LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        return err(ErrorCode.INVALID, f"domain: {raw!r} is malformed (labels of a-z, 0-9 and inner '-', "
                   "at most 63 characters; no IP addresses)", field="domain")
    try:
        unicode_name = idna.decode(ascii_name) if "xn--" in ascii_name else ascii_name
    except idna.IDNAError:
        return err(ErrorCode.INVALID, f"domain: {raw!r} has an invalid punycode label", field="domain")
    return Ok((ascii_name, unicode_name))


def _idna_reason(exc: Exception) -> str:
    """idna's "Codepoint U+1F600 at position 6 of 'emoji😀' not allowed" as "'😀' (U+1F600) is not allowed"."""
    match = re.match(r"Codepoint (U\+[0-9A-F]+) at position \d+ of .* not allowed", str(exc))
    if match:
        char = chr(int(match.group(1)[2:], 16))
        return f"{char!r} ({match.group(1)}) is not allowed in a domain name"
    return str(exc)


def validate_username(raw: str) -> Result[str]:
    name = raw.strip()
    if not USERNAME_RE.match(name):
        return err(ErrorCode.INVALID, f"username: {raw!r} must be 3-32 characters of a-z, 0-9 and _",
                   field="username")
    if name in RESERVED_USERNAMES:
        return err(ErrorCode.INVALID, f"username: {name} is reserved", field="username")
    return Ok(name)


def registrable_label(domain: str) -> str:
    labels = domain.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def _ascii_label(label: str) -> str:
    """An IDN label read as Unicode, diacritics dropped: ``xn--cafenea-trneasc-...`` -> cafeneataraneasca."""
    import unicodedata

    if label.startswith("xn--"):
        try:
            label = label.encode("ascii").decode("idna")
        except UnicodeError:
            label = label.removeprefix("xn--")
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")


def username_candidates(domain: str) -> Iterator[str]:
    """``shop.example.co.uk`` -> example, example1, example2, …"""
    base = re.sub(r"[^a-z0-9]", "", _ascii_label(registrable_label(domain)).lower())
    if not base or base[0].isdigit():
        base = "u" + base
    if len(base) < 3 or base in RESERVED_USERNAMES:
        base = (base + "web")[:32]
    base = base[:28]
    yield base
    n = 1
    while True:
        yield f"{base}{n}"
        n += 1


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """From ``secrets``: every character class present, nothing that breaks argument handling."""
    length = max(length, 20)
    alphabet = "".join(PASSWORD_CLASSES)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in cls for c in candidate) for cls in PASSWORD_CLASSES) and candidate[0].isalnum():
            return candidate


def check_password(password: str) -> Result[str]:
    """A supplied password: the same rules, so Virtualmin receives it intact."""
    if len(password) < 12:
        return err(ErrorCode.INVALID, "password: at least 12 characters", field="password")
    if any(c.isspace() or c in "\"'\\`$" for c in password) or not password.isprintable():
        return err(ErrorCode.INVALID, "password: no spaces, quotes, backslashes, '$' or control characters",
                   field="password")
    return Ok(password)


# --------------------------------------------------------------------------- records


def to_public(account: HostingAccount, server_name: str, customer_name: str,
              password: str | None = None) -> dict[str, Any]:
    return {
        "id": str(account.id),
        "domain": account.domain,
        "domain_unicode": account.domain_unicode,
        "customer_id": str(account.customer_id),
        "customer_name": customer_name,
        "server": server_name,
        "username": account.username,
        "plan": account.plan,
        "template": account.template,
        "status": account.status,
        "suspend_reason": account.suspend_reason,
        "error_reason": account.error_reason,
        "protected": account.protected,
        "pending_op": account.pending_op,
        "password": password,
        "created_at": iso(account.created_at),
        "updated_at": iso(account.updated_at),
        "version": account.version,
    }


def job_public(job: ProvisioningJob, server_name: str) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "attempt_id": job.attempt_id,
        "kind": job.kind,
        "domain": job.domain,
        "server": server_name,
        "username": job.username,
        "status": job.status,
        "error": job.error,
        "steps": json.loads(job.steps_json),
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "version": job.version,
    }


def server_name(session: Session, server_id: int) -> str:
    server = server_repo.get_by_id(session, server_id)
    return server.name if server else f"#{server_id}"


def customer_name(session: Session, customer_id: int) -> str:
    """The owner's name (the session's identity map answers when the customer was loaded already)."""
    customer = session.get(Customer, customer_id)
    return customer.name if customer else f"#{customer_id}"


def public_of(session: Session, account: HostingAccount) -> dict[str, Any]:
    return to_public(account, server_name(session, account.server_id), customer_name(session, account.customer_id))


def find_account(session: Session, ref: str) -> Result[HostingAccount]:
    ref = ref.strip()
    if ref.isdigit():
        account = repo.get_by_id(session, int(ref))
    else:
        normalized = parse_domain(ref)  # a reserved name may still be in the ledger (adopted from a server)
        if isinstance(normalized, Err):
            return normalized
        account = repo.get_by_domain(session, normalized.value[0])
    if account is None:
        return err(ErrorCode.NOT_FOUND, f"no account {ref!r} in the ledger")
    return Ok(account)


def find_customer(session: Session, ref: str) -> Result[Customer]:
    from praho_cli.services.billing.customers import find_customer as find

    return find(session, ref)


@dataclass(frozen=True)
class AccountFilter:
    server: str | None = None
    customer: str | None = None
    status: str | None = None


def list_accounts(session: Session, flt: AccountFilter) -> Result[Iterator[dict[str, Any]]]:
    if flt.status is not None and flt.status not in STATUSES:
        return err(ErrorCode.INVALID, f"status: must be one of {', '.join(STATUSES)}")
    server_id = customer_id = None
    if flt.server:
        server = server_repo.get_by_name(session, flt.server.lower())
        if server is None:
            return err(ErrorCode.NOT_FOUND, f"no server {flt.server!r}")
        server_id = server.id
    if flt.customer:
        found = find_customer(session, flt.customer)
        if isinstance(found, Err):
            return found
        customer_id = found.value.id
    names = {s.id: s.name for s in server_repo.iter_servers(session)}
    owners: dict[int, str] = {}
    rows = repo.iter_accounts(session, server_id=server_id, customer_id=customer_id, status=flt.status)

    def owner(account: HostingAccount) -> str:
        if account.customer_id not in owners:
            owners[account.customer_id] = customer_name(session, account.customer_id)
        return owners[account.customer_id]

    return Ok(to_public(a, names.get(a.server_id, ""), owner(a)) for a in rows)


def show_account(session: Session, ref: str) -> Result[dict[str, Any]]:
    return find_account(session, ref).map(lambda a: public_of(session, a))


def list_jobs(session: Session, status: str | None) -> Result[Iterator[dict[str, Any]]]:
    names = {s.id: s.name for s in server_repo.iter_servers(session)}
    return Ok(job_public(j, names.get(j.server_id, "")) for j in repo.iter_jobs(session, status=status))


def show_job(session: Session, ref: str) -> Result[dict[str, Any]]:
    job = repo.get_job(session, ref.strip())
    if job is None:
        return err(ErrorCode.NOT_FOUND, f"no provisioning job {ref!r}")
    return Ok(job_public(job, server_name(session, job.server_id)))


# --------------------------------------------------------------------------- lifecycle

ClientProvider = Callable[[Server], VirtualminClient]


@dataclass(frozen=True)
class Claim:
    account_id: int
    version: int  # the version the claim wrote
    server: Server
    before: dict[str, Any]


def _claim(
    db: Database, ctx: ServiceContext, ref: str, op: str, decide: Callable[[HostingAccount], Result[bool]],
) -> Result[Claim | dict[str, Any]]:
    """Claim the account for ``op``. ``decide`` returns Ok(True) to proceed, Ok(False) when the wanted
    state is already in effect (the public record comes back and nothing else happens), or Err."""

    def work(session: Session) -> Result[Claim | dict[str, Any]]:
        found = find_account(session, ref)
        if isinstance(found, Err):
            return found
        account = found.value
        if account.pending_op and ctx.now() - account.updated_at < STALE_CLAIM:
            return err(ErrorCode.CONFLICT, f"{account.domain}: {account.pending_op} is in progress (started "
                       f"{iso(account.updated_at)}); retry when it finishes", retry=Retry.RETRIABLE)
        verdict = decide(account)
        if isinstance(verdict, Err):
            return verdict
        if not verdict.value:
            return Ok(public_of(session, account))
        server = server_repo.get_by_id(session, account.server_id)
        assert server is not None
        before = public_of(session, account)
        claimed = repo.update_account_if_version(session, account.id or 0, account.version,
                                                 {"pending_op": op, "updated_at": ctx.now()})
        if claimed is None:
            return err(ErrorCode.CONFLICT, f"{account.domain} was changed by someone else meanwhile; "
                       "show it again and retry")
        return Ok(Claim(account.id or 0, claimed.version, server_repo.snapshot(server), before))

    return run_in_transaction(db, work)


def _finish(
    db: Database, ctx: ServiceContext, claim: Claim, action: str, values: dict[str, Any] | None,
    failure: PrahoError | None,
) -> Result[dict[str, Any]]:
    """Record the outcome against the claimed version. ``values`` None: nothing changed remotely."""
    now = ctx.now()

    def work(session: Session) -> Result[dict[str, Any]]:
        updated = repo.update_account_if_version(
            session, claim.account_id, claim.version, {**(values or {}), "pending_op": None, "updated_at": now})
        if updated is None:
            return err(ErrorCode.CONFLICT, f"account {claim.account_id} changed while {action} ran")
        after = to_public(updated, claim.server.name, claim.before["customer_name"])
        if values is not None:
            audit.append(session, ts=now, actor=ctx.actor, action=action, entity_type="account",
                         entity_id=after["id"], before=claim.before, after=after)
        return Ok(after)

    recorded = run_in_transaction(db, work)
    if failure is not None:
        return Err(failure)
    return recorded


def _remote(call: Callable[[], Any], done_codes: tuple[ErrorCode, ...] = ()) -> PrahoError | None:
    """Run a remote step. A failure whose code means "already in the wanted state" counts as done
    (http_disable-domain_already-disabled.json, http_enable-domain_already-enabled.json)."""
    try:
        call()
    except PrahoFailure as failure:
        if failure.error.code in done_codes:
            return None
        return failure.error
    return None


def _read_back(client: VirtualminClient, domain: str) -> tuple[bool, Any]:
    """(known, DomainRecord | None): whether the domain's state could be read."""
    try:
        return True, client.get_domain(domain)
    except PrahoFailure:
        return False, None


def _transition(
    db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, op: str, action: str,
    decide: Callable[[HostingAccount], Result[bool]], remote: Callable[[VirtualminClient, str], Any] | None,
    done_codes: tuple[ErrorCode, ...], in_effect: Callable[[Any], bool], values: dict[str, Any],
) -> Result[dict[str, Any]]:
    claimed = _claim(db, ctx, ref, op, decide)
    if isinstance(claimed, Err):
        return claimed
    if isinstance(claimed.value, dict):
        return Ok(claimed.value)
    claim = claimed.value
    domain = claim.before["domain"]
    failure: PrahoError | None = None
    if remote is not None:
        client = clients(claim.server)
        failure = _remote(lambda: remote(client, domain), done_codes)
        if failure is not None and failure.retry is Retry.UNKNOWN:
            # A timeout or lost reply: the state on the server decides, never a blind retry.
            known, record = _read_back(client, domain)
            if known and in_effect(record):
                failure = None
    return _finish(db, ctx, claim, action, None if failure else values, failure)


def suspend(
    db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, reason: str
) -> Result[dict[str, Any]]:
    reason = reason.strip()
    if not reason:
        return err(ErrorCode.INVALID, "reason: must not be empty", field="reason")

    def decide(a: HostingAccount) -> Result[bool]:
        if a.status == "suspended":
            return Ok(False)
        if a.status != "active":
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only active accounts can be suspended")
        return Ok(True)

    return _transition(db, ctx, clients, ref, "suspend", "account.suspend", decide,
                       lambda c, d: c.disable_domain(d, reason), (ErrorCode.CONFLICT,),
                       lambda r: r is not None and r.disabled,
                       {"status": "suspended", "suspend_reason": reason[:500]})


def unsuspend(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> Result[dict[str, Any]]:
    def decide(a: HostingAccount) -> Result[bool]:
        if a.status == "active":
            return Ok(False)
        if a.status != "suspended":
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only suspended accounts can be unsuspended")
        return Ok(True)

    return _transition(db, ctx, clients, ref, "unsuspend", "account.unsuspend", decide,
                       lambda c, d: c.enable_domain(d), (ErrorCode.CONFLICT,),
                       lambda r: r is not None and not r.disabled,
                       {"status": "active", "suspend_reason": None})


def terminate(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> Result[dict[str, Any]]:
    """Suspend remotely and mark terminated; the row stays (delete removes it)."""
    with read_session(db) as session:
        found = find_account(session, ref)
        if isinstance(found, Err):
            return found
        status = found.value.status
    needs_remote = status == "active"

    def decide(a: HostingAccount) -> Result[bool]:
        if a.status == "terminated":
            return Ok(False)
        if a.status == "provisioning":
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is still provisioning (see praho accounts jobs list)")
        if (a.status == "active") != needs_remote:
            return err(ErrorCode.CONFLICT, f"{a.domain} changed state meanwhile; retry")
        return Ok(True)

    return _transition(db, ctx, clients, ref, "terminate", "account.terminate", decide,
                       (lambda c, d: c.disable_domain(d, "Terminated")) if needs_remote else None,
                       (ErrorCode.CONFLICT,), lambda r: r is not None and r.disabled,
                       {"status": "terminated", "suspend_reason": "terminated"})


def set_protected(session: Session, ctx: ServiceContext, ref: str, protected: bool) -> Result[dict[str, Any]]:
    found = find_account(session, ref)
    if isinstance(found, Err):
        return found
    account = found.value
    before = public_of(session, account)
    if account.protected == protected:
        return Ok(before)
    now = ctx.now()
    updated = repo.update_account_if_version(session, account.id or 0, account.version,
                                             {"protected": protected, "updated_at": now})
    if updated is None:
        return err(ErrorCode.CONFLICT, f"{account.domain} was changed by someone else meanwhile; retry")
    after = public_of(session, updated)
    audit.append(session, ts=now, actor=ctx.actor, action="account.protect" if protected else "account.unprotect",
                 entity_type="account", entity_id=after["id"], before=before, after=after)
    return Ok(after)


def delete(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> Result[dict[str, Any]]:
    """Remove a terminated account from Virtualmin and the ledger (its jobs and audit events stay)."""

    def decide(a: HostingAccount) -> Result[bool]:
        if a.protected:
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is protected; run praho accounts unprotect {a.domain} "
                       "--yes first")
        if a.status != "terminated":
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; terminate it before deleting")
        return Ok(True)

    claimed = _claim(db, ctx, ref, "delete", decide)
    if isinstance(claimed, Err):
        return claimed
    assert isinstance(claimed.value, Claim)
    claim = claimed.value
    domain = claim.before["domain"]
    client = clients(claim.server)
    # "Virtual server X does not exist" (http_delete-domain_not-found.json): already gone is done.
    failure = _remote(lambda: client.delete_domain(domain), (ErrorCode.NOT_FOUND,))
    if failure is not None and failure.retry is Retry.UNKNOWN:
        known, record = _read_back(client, domain)
        if known and record is None:
            failure = None
    if failure is not None:
        return _finish(db, ctx, claim, "account.delete", None, failure)
    now = ctx.now()

    def work(session: Session) -> Result[dict[str, Any]]:
        account = repo.get_by_id(session, claim.account_id)
        if account is None or account.version != claim.version:
            return err(ErrorCode.CONFLICT, f"{domain} changed while it was being deleted")
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
        from sqlalchemy import update

        session.execute(update(ProvisioningJob).where(col(ProvisioningJob.account_id) == account.id)
                        .values(account_id=None).execution_options(synchronize_session=False))
        repo.delete_account(session, account)
        after = {**claim.before, "status": "deleted", "pending_op": None}
        audit.append(session, ts=now, actor=ctx.actor, action="account.delete", entity_type="account",
                     entity_id=claim.before["id"], before=claim.before)
        return Ok(after)

    return run_in_transaction(db, work)


def rotate_password(
    db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, password: str | None = None
) -> Result[tuple[dict[str, Any], str]]:
    """Set a new password (generated unless given). Returns the record and the password, which the
    caller delivers once (file or terminal); it is never stored."""
    if password is not None:
        checked = check_password(password)
        if isinstance(checked, Err):
            return checked
    new_password = password or generate_password()

    def decide(a: HostingAccount) -> Result[bool]:
        if a.status not in ("active", "suspended"):
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only active or suspended accounts")
        return Ok(True)

    result = _transition(db, ctx, clients, ref, "password", "account.password", decide,
                         lambda c, d: c.modify_domain(d, password=new_password), (), lambda r: False, {})
    if isinstance(result, Err):
        return result
    return Ok((result.value, new_password))


def change_plan(
    db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, plan: str
) -> Result[dict[str, Any]]:
    def decide(a: HostingAccount) -> Result[bool]:
        if a.plan == plan:
            return Ok(False)
        if a.status not in ("active", "suspended"):
            return err(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only active or suspended accounts")
        return Ok(True)

    return _transition(db, ctx, clients, ref, "plan", "account.plan", decide,
                       lambda c, d: c.modify_domain(d, plan=plan), (),
                       lambda r: r is not None and plan in (r.plan, r.plan_id), {"plan": plan})
