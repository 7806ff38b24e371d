"""refunds create|list|show|eligibility|reconcile on the in-process CLI (SQLite; the _any tests also PostgreSQL)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import table_dump

GATEWAY = Path(__file__).resolve().parents[1] / "unit" / "refunds" / "gateway.py"
ACME = ["customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro", "--cui", "RO18547290"]


def invoice(cli, *lines: str, tax_point: str = "2026-11-20", pay: str | None = "all") -> dict:
    created = cli("invoices", "create", "--customer", "1", "--tax-point", tax_point,
                  *[a for line in lines for a in ("--line", line)], "-o", "json")
    assert created.exit_code == 0, created.stderr
    issued = cli("invoices", "issue", created.json()["id"], "-o", "json").json()
    if pay:
        amount = f"{issued['total_cents'] / 100:.2f}" if pay == "all" else pay
        r = cli("payments", "record", "--invoice", issued["number"], "--amount", amount)
        assert r.exit_code == 0, r.stderr
    return issued


@pytest.fixture
def acme(cli):
    assert cli(*ACME).exit_code == 0
    return cli


@pytest.fixture
def paid(acme):
    """INV2026-000001: 100.00 + 21 % = 121.00 RON, paid in full."""
    invoice(acme, "Hosting|1|100")
    return acme


def test_partial_then_full_refund_exact_json_and_status_projection(paid):
    r = paid("refunds", "create", "--invoice", "INV2026-000001", "--amount", "24.20", "--reason", "Downgrade",
             "--method", "bank", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "✓ Refunded 24.20 RON on INV2026-000001: refund 1 completed, credit note CN2026-000001\n"
    refund = r.json()
    key = refund.pop("idempotency_key")
    assert key.startswith("praho-refund-") and len(key) == len("praho-refund-") + 32
    assert refund == {
        "id": "1", "invoice_number": "INV2026-000001", "customer_id": "1", "kind": "partial", "status": "completed",
        "amount_cents": 2420, "currency": "RON", "method": "bank", "reason": "Downgrade",
        "credit_note_number": "CN2026-000001", "command_reference": None, "created_at": "2026-11-26T10:00:00Z",
        "completed_at": "2026-11-26T10:00:00Z", "invoice_id": "1", "invoice_issue_date": "2026-11-26",
        "invoice_status": "partially_refunded", "remaining_cents": 9680, "settled_by": "outside",
        "failure_reason": None, "attempts": 0,
        "allocations": [{"payment_id": "1", "amount_cents": 2420, "method": "bank"}],
        "credit_note": {"id": "2", "number": "CN2026-000001", "issue_date": "2026-11-26", "tax_point": "2026-11-20",
                        "net_cents": -2000, "vat_cents": -420, "total_cents": -2420,
                        "vat_breakdown": [{"vat_code": "S", "vat_rate": "21", "base_cents": -2000,
                                           "vat_cents": -420}]},
        "updated_at": "2026-11-26T10:00:00Z",
    }
    note = paid("invoices", "show", "CN2026-000001", "-o", "json")
    assert note.exit_code == 4  # credit notes are not invoices; shown through the invoice's relations
    shown = paid("invoices", "show", "INV2026-000001", "-o", "json").json()
    assert shown["status"] == "partially_refunded"
    assert shown["related_documents"] == [{"relation": "corrected_by", "id": "2", "kind": "credit_note",
                                           "number": "CN2026-000001", "issue_date": "2026-11-26",
                                           "total_cents": -2420}]
    full = paid("refunds", "create", "--invoice", "1", "--full", "--reason", "Closed account", "-o", "json")
    assert full.exit_code == 0, full.stderr
    body = full.json()
    assert (body["kind"], body["amount_cents"], body["invoice_status"], body["remaining_cents"]) == (
        "full", 9680, "refunded", 0)
    assert body["credit_note"]["vat_breakdown"] == [{"vat_code": "S", "vat_rate": "21", "base_cents": -8000,
                                                     "vat_cents": -1680}]
    # The two credit notes and the invoice net to zero, base and VAT.
    assert (body["credit_note"]["net_cents"] - 2000, body["credit_note"]["vat_cents"] - 420) == (-10000, -2100)
    listed = paid("refunds", "list", "--fields", "id,kind,status,amount_cents,credit_note_number")
    assert listed.stdout == "1\tpartial\tcompleted\t2420\tCN2026-000001\n2\tfull\tcompleted\t9680\tCN2026-000002\n"
    assert paid("invoices", "list", "--status", "refunded", "--fields", "number").stdout == "INV2026-000001\n"
    elig = paid("refunds", "eligibility", "--invoice", "INV2026-000001", "-o", "json").json()
    assert elig == {
        "invoice_number": "INV2026-000001", "invoice_status": "refunded", "eligible": False,
        "reason": "Invoice INV2026-000001 is already fully refunded: remaining 0.00 RON", "currency": "RON",
        "total_cents": 12100, "paid_cents": 12100, "refunded_cents": 12100, "pending_cents": 0,
        "max_refundable_cents": 0,
        "payments": [{"id": "1", "amount_cents": 12100, "method": "bank", "refunded_cents": 12100,
                      "pending_cents": 0, "status": "refunded"}],
    }
    actions = [e["action"] for e in paid("audit", "list", "-o", "json").json()]
    assert actions[-8:] == ["refund.create", "credit_note.issue", "invoice.refund_status", "refund.complete",
                            "refund.create", "credit_note.issue", "invoice.refund_status", "refund.complete"]


def test_full_refund_is_a_storno_of_every_line(acme):
    doc = invoice(acme, "A|0.5|0.67", "B|3|3.33", tax_point="2025-07-31")
    r = acme("refunds", "create", "--invoice", doc["number"], "--full", "--reason", "Cancelled order", "-o", "json")
    assert r.exit_code == 0, r.stderr
    note = r.json()["credit_note"]
    assert (note["net_cents"], note["vat_cents"], note["total_cents"]) == (
        -doc["net_cents"], -doc["vat_cents"], -doc["total_cents"])
    assert note["vat_breakdown"] == [{"vat_code": "S", "vat_rate": "19", "base_cents": -doc["net_cents"],
                                      "vat_cents": -doc["vat_cents"]}]


def test_mixed_rate_partial_refund_spreads_over_the_original_rates(acme):
    # Tax point before 2025-08-01, refunded on 2026-11-26: 19 % and 9 % stay 19 % and 9 %.
    doc = invoice(acme, "Hosting|1|100", "Book|3|3.33|reduced", "Course|1|10|exempt", tax_point="2025-07-15")
    assert doc["total_cents"] == 10000 + 1900 + 999 + 90 + 1000
    r = acme("refunds", "create", "--invoice", doc["number"], "--amount", "50", "--reason", "Partial", "-o", "json")
    assert r.exit_code == 0, r.stderr
    note = r.json()["credit_note"]
    assert note["tax_point"] == "2025-07-15"
    # 50.00 spread by each group's share of 139.89: 119.00 → 42.53, 10.89 → 3.89, 10.00 → 3.58 (largest
    # remainder), then each share split into base + VAT at the invoice's rate.
    assert note["vat_breakdown"] == [
        {"vat_code": "S", "vat_rate": "19", "base_cents": -3574, "vat_cents": -679},
        {"vat_code": "S", "vat_rate": "9", "base_cents": -357, "vat_cents": -32},
        {"vat_code": "E", "vat_rate": "0", "base_cents": -358, "vat_cents": 0},
    ]
    assert note["total_cents"] == -5000
    rest = acme("refunds", "create", "--invoice", doc["number"], "--full", "--reason", "Rest", "-o", "json").json()
    assert rest["amount_cents"] == 13989 - 5000
    both = [note["vat_breakdown"], rest["credit_note"]["vat_breakdown"]]
    by_rate = {}
    for breakdown in both:
        for b in breakdown:
            key = b["vat_rate"]
            base, vat = by_rate.get(key, (0, 0))
            by_rate[key] = (base + b["base_cents"], vat + b["vat_cents"])
    # The credit notes give back exactly what each rate group of the invoice charged.
    assert by_rate == {"19": (-10000, -1900), "9": (-999, -90), "0": (-1000, 0)}
    assert note["total_cents"] + rest["credit_note"]["total_cents"] == -doc["total_cents"]


def test_pre_august_2025_invoice_refunded_today_keeps_19_percent(acme):
    doc = invoice(acme, "Hosting|1|100", tax_point="2025-07-31")
    r = acme("refunds", "create", "--invoice", doc["number"], "--amount", "59.50", "--reason", "Half", "-o", "json")
    assert r.json()["credit_note"]["vat_breakdown"] == [
        {"vat_code": "S", "vat_rate": "19", "base_cents": -5000, "vat_cents": -950}]


def test_amount_that_no_base_reaches_gets_an_explicit_rounding_line(paid):
    # At 21 %, a base of 2 bani is 2 gross and a base of 3 is 4: 0.03 RON is split 0.02 + 0.01 shown apart.
    r = paid("refunds", "create", "--invoice", "1", "--amount", "0.03", "--reason", "Cents", "-o", "json")
    note = r.json()["credit_note"]
    assert note["total_cents"] == -3
    assert note["vat_breakdown"] == [{"vat_code": "S", "vat_rate": "21", "base_cents": -2, "vat_cents": 0},
                                     {"vat_code": "O", "vat_rate": "0", "base_cents": -1, "vat_cents": 0}]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--invoice", "INV2026-999999", "--full"), 4, "error: no invoice 'INV2026-999999' (give its number or id)\n"),
    (("--invoice", "1", "--amount", "0"), 2, "error: amount: must be more than zero\n"),
    (("--invoice", "1", "--amount", "-5"), 2, "error: Amount '-5' must not be negative\n"),
    (("--invoice", "1", "--amount", "1.001"), 2, "error: Amount '1.001' has more decimals than RON allows (2)\n"),
    (("--invoice", "1", "--amount", "10 EUR"), 2,
     "error: refund in EUR of a RON invoice: the currency must match\n"),
    (("--invoice", "1", "--amount", "121.01"), 5,
     "error: Cannot refund 121.01 RON on invoice INV2026-000001: the maximum refundable is 121.00 RON "
     "(paid 121.00 RON, refunded or pending 0.00 RON)\n"),
    (("--invoice", "1"), 2, "error: give exactly one of --full or --amount\n"),
    (("--invoice", "1", "--full", "--amount", "1"), 2, "error: give exactly one of --full or --amount\n"),
    (("--invoice", "1", "--full", "--method", "barter"), 2,
     "error: method: must be one of original, bank, card, cash, other, not 'barter'\n"),
    (("--invoice", "2", "--full"), 5, "error: Cannot refund invoice 2 in 'draft' status\n"),
    (("--invoice", "INV2026-000002", "--full"), 5,
     "error: Cannot refund invoice INV2026-000002: nothing was paid on it ('issued' status, remaining 0.00 RON)\n"),
    (("--invoice", "INV2026-000003", "--full"), 5, "error: Cannot refund invoice INV2026-000003 in 'cancelled' "
     "status\n"),
])
def test_validation_paths_change_nothing(paid, args, code, message):
    invoice(paid, "Unpaid|1|10", pay=None)  # INV2026-000002
    cancelled = invoice(paid, "Wrong|1|10", pay=None)  # INV2026-000003
    assert paid("invoices", "cancel", cancelled["number"], "--yes").exit_code == 0
    paid("invoices", "create", "--customer", "1", "--line", "Draft|1|1")  # draft, id 2? no: id 5
    before = table_dump(paid.database_url)
    reason = ("--reason", "x")
    target = list(args)
    if target[1] == "2":
        target[1] = "5" if paid("invoices", "show", "5").exit_code == 0 else "2"
    r = paid("refunds", "create", *target, *reason)
    expected = message.replace("invoice 2 in", f"invoice {target[1]} in")
    assert (r.exit_code, r.stdout, r.stderr) == (code, "", expected)
    assert table_dump(paid.database_url) == before


def test_already_fully_refunded_and_empty_reason(paid):
    assert paid("refunds", "create", "--invoice", "1", "--full", "--reason", "All").exit_code == 0
    before = table_dump(paid.database_url)
    again = paid("refunds", "create", "--invoice", "1", "--amount", "1", "--reason", "More")
    assert (again.exit_code, again.stderr) == (
        5, "error: Invoice INV2026-000001 is already fully refunded: remaining 0.00 RON\n")
    blank = paid("refunds", "create", "--invoice", "1", "--amount", "1", "--reason", "  ")
    assert (blank.exit_code, blank.stderr) == (
        2, "error: reason: must not be empty (say why the money is given back)\n")
    assert table_dump(paid.database_url) == before


def test_idempotency_key_replays_and_conflicts(paid):
    args = ("refunds", "create", "--invoice", "INV2026-000001", "--amount", "10", "--reason", "Goodwill",
            "--idempotency-key", "ticket-981")
    first = paid(*args, "-o", "json")
    assert first.exit_code == 0, first.stderr
    again = paid(*args, "-o", "json")
    assert again.exit_code == 0
    assert again.json() == first.json()
    assert again.stderr == ("✓ Replayed 10.00 RON on INV2026-000001: refund 1 completed, credit note "
                            "CN2026-000001\n")
    assert first.json()["idempotency_key"] == "ticket-981"
    before = table_dump(paid.database_url)
    other = paid("refunds", "create", "--invoice", "INV2026-000001", "--amount", "11", "--reason", "Goodwill",
                 "--idempotency-key", "ticket-981")
    assert other.exit_code == 5
    assert "idempotency key 'ticket-981' was already used by refunds.create" in other.stderr
    assert table_dump(paid.database_url) == before


def test_dry_run_previews_and_writes_nothing(paid):
    before = table_dump(paid.database_url)
    r = paid("refunds", "create", "--invoice", "1", "--amount", "12.10", "--reason", "Try", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r.stderr
    body = r.json()
    assert (body["id"], body["status"], body["remaining_cents"]) == (None, "completed", 10890)
    assert body["credit_note"]["number"] is None
    assert body["credit_note"]["vat_breakdown"] == [{"vat_code": "S", "vat_rate": "21", "base_cents": -1000,
                                                     "vat_cents": -210}]
    assert r.stderr == "Dry run: nothing was recorded\n"
    assert table_dump(paid.database_url) == before


def test_partially_paid_invoice_keeps_its_payment_status(acme):
    doc = invoice(acme, "Hosting|1|100", pay="50")
    r = acme("refunds", "create", "--invoice", doc["number"], "--full", "--reason", "Back", "-o", "json").json()
    assert (r["amount_cents"], r["invoice_status"], r["kind"]) == (5000, "partially_paid", "full")
    elig = acme("refunds", "eligibility", "--invoice", doc["number"], "-o", "json").json()
    assert (elig["eligible"], elig["max_refundable_cents"], elig["refunded_cents"]) == (False, 0, 5000)


def test_refund_gives_back_newest_payments_first(acme):
    doc = invoice(acme, "Hosting|1|100", pay="21")
    acme("payments", "record", "--invoice", doc["number"], "--amount", "100", "--method", "card")
    r = acme("refunds", "create", "--invoice", doc["number"], "--amount", "110", "--reason", "x", "-o", "json").json()
    assert r["allocations"] == [{"payment_id": "2", "amount_cents": 10000, "method": "card"},
                                {"payment_id": "1", "amount_cents": 1000, "method": "bank"}]
    states = acme("refunds", "eligibility", "--invoice", doc["number"], "-o", "json").json()["payments"]
    assert [(p["id"], p["status"], p["refunded_cents"]) for p in states] == [
        ("1", "partially_refunded", 1000), ("2", "refunded", 10000)]


def test_list_filters_and_show(paid):
    invoice(paid, "Other|1|10")
    paid("refunds", "create", "--invoice", "1", "--amount", "1", "--reason", "a")
    paid("refunds", "create", "--invoice", "INV2026-000002", "--amount", "2", "--reason", "b")
    assert paid("refunds", "list", "--invoice", "INV2026-000002", "--fields", "id").stdout == "2\n"
    assert paid("refunds", "list", "--customer", "billing@acme.ro", "--fields", "id").stdout == "1\n2\n"
    assert paid("refunds", "list", "--status", "pending", "--fields", "id").stdout == ""
    assert paid("refunds", "list", "--from", "2026-11-26", "--to", "2026-11-26", "--fields", "id").stdout == "1\n2\n"
    assert paid("refunds", "list", "--from", "2026-11-27", "--fields", "id").stdout == ""
    bad = paid("refunds", "list", "--status", "lost")
    assert (bad.exit_code, bad.stderr) == (2, "error: status: must be one of pending, completed, failed, not 'lost'\n")
    assert paid("refunds", "show", "2", "-o", "json", "--fields", "id,amount_cents").json() == {
        "id": "2", "amount_cents": 200}
    missing = paid("refunds", "show", "99")
    assert (missing.exit_code, missing.stderr) == (4, "error: no refund '99' (give its id; see `praho refunds list`)\n")
    table = paid("refunds", "list", tty=True)
    assert table.exit_code == 0 and "INV2026-000002" in table.stdout and "\x1b[" not in table.stdout.split("\n")[0][:0]


# --- the refund command ------------------------------------------------------------------------------
@pytest.fixture
def gateway(tmp_path):
    state = tmp_path / "gateway"
    state.mkdir()

    def env(timeout: int = 10) -> dict[str, str]:
        return {"PRAHO_REFUNDS_COMMAND": f"{sys.executable} {GATEWAY} {state}",
                "PRAHO_REFUNDS_COMMAND_TIMEOUT_SECONDS": str(timeout)}

    def mode(value: str) -> None:
        (state / "mode").write_text(value)

    def calls() -> list[dict]:
        path = state / "calls.jsonl"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    def paid_out() -> dict:
        path = state / "paid.json"
        return json.loads(path.read_text()) if path.exists() else {}

    class Gateway:
        pass

    g = Gateway()
    g.env, g.mode, g.calls, g.paid_out, g.state = env, mode, calls, paid_out, state
    return g


def test_command_moves_the_money_with_the_key_and_reference(paid, gateway):
    r = paid("refunds", "create", "--invoice", "1", "--amount", "21", "--reason", "Downgrade",
             "--idempotency-key", "t-1", "-o", "json", env=gateway.env())
    assert r.exit_code == 0, r.stderr
    body = r.json()
    assert (body["status"], body["settled_by"], body["command_reference"], body["attempts"]) == (
        "completed", "command", "TR-1", 1)
    assert body["credit_note_number"] == "CN2026-000001"
    assert [(c["key"], c["amount_cents"], c["refund_id"]) for c in gateway.calls()] == [("t-1", 2100, "1")]
    assert gateway.paid_out() == {"t-1": {"transfer": "TR-1", "amount_cents": 2100}}
    replay = paid("refunds", "create", "--invoice", "1", "--amount", "21", "--reason", "Downgrade",
                  "--idempotency-key", "t-1", "-o", "json", env=gateway.env())
    assert replay.json()["id"] == "1" and len(gateway.calls()) == 1


def test_failing_command_marks_failed_releases_the_reservation_and_keeps_stderr_out(paid, gateway):
    gateway.mode("fail")
    before_notes = paid("invoices", "show", "1", "-o", "json").json()["related_documents"]
    r = paid("refunds", "create", "--invoice", "1", "--amount", "21", "--reason", "x", "-o", "json",
             env=gateway.env())
    assert r.exit_code == 69
    assert r.stderr == ("error: refund 1 failed: refund command exited with status 3: card expired; no money was "
                        "moved and its amount is refundable again; the command's stderr is in the error's details "
                        "(--verbose)\n")
    body = r.json()
    assert (body["status"], body["credit_note"], body["remaining_cents"]) == ("failed", None, 12100)
    assert paid("invoices", "show", "1", "-o", "json").json()["related_documents"] == before_notes == []
    dump = json.dumps(table_dump(paid.database_url), default=str)
    assert "sk_live_SECRET123" not in dump and "card expired" in dump
    assert gateway.paid_out() == {}
    assert paid("refunds", "eligibility", "--invoice", "1", "-o", "json").json()["max_refundable_cents"] == 12100


def test_hanging_command_leaves_pending_then_reconcile_settles_once(paid, gateway):
    gateway.mode("pay-then-hang")
    r = paid("refunds", "create", "--invoice", "1", "--amount", "21", "--reason", "x", "-o", "json",
             env=gateway.env(timeout=1))
    assert r.exit_code == 69
    assert r.stderr == ("error: refund 1 is pending: refund command timed out after 1s; its outcome is unknown; "
                        "run `praho refunds reconcile` to settle it\n")
    assert (r.json()["status"], r.json()["remaining_cents"]) == ("pending", 10000)
    # The reservation holds while the outcome is unknown.
    over = paid("refunds", "create", "--invoice", "1", "--amount", "100.01", "--reason", "y")
    assert over.exit_code == 5 and "the maximum refundable is 100.00 RON" in over.stderr
    gateway.mode("ok")
    rec = paid("refunds", "reconcile", "-o", "json", env=gateway.env())
    assert rec.exit_code == 0, rec.stderr
    assert rec.json() == [{"id": "1", "invoice_number": "INV2026-000001", "amount_cents": 2100, "currency": "RON",
                           "status": "completed", "credit_note_number": "CN2026-000001",
                           "command_reference": "TR-1", "problem": None}]
    keys = [c["key"] for c in gateway.calls()]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert list(gateway.paid_out().values()) == [{"transfer": "TR-1", "amount_cents": 2100}]
    assert paid("refunds", "reconcile", "-o", "json", env=gateway.env()).json() == []
    shown = paid("refunds", "show", "1", "-o", "json").json()
    assert (shown["status"], shown["attempts"], shown["failure_reason"]) == ("completed", 2, None)


def test_tempfail_stays_pending_and_reconcile_reports_partial(paid, gateway):
    gateway.mode("tempfail")
    r = paid("refunds", "create", "--invoice", "1", "--amount", "5", "--reason", "x", env=gateway.env())
    assert r.exit_code == 69 and "refund command asked to retry later (exit 75)" in r.stderr
    rec = paid("refunds", "reconcile", "--fields", "id,status,problem", env=gateway.env())
    assert rec.exit_code == 6
    assert rec.stdout == "1\tpending\trefund command asked to retry later (exit 75)\n"
    assert rec.stderr == "error: 1 of 1 refund(s) still pending: 1\n"
    no_command = paid("refunds", "reconcile")
    assert no_command.exit_code == 78
    assert "refunds.command is not set" in no_command.stderr


def test_partial_refund_through_the_command_leaves_the_rest_refundable(paid, gateway):
    """Recording the command's outcome counts the completed refund once (121.00 paid, 70.00 back)."""
    r = paid("refunds", "create", "--invoice", "1", "--amount", "70", "--reason", "Downgrade", "-o", "json",
             env=gateway.env())
    assert r.exit_code == 0, r.stderr
    body = r.json()
    assert (body["status"], body["invoice_status"], body["remaining_cents"]) == ("completed", "partially_refunded",
                                                                                 5100)
    events = paid("audit", "list", "--action", "invoice.refund_status", "-o", "json").json()
    assert [(e["after"]["status"], e["after"]["refunded_cents"]) for e in events] == [("partially_refunded", 7000)]
    rest = paid("refunds", "create", "--invoice", "1", "--full", "--reason", "Rest", "-o", "json", env=gateway.env())
    assert (rest.exit_code, rest.json()["amount_cents"], rest.json()["invoice_status"]) == (0, 5100, "refunded")


