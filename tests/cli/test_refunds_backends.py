"""The refund rules on both ledgers (SQLite and PostgreSQL): VAT split, validation, ledger unchanged."""

from __future__ import annotations

from tests.cli.test_refunds import ACME, invoice
from tests.conftest import table_dump


def test_refund_rules_on_each_backend(cli_any):
    assert cli_any(*ACME).exit_code == 0
    doc = invoice(cli_any, "Hosting|1|100", "Book|3|3.33|reduced", "Course|1|10|exempt", tax_point="2025-07-15")
    draft = cli_any("invoices", "create", "--customer", "1", "--line", "Draft|1|1", "-o", "json").json()
    unpaid = invoice(cli_any, "Unpaid|1|10", pay=None)
    before = table_dump(cli_any.database_url)
    cases = [
        (("--invoice", "INV2026-999999", "--full"), 4, "error: no invoice 'INV2026-999999' (give its number or id)\n"),
        (("--invoice", draft["id"], "--full"), 5, f"error: Cannot refund invoice {draft['id']} in 'draft' status\n"),
        (("--invoice", unpaid["number"], "--full"), 5, f"error: Cannot refund invoice {unpaid['number']}: nothing "
         "was paid on it ('issued' status, remaining 0.00 RON)\n"),
        (("--invoice", doc["number"], "--amount", "0"), 2, "error: amount: must be more than zero\n"),
        (("--invoice", doc["number"], "--amount", "0.001"), 2,
         "error: Amount '0.001' has more decimals than RON allows (2)\n"),
        (("--invoice", doc["number"], "--amount", "139.90"), 5, "error: Cannot refund 139.90 RON on invoice "
         "INV2026-000001: the maximum refundable is 139.89 RON (paid 139.89 RON, refunded or pending 0.00 RON)\n"),
    ]
    for args, code, message in cases:
        r = cli_any("refunds", "create", *args, "--reason", "x")
        assert (r.exit_code, r.stdout, r.stderr) == (code, "", message)
    assert table_dump(cli_any.database_url) == before
    r = cli_any("refunds", "create", "--invoice", doc["number"], "--amount", "50", "--reason", "Part", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["credit_note"]["vat_breakdown"] == [
        {"vat_code": "S", "vat_rate": "19", "base_cents": -3574, "vat_cents": -679},
        {"vat_code": "S", "vat_rate": "9", "base_cents": -357, "vat_cents": -32},
        {"vat_code": "E", "vat_rate": "0", "base_cents": -358, "vat_cents": 0},
    ]
    full = cli_any("refunds", "create", "--invoice", doc["number"], "--full", "--reason", "Rest", "-o", "json").json()
    assert (full["amount_cents"], full["invoice_status"], full["credit_note_number"]) == (
        8989, "refunded", "CN2026-000002")
    done = cli_any("refunds", "create", "--invoice", doc["number"], "--amount", "1", "--reason", "More")
    assert (done.exit_code, done.stderr) == (
        5, "error: Invoice INV2026-000001 is already fully refunded: remaining 0.00 RON\n")
