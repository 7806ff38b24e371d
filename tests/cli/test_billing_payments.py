"""payments and proformas commands."""

from __future__ import annotations

import pytest

from tests.conftest import table_dump


@pytest.fixture
def billed(cli):
    """Acme with one issued invoice INV2026-000001 of 121.00 RON."""
    cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290")
    cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100")
    assert cli("invoices", "issue", "1").exit_code == 0
    return cli


def test_partial_then_final_payment_exact_json(billed):
    r = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "21,00 RON", "--method", "card",
               "--reference", "TX-1", "--paid-at", "2026-11-26", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {
        "id": "1", "document_kind": "invoice", "document_number": "INV2026-000001", "amount_cents": 2100,
        "currency": "RON", "method": "card", "reference": "TX-1", "paid_at": "2026-11-26",
        "document_status": "partially_paid", "balance_cents": 10000, "invoice_number": None,
        "created_at": "2026-11-26T10:00:00Z", "voided_at": None, "void_reason": None,
    }
    assert r.stderr == "✓ Recorded payment 1 on INV2026-000001: now partially_paid\n"
    final = billed("payments", "record", "--invoice", "1", "--amount", "100", "-o", "json",
                   "--fields", "document_status,balance_cents,paid_at")
    assert final.json() == {"document_status": "paid", "balance_cents": 0, "paid_at": "2026-11-26"}
    listed = billed("payments", "list", "--invoice", "INV2026-000001", "--fields", "id,amount_cents,method")
    assert listed.stdout == "1\t2100\tcard\n2\t10000\tbank\n"
    shown = billed("payments", "show", "2", "-o", "json", "--fields", "id,document_number")
    assert shown.json() == {"id": "2", "document_number": "INV2026-000001"}
    assert billed("payments", "show", "99").exit_code == 4
    invoice = billed("invoices", "show", "INV2026-000001", "-o", "json").json()
    assert (invoice["status"], invoice["paid_cents"], len(invoice["payments"])) == ("paid", 12100, 2)


def test_over_payment_draft_and_currency_are_refused(billed):
    before = table_dump(billed.database_url)
    over = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "121.01")
    assert (over.exit_code, over.stdout) == (5, "")
    assert over.stderr == ("error: invoice INV2026-000001: payment of 121.01 RON exceeds the open balance "
                           "121.00 RON\n")
    eur = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "10 EUR")
    assert (eur.exit_code, eur.stderr) == (
        2, "error: payment in EUR on a RON invoice: the currency must match\n")
    decimals = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "1.001")
    assert decimals.exit_code == 2
    zero = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "0")
    assert (zero.exit_code, zero.stderr) == (2, "error: amount: must be more than zero\n")
    method = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "1", "--method", "barter")
    assert method.exit_code == 2
    both = billed("payments", "record", "--invoice", "1", "--proforma", "1", "--amount", "1")
    assert (both.exit_code, both.stderr) == (2, "error: give exactly one of --invoice or --proforma\n")
    assert billed("payments", "record", "--invoice", "INV2026-999999", "--amount", "1").exit_code == 4
    billed("invoices", "create", "--customer", "1", "--line", "Draft|1|1")
    draft = billed("payments", "record", "--invoice", "2", "--amount", "1")
    assert (draft.exit_code, draft.stderr) == (
        5, "error: invoice 2 is a draft: issue it before recording payments (open balance 0.00 RON)\n")
    after = table_dump(billed.database_url)
    assert after["payments"] == before["payments"] == []


def test_payment_idempotency_key(billed):
    args = ("payments", "record", "--invoice", "INV2026-000001", "--amount", "50", "--idempotency-key", "bank-77")
    first = billed(*args, "-o", "json")
    again = billed(*args, "-o", "json")
    assert first.json() == again.json()
    assert len(billed("payments", "list", "-o", "json").json()) == 1
    other = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "51",
                   "--idempotency-key", "bank-77")
    assert other.exit_code == 5 and "idempotency key 'bank-77' was already used by payments.record" in other.stderr


