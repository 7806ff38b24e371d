"""Payments on both ledgers (SQLite and PostgreSQL): every payment row carries its document's open
balance as the invoice list computes it (ledger.document_list.BALANCE, one rule for both)."""

from __future__ import annotations

from tests.cli.test_refunds import ACME, invoice


def test_payment_rows_carry_the_balance_of_the_invoice_list(cli_any):
    assert cli_any(*ACME).exit_code == 0
    first = invoice(cli_any, "Hosting|1|100", pay="21")  # 121.00, 21.00 paid
    second = invoice(cli_any, "Domain|1|10", pay="all")  # 12.10, paid
    assert cli_any("payments", "record", "--invoice", first["number"], "--amount", "50").exit_code == 0
    rows = cli_any("payments", "list", "-o", "json", "--fields", "id,document_number,balance_cents").json()
    assert rows == [
        {"id": "1", "document_number": first["number"], "balance_cents": 5000},
        {"id": "2", "document_number": second["number"], "balance_cents": 0},
        {"id": "3", "document_number": first["number"], "balance_cents": 5000},
    ]
    listed = {d["number"]: d["balance_cents"] for d in cli_any("invoices", "list", "-o", "json").json()}
    assert listed == {first["number"]: 5000, second["number"]: 0}
    only = cli_any("payments", "list", "--invoice", first["number"], "-o", "json", "--fields", "id").json()
    assert only == [{"id": "1"}, {"id": "3"}]
    shown = cli_any("payments", "show", "3", "-o", "json").json()
    assert (shown["balance_cents"], shown["document_status"]) == (5000, "partially_paid")
    over = cli_any("payments", "record", "--invoice", first["number"], "--amount", "50.01")
    assert (over.exit_code, over.stderr) == (5, f"error: invoice {first['number']}: payment of 50.01 RON exceeds "
                                                "the open balance 50.00 RON\n")
