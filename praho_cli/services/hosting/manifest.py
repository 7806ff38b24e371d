"""Declarative provisioning: a manifest of accounts, a plan of actions, and applying it.

The whole manifest is validated before anything happens. Apply runs one server's actions one at a
time (Virtualmin serialises mutations anyway) and different servers in parallel.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from praho_cli.ledger import accounts as repo
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.uow import read_session
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Result, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.hosting import accounts, lifecycle, placement, provisioning
from praho_cli.services.hosting.connections import ClientProvider
from praho_cli.services.hosting.validation import normalize_domain

ACTIONS = ("create", "suspend", "unsuspend", "change_plan", "delete", "none")
STATES = ("active", "suspended", "absent")
KEYS = {"domain", "customer", "plan", "template", "state", "server", "region"}

ACTION = RecordType(
    name="apply_action",
    title="Apply action",
    description="One planned or applied change of `praho accounts apply`.",
    fields=(
        Field("domain", "string", "Domain (punycode)."),
        Field("action", "string", "What is needed to match the manifest.", enum=ACTIONS),
        Field("server", "string|null", "Server the action runs on."),
        Field("detail", "string", "Why: current state against wanted state."),
        Field("outcome", "string", "planned (with --plan), done, failed, or unchanged.",
              enum=("planned", "done", "failed", "unchanged")),
        Field("error", "string|null", "Why it failed."),
    ),
)

MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://praho.dev/schemas/accounts-manifest.json",
    "title": "praho accounts manifest",
    "description": "Accounts that `praho accounts apply` makes the ledger and Virtualmin match (TOML or JSON).",
    "type": "object",
    "required": ["accounts"],
    "additionalProperties": False,
    "properties": {
        "accounts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["domain", "customer"],
                "additionalProperties": False,
                "properties": {
                    "domain": {"type": "string", "description": "Domain (Unicode or punycode)."},
                    "customer": {"type": "string", "description": "Customer id or e-mail."},
                    "plan": {"type": "string", "description": "Virtualmin plan."},
                    "template": {"type": "string", "description": "Virtualmin template (used on create)."},
                    "state": {"type": "string", "enum": list(STATES), "default": "active"},
                    "server": {"type": "string", "description": "Place on this server (create only)."},
                    "region": {"type": "string", "description": "Place in this region (create only)."},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Entry:
    domain: str
    customer: str
    plan: str | None
    template: str | None
    state: str
    server: str | None
    region: str | None


@returns_result
def load_manifest(text: str, filename: str) -> list[Entry]:
    """Parse and validate every entry; one INVALID listing all problems, before anything is applied."""
    try:
        data: Any = json.loads(text) if filename.endswith(".json") or text.lstrip().startswith("{") \
            else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise fail(ErrorCode.INVALID, f"{filename}: not valid TOML or JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"accounts"} or not isinstance(data["accounts"], list):
        raise fail(ErrorCode.INVALID, f"{filename}: expected exactly one key, accounts (a list)")
    problems: list[str] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data["accounts"], start=1):
        where = f"accounts[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table/object")
            continue
        unknown = set(item) - KEYS
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if any(not isinstance(v, str) for v in item.values()):
            problems.append(f"{where}: every value must be a string")
            continue
        if not item.get("domain") or not item.get("customer"):
            problems.append(f"{where}: domain and customer are required")
            continue
        normalized = normalize_domain(item["domain"])
        if isinstance(normalized, Err):
            problems.append(f"{where}: {normalized.error.message}")
            continue
        domain = normalized.value[0]
        if domain in seen:
            problems.append(f"{where}: {domain} is already declared in accounts[{seen[domain]}]")
        seen[domain] = index
        state = item.get("state", "active")
        if state not in STATES:
            problems.append(f"{where}: state must be one of {', '.join(STATES)}, not {state!r}")
        entries.append(Entry(domain, item["customer"], item.get("plan"), item.get("template"), state,
                             item.get("server"), item.get("region")))
    if problems:
        raise fail(ErrorCode.INVALID, f"{filename}: {len(problems)} invalid entr{'y' if len(problems) == 1 else 'ies'}"
                   f": " + "; ".join(problems), problems=problems)
    return entries


def _row(entry: Entry, action: str, server: str | None, detail: str, outcome: str = "planned") -> dict[str, Any]:
    return {"domain": entry.domain, "action": action, "server": server, "detail": detail, "outcome": outcome,
            "error": None}


@returns_result
def plan(db: Database, ctx: ServiceContext, entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """One row per entry. Creates are placed now (counting earlier creates of this plan), so the plan
    shows where each account would go; unknown customers or servers make the manifest invalid."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    max_age = int(ctx.setting("virtualmin.health_max_age_seconds") or 900)
    with read_session(db) as session:
        servers = list(server_repo.iter_servers(session))
        by_name = {s.name: s for s in servers}
        planned: dict[int, int] = {}
        for entry in entries:
            customer = accounts.find_customer(session, entry.customer)
            if isinstance(customer, Err):
                problems.append(f"{entry.domain}: {customer.error.message}")
                continue
            if entry.server and entry.server.lower() not in by_name:
                problems.append(f"{entry.domain}: no server {entry.server!r}")
                continue
            account = repo.get_by_domain(session, entry.domain)
            if account is not None and account.status != "error":
                if account.customer_id != customer.value.id:
                    problems.append(f"{entry.domain}: belongs to another customer in the ledger")
                    continue
                rows.append(_existing(entry, account, accounts.server_name(session, account.server_id)))
                continue
            if entry.state == "absent":
                rows.append(_row(entry, "none", None, "absent, as wanted", "unchanged"))
                continue
            constraints = placement.Constraints(region=entry.region.lower() if entry.region else None)
            candidates = [by_name[entry.server.lower()]] if entry.server else servers
            eligible, verdicts = placement.rank(candidates, ctx.now(), max_age, constraints, planned)
            if not eligible:
                rows.append({**_row(entry, "create", None, "no server can host it: "
                                    + placement.explain(verdicts)), "error": "no eligible server"})
                continue
            chosen = eligible[0]
            planned[chosen.id or 0] = planned.get(chosen.id or 0, 0) + 1
            rows.append(_row(entry, "create", chosen.name, f"not in the ledger; wanted {entry.state}"))
    if problems:
        raise fail(ErrorCode.INVALID, f"manifest: {len(problems)} invalid entr"
                   f"{'y' if len(problems) == 1 else 'ies'}: " + "; ".join(problems), problems=problems)
    return rows