def test_proforma_lifecycle_convert_exactly_once(billed):
    r = billed("proformas", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json")
    assert r.exit_code == 0 and r.stderr == "✓ Created draft proforma 2 (121.00 RON)\n"
    issued = billed("proformas", "issue", "2", "-o", "json").json()
    assert (issued["kind"], issued["number"], issued["series"]) == ("proforma", "PRO2026-000001", "PRO")
    first = billed("proformas", "convert", "PRO2026-000001", "-o", "json")
    assert first.exit_code == 0, first.stderr
    invoice = first.json()
    assert (invoice["kind"], invoice["number"], invoice["status"]) == ("invoice", "INV2026-000002", "issued")
    assert invoice["related_documents"][0]["relation"] == "converted_from"
    second = billed("proformas", "convert", "PRO2026-000001", "-o", "json")
    assert second.json()["number"] == "INV2026-000002"
    assert [i["number"] for i in billed("invoices", "list", "-o", "json").json()] == [
        "INV2026-000001", "INV2026-000002"]
    shown = billed("proformas", "show", "2", "-o", "json").json()
    assert shown["status"] == "converted"
    assert shown["related_documents"] == [{"relation": "converted_to", "id": "3", "kind": "invoice",
                                           "number": "INV2026-000002", "issue_date": "2026-11-26",
                                           "total_cents": 12100}]
    pay = billed("payments", "record", "--proforma", "PRO2026-000001", "--amount", "1")
    assert pay.exit_code == 5 and "is converted: it takes no payments" in pay.stderr
    assert billed("proformas", "cancel", "PRO2026-000001", "--yes").exit_code == 5


def test_full_payment_of_proforma_issues_the_invoice(billed):
    billed("proformas", "create", "--customer", "1", "--line", "Hosting|2|50")
    billed("proformas", "issue", "2")
    part = billed("payments", "record", "--proforma", "PRO2026-000001", "--amount", "21", "-o", "json")
    assert (part.json()["document_status"], part.json()["invoice_number"]) == ("partially_paid", None)
    assert billed("invoices", "list", "-o", "json", "--fields", "number").json() == [{"number": "INV2026-000001"}]
    rest = billed("payments", "record", "--proforma", "PRO2026-000001", "--amount", "100", "-o", "json")
    assert rest.json()["document_status"] == "converted"
    assert rest.json()["invoice_number"] == "INV2026-000002"
    invoice = billed("invoices", "show", "INV2026-000002", "-o", "json").json()
    assert (invoice["status"], invoice["paid_cents"], invoice["balance_cents"]) == ("paid", 12100, 0)
    assert [p["amount_cents"] for p in invoice["payments"]] == [2100, 10000]


def test_proforma_cancel_and_drafts(billed):
    billed("proformas", "create", "--customer", "1", "--line", "Hosting|1|100")
    draft_cancel = billed("proformas", "cancel", "2", "--yes")
    assert (draft_cancel.exit_code, draft_cancel.stderr) == (5, "error: proforma 2 is a draft: delete it instead\n")
    billed("proformas", "issue", "2")
    r = billed("proformas", "cancel", "PRO2026-000001", "--yes", "-o", "json", "--fields", "number,status")
    assert r.json() == {"number": "PRO2026-000001", "status": "cancelled"}
    assert billed("proformas", "convert", "PRO2026-000001").exit_code == 5
    assert billed("proformas", "list", "-o", "json", "--fields", "number,status").json() == [
        {"number": "PRO2026-000001", "status": "cancelled"}]


PAY = ("payments", "record", "--invoice", "INV2026-000001", "--amount", "21")


def test_paid_at_in_the_future_or_before_the_issue_date_needs_force_and_a_reason(billed):
    before = table_dump(billed.database_url)
    cases = [
        (("--paid-at", "2026-11-27"), 2, "error: --paid-at 2026-11-27 is in the future (today is 2026-11-26); give "
         "the day the money arrived, or pass --force with --reason if that day is right\n"),
        (("--paid-at", "2026-11-25"), 2, "error: --paid-at 2026-11-25 is before invoice INV2026-000001 was issued "
         "(2026-11-26); give the day the money arrived, or pass --force with --reason if that day is right\n"),
        (("--paid-at", "2026-11-25", "--force"), 2, "error: --force needs --reason: say why the day is right\n"),
        (("--paid-at", "2026-11-25", "--reason", "x"), 2, "error: --reason goes with --force\n"),
    ]
    for args, code, message in cases:
        r = billed(*PAY, *args)
        assert (r.exit_code, r.stdout, r.stderr) == (code, "", message), args
    assert table_dump(billed.database_url) == before
    forced = billed(*PAY, "--paid-at", "2026-11-25", "--force", "--reason", "Paid on the proforma e-mail", "-o",
                    "json")
    assert (forced.exit_code, forced.json()["paid_at"]) == (0, "2026-11-25")
    event = billed("audit", "list", "--action", "payment.record", "-o", "json").json()[-1]
    assert event["after"]["forced"] == {"problem": "--paid-at 2026-11-25 is before invoice INV2026-000001 was "
                                        "issued (2026-11-26)", "reason": "Paid on the proforma e-mail"}


def test_a_reference_already_recorded_needs_allow_duplicate_reference(billed):
    assert billed(*PAY, "--reference", "OP-77").exit_code == 0
    before = table_dump(billed.database_url)
    r = billed(*PAY, "--reference", "OP-77")
    assert (r.exit_code, r.stdout, r.stderr) == (5, "", "error: reference 'OP-77' is already recorded on payment 1 "
                                                        "(INV2026-000001, 21.00 RON on 2026-11-26); pass "
                                                        "--allow-duplicate-reference if this is another payment\n")
    assert table_dump(billed.database_url) == before
    ok = billed(*PAY, "--reference", "OP-77", "--allow-duplicate-reference", "--fields", "id")
    assert (ok.exit_code, ok.stdout) == (0, "2\n")
    assert ok.stderr == ("warning: reference 'OP-77' is also recorded on payment 1\n"
                         "✓ Recorded payment 2 on INV2026-000001: now partially_paid\n")


def test_a_mistyped_payment_is_voided_with_a_reason_unless_a_refund_depends_on_it(billed):
    assert billed("payments", "record", "--invoice", "1", "--amount", "121", "--reference", "OP-1").exit_code == 0
    before = table_dump(billed.database_url)
    for args, code, message in [
        (("1", "--reason", " ", "--yes"), 2, "error: reason: say why the payment is voided\n"),
        (("9", "--reason", "x", "--yes"), 4, "error: no payment '9'\n"),
        (("1", "--reason", "x"), 3, "error: Void payment 1? — needs confirmation; pass --yes to proceed\n"),
    ]:
        r = billed("payments", "void", *args)
        assert (r.exit_code, r.stdout, r.stderr) == (code, "", message), args
    assert table_dump(billed.database_url) == before
    r = billed("payments", "void", "1", "--reason", "Typed on the wrong invoice", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    body = r.json()
    assert (body["document_status"], body["balance_cents"], body["voided_at"], body["void_reason"]) == (
        "issued", 12100, "2026-11-26T10:00:00Z", "Typed on the wrong invoice")
    assert r.stderr == "✓ Voided payment 1 on INV2026-000001: now issued\n"
    again = billed("payments", "void", "1", "--reason", "x", "--yes")
    assert (again.exit_code, again.stderr) == (5, "error: payment 1 was already voided (2026-11-26T10:00:00Z: Typed "
                                                  "on the wrong invoice)\n")
    shown = billed("invoices", "show", "1", "-o", "json").json()
    assert (shown["status"], shown["paid_cents"], shown["payments"]) == ("issued", 0, [])
    # Its reference is free again, and a payment a refund gives back cannot be voided.
    assert billed("payments", "record", "--invoice", "1", "--amount", "121", "--reference", "OP-1").exit_code == 0
    assert billed("refunds", "create", "--invoice", "1", "--amount", "10", "--reason", "x").exit_code == 0
    before = table_dump(billed.database_url)
    refused = billed("payments", "void", "2", "--reason", "x", "--yes")
    assert (refused.exit_code, refused.stderr) == (5, "error: payment 2 cannot be voided: refund 1 gives it back\n")
    assert table_dump(billed.database_url) == before
    events = billed("audit", "list", "--action", "payment.void", "-o", "json").json()
    assert [(e["entity_id"], e["after"]["void_reason"]) for e in events] == [("1", "Typed on the wrong invoice")]


def test_voiding_the_payment_of_an_invoice_past_due_makes_it_overdue(cli):
    from datetime import UTC, datetime

    cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290")
    cli("invoices", "create", "--customer", "1", "--due-days", "3", "--line", "Hosting|1|100")
    assert cli("invoices", "issue", "1").exit_code == 0
    assert cli("payments", "record", "--invoice", "1", "--amount", "121").exit_code == 0
    cli.clock = lambda: datetime(2026, 12, 10, 10, tzinfo=UTC)
    r = cli("payments", "void", "1", "--reason", "Bounced", "--yes", "--fields", "document_status,balance_cents")
    assert (r.exit_code, r.stdout) == (0, "overdue\t12100\n")