def test_a_failing_command_s_stderr_reaches_the_error_s_details_bounded_and_redacted(paid, gateway, monkeypatch):
    """Issue 19 item 17: the stderr of a failed refund command is in the error's details (its last
    2048 characters, secrets redacted), the message says so, and the ledger still never holds it."""
    gateway.mode("fail-loud")
    monkeypatch.setenv("GATEWAY_API_KEY", "sk_live_TOPSECRET99")  # the command inherits praho's environment
    env = gateway.env()
    r = paid("-v", "refunds", "create", "--invoice", "1", "--amount", "21", "--reason", "x", env=env)
    assert r.exit_code == 69
    tail = ("x" * 3000 + "\nconnecting with [redacted] (password=[redacted])\n declined by the bank [31m")[-2048:]
    assert r.stderr == ("error: refund 1 failed: refund command exited with status 2; no money was moved and its "
                        "amount is refundable again; the command's stderr is in the error's details (--verbose)\n"
                        "  refund_id: 1\n"
                        f"  command_stderr: {tail}\n")
    assert "sk_live_TOPSECRET99" not in r.stderr and "hunter22" not in r.stderr
    dump = json.dumps(table_dump(paid.database_url), default=str)
    assert "connecting with" not in dump and "sk_live_TOPSECRET99" not in dump
    quiet = paid("refunds", "eligibility", "--invoice", "1", "-o", "json")
    assert quiet.json()["max_refundable_cents"] == 12100


def test_reconcile_names_the_stderr_of_each_refund_still_pending(paid, gateway, monkeypatch):
    gateway.mode("tempfail-loud")
    monkeypatch.setenv("GATEWAY_API_KEY", "sk_live_TOPSECRET99")  # the command inherits praho's environment
    env = gateway.env()
    r = paid("refunds", "create", "--invoice", "1", "--amount", "5", "--reason", "x", env=env)
    assert (r.exit_code, r.stderr) == (69, "error: refund 1 is pending: refund command asked to retry later "
                                           "(exit 75); run `praho refunds reconcile` to settle it; the command's "
                                           "stderr is in the error's details (--verbose)\n")
    rec = paid("-v", "refunds", "reconcile", "--fields", "id,status", env=env)
    assert (rec.exit_code, rec.stdout) == (6, "1\tpending\n")
    assert rec.stderr.endswith("error: 1 of 1 refund(s) still pending: 1; the command's stderr is in the error's "
                               "details (--verbose)\n"
                               "  command_stderr: {'1': 'gateway busy; api_key: [redacted]'}\n")