def _existing(entry: Entry, account: Any, server: str) -> dict[str, Any]:
    status = account.status
    if entry.state == "absent":
        return _row(entry, "delete", server, f"{status}; wanted absent")
    if status in ("terminated", "provisioning"):
        return _row(entry, "none", server, f"{status}: apply leaves it alone", "unchanged")
    if entry.state == "suspended" and status == "active":
        return _row(entry, "suspend", server, "active; wanted suspended")
    if entry.state == "active" and status == "suspended":
        return _row(entry, "unsuspend", server, "suspended; wanted active")
    if entry.plan is not None and entry.plan != account.plan:
        return _row(entry, "change_plan", server, f"plan {account.plan or '(none)'}; wanted {entry.plan}")
    return _row(entry, "none", server, f"{status}, as wanted", "unchanged")


def _act(db: Database, ctx: ServiceContext, clients: ClientProvider, entry: Entry, action: str,
         server: str | None) -> Any:
    """One action of the plan, through the public services; their failure is raised."""
    if action == "create":
        req = provisioning.CreateRequest(domain=entry.domain, customer=entry.customer, plan=entry.plan,
                                         template=entry.template, server=server)
        created = provisioning.create_account(db, ctx, clients, req).unwrap()
        if entry.state == "suspended":
            created = lifecycle.suspend(db, ctx, clients, entry.domain, "suspended by manifest").unwrap()
        if entry.plan and created.get("plan") != entry.plan:
            created = lifecycle.change_plan(db, ctx, clients, entry.domain, entry.plan).unwrap()
        return created
    if action == "suspend":
        return lifecycle.suspend(db, ctx, clients, entry.domain, "suspended by manifest").unwrap()
    if action == "unsuspend":
        return lifecycle.unsuspend(db, ctx, clients, entry.domain).unwrap()
    if action == "change_plan":
        return lifecycle.change_plan(db, ctx, clients, entry.domain, entry.plan or "").unwrap()
    lifecycle.terminate(db, ctx, clients, entry.domain).unwrap()
    return lifecycle.delete(db, ctx, clients, entry.domain).unwrap()


def _run(db: Database, ctx: ServiceContext, clients: ClientProvider, entry: Entry,
         row: dict[str, Any]) -> dict[str, Any]:
    if row["action"] not in ("create", "suspend", "unsuspend", "change_plan", "delete"):
        return row
    result: Result[Any] = returns_result(_act)(db, ctx, clients, entry, row["action"], row["server"])
    if isinstance(result, Err):
        return {**row, "outcome": "failed", "error": result.error.message}
    return {**row, "outcome": "done"}


@returns_result
def apply(db: Database, ctx: ServiceContext, clients: ClientProvider, entries: Sequence[Entry],
          parallel: int) -> list[dict[str, Any]]:
    """Apply the plan: per server one action at a time, servers in parallel. Returns every row."""
    planned = plan(db, ctx, entries).unwrap()
    by_domain = {e.domain: e for e in entries}
    queues: dict[str, list[int]] = {}
    results: list[dict[str, Any]] = list(planned)
    for index, row in enumerate(planned):
        if row["action"] == "none":
            continue
        if row["server"] is None:
            results[index] = {**row, "outcome": "failed", "error": row["error"] or "no eligible server"}
            continue
        queues.setdefault(row["server"], []).append(index)

    def drain(indexes: list[int]) -> None:
        for index in indexes:
            row = planned[index]
            results[index] = _run(db, replace(ctx), clients, by_domain[row["domain"]], row)

    if queues:
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(queues)))) as pool:
            for future in [pool.submit(drain, q) for q in queues.values()]:
                future.result()
    return results
