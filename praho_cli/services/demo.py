"""`praho demo`: the whole provisioning story on a throwaway ledger and the built-in simulator.

Nothing outside ``workdir`` is touched: the SQLite ledger, the simulator's state files and the
servers all live there, and the simulated servers listen on 127.0.0.1 only and stop at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from praho_cli.records import Field, RecordType
from praho_cli.result import returns_result
from praho_cli.services.context import ServiceContext

DEMO_STEP = RecordType(
    name="demo_step",
    title="Demo step",
    description="One thing `praho demo` did.",
    fields=(
        Field("step", "integer", "Order."),
        Field("action", "string", "What was done."),
        Field("subject", "string", "What it was done to."),
        Field("result", "string", "The outcome."),
    ),
)

DEMO_SETTINGS = {
    "seller.name": "Demo Hosting SRL",
    "seller.vat_id": "RO18547290",
    "seller.reg_com": "J40/372/2002",
    "seller.address": "Str. Exemplu 1, București",
}


@returns_result
def run_demo(
    workdir: Path, ctx: ServiceContext, note: Callable[[str], None] = lambda _m: None
) -> list[dict[str, Any]]:
    from praho_cli.ledger.engine import open_database, sqlite_url_for
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.services.billing import customers
    from praho_cli.services.hosting import checks, connections, lifecycle, provisioning, servers
    from praho_cli.services.ledger_admin import initialize
    from praho_cli.virtualmin.simulator import SimState, serve_many

    base_setting = ctx.setting

    def setting(key: str) -> Any:
        if key in DEMO_SETTINGS:
            return DEMO_SETTINGS[key]
        return base_setting(key)

    ctx = replace(ctx, setting=setting, default_currency="RON")
    steps: list[dict[str, Any]] = []

    def record(action: str, subject: str, result: str) -> None:
        steps.append({"step": len(steps) + 1, "action": action, "subject": subject, "result": result})
        note(f"{action}: {subject} → {result}")

    db = open_database(sqlite_url_for(workdir / "ledger.db"))
    try:
        initialize(db, lambda: ctx).unwrap()
        record("create ledger", str(workdir / "ledger.db"), "migrated SQLite ledger")
        password = secrets.token_urlsafe(18)
        state_dir = workdir / "simulator"
        for name in ("vm1", "vm2"):
            SimState(state_dir / f"{name}.json").add_plan("Gold", plan_id="100", quota=4194304)
        with serve_many(["vm1", "vm2"], state_dir, password=password) as fleet:
            record("start simulator", ", ".join(s.url for s in fleet), "2 Virtualmin servers on 127.0.0.1")
            customer = run_in_transaction(db, lambda s: customers.add_customer(s, ctx, customers.CustomerInput(
                name="Acme Web SRL", email="billing@acme-web.ro", cui="RO18547290", reg_com="J40/372/2002",
                address="Bd. Unirii 1", city="București"))).unwrap()
            record("add customer", customer["name"], f"id {customer['id']}")
            for name, cap, region in (("vm1", 2, "buc"), ("vm2", 5, "buc")):
                data = servers.ServerInput(url=fleet[name].url, max_domains=cap, region=region)
                row = run_in_transaction(db, partial(servers.add_server, ctx=ctx, name=name, data=data)).unwrap()
                record("add server", row["name"], f"{row['endpoint']}, max {cap} domains")
            clients = connections.client_provider(setting, lambda _key: password)
            for row in checks.check_servers(db, ctx, clients, [], True).unwrap():
                record("health check", row["server"], f"{row['health']} (Virtualmin {row['virtualmin_version']})")
            for domain in ("acme-web.ro", "magazin-acme.ro", "blog.acme-web.com", "cafenea-ţărănească.ro"):
                req = provisioning.CreateRequest(domain=domain, customer=customer["email"], plan="Gold")
                created = provisioning.create_account(db, ctx, clients, req).unwrap()
                record("create account", created["domain_unicode"],
                       f"on {created['server']} as {created['username']} ({created['status']})")
            suspended = lifecycle.suspend(db, ctx, clients, "magazin-acme.ro", "unpaid invoice").unwrap()
            record("suspend account", suspended["domain"], f"{suspended['status']}: {suspended['suspend_reason']}")
            for row in checks.sync_stats(db, ctx, clients, [], True).unwrap():
                record("sync stats", row["server"], f"{row['remote_domains']} domain(s) in Virtualmin")
            _billing(db, ctx, customer["email"], record)
        record("stop simulator", "vm1, vm2", "stopped")
    finally:
        db.engine.dispose()
    return steps


def _billing(db: Any, ctx: ServiceContext, customer: str, record: Callable[[str, str, str], None]) -> None:
    """Issue and pay an invoice where the billing services exist in this build."""
    try:
        from praho_cli.billing.numbering import DocumentKind
        from praho_cli.services.billing import payments
        from praho_cli.services.billing.documents import drafts, issuing
    except ImportError:
        record("billing", "invoice", "skipped: billing is not part of this build")
        return
    from praho_cli.ledger.uow import run_in_transaction

    kind = DocumentKind.INVOICE
    draft = run_in_transaction(db, lambda s: drafts.create_draft(s, ctx, kind, drafts.DraftInput(
        customer=customer, lines=("Web hosting Gold, 12 months|1|600.00",)))).unwrap()
    issued = run_in_transaction(db, lambda s: issuing.issue_document(s, ctx, kind, draft["id"])).unwrap()
    total = issued["total_cents"]
    record("issue invoice", issued["number"], f"{total // 100}.{total % 100:02d} {issued['currency']}")
    amount = f"{total // 100}.{total % 100:02d}"
    paid = run_in_transaction(db, lambda s: payments.record_payment(s, ctx, payments.PaymentInput(
        amount=amount, invoice=issued["number"], reference="demo"))).unwrap()
    record("record payment", issued["number"], f"paid {amount} {issued['currency']} (payment {paid['id']})")
