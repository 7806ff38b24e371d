"""The billing flow on each backend (SQLite and PostgreSQL): SQL that differs between them."""

from __future__ import annotations

from datetime import UTC, datetime


def test_invoice_flow_on_each_backend(cli_any):
    cli = cli_any
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    created = cli("invoices", "create", "--customer", "1", "--tax-point", "2025-07-31", "--due-days", "3",
                  "--line", "Hosting|1|100", "--line", "Book|3|3.33|reduced", "-o", "json")
    assert created.exit_code == 0, created.stderr
    issued = cli("invoices", "issue", "1", "-o", "json")
    assert issued.exit_code == 0, issued.stderr
    assert (issued.json()["number"], issued.json()["total_cents"]) == ("INV2026-000001", 12989)
    listed = cli("invoices", "list", "-o", "jsonl")
    assert listed.jsonl() == [{
        "id": "1", "kind": "invoice", "number": "INV2026-000001", "series": "INV", "status": "issued",
        "customer_id": "1", "customer_name": "Acme SRL", "currency": "RON", "tax_point": "2025-07-31",
        "issue_date": "2026-11-26", "due_date": "2026-11-29", "net_cents": 10999, "vat_cents": 1990,
        "total_cents": 12989, "paid_cents": 0, "balance_cents": 12989, "vat_regime": "domestic",
        "vat_ron_cents": None,
    }]
    assert cli("payments", "record", "--invoice", "INV2026-000001", "--amount", "29.89").exit_code == 0
    cli.clock = lambda: datetime(2026, 12, 1, tzinfo=UTC)
    sweep = cli("invoices", "mark-overdue", "-o", "json")
    assert sweep.json() == {"as_of": "2026-12-01", "marked": 1, "already_overdue": 0, "invoices": ["INV2026-000001"]}
    assert cli("invoices", "list", "--overdue", "-o", "json", "--fields", "number,status,balance_cents").json() == [
        {"number": "INV2026-000001", "status": "overdue", "balance_cents": 10000}]
    cli("invoices", "create", "--customer", "1", "--line", "X|1|10")
    cli("invoices", "issue", "2")
    note = cli("invoices", "cancel", "INV2026-000002", "--yes", "-o", "json", "--fields", "number,total_cents")
    assert note.json() == {"number": "CN2026-000001", "total_cents": -1210}
    audit = cli("invoices", "series-audit", "-o", "json", "--fields", "series,year,issued,ok")
    assert audit.json() == [{"series": "CN", "year": 2026, "issued": 1, "ok": True},
                            {"series": "INV", "year": 2026, "issued": 2, "ok": True}]
    assert cli("tax", "rates", "--country", "RO", "--on", "2025-08-01", "-o", "json", "--fields", "rate").json() == [
        {"rate": "11"}, {"rate": "11"}, {"rate": "21"}]
    assert cli("audit", "verify").exit_code == 0


def test_a_deleted_drafts_id_is_never_handed_out_again(cli_any):
    cli = cli_any
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    assert cli("invoices", "create", "--customer", "1", "--line", "A|1|10", "-o", "json").json()["id"] == "1"
    assert cli("invoices", "create", "--customer", "1", "--line", "B|1|20", "-o", "json").json()["id"] == "2"
    assert cli("invoices", "delete", "2", "--yes").exit_code == 0
    again = cli("invoices", "create", "--customer", "1", "--line", "C|1|30", "-o", "json").json()
    assert (again["id"], again["lines"][0]["description"]) == ("3", "C")
    trail = cli("audit", "list", "--entity", "invoice:2", "-o", "json").json()
    assert [e["action"] for e in trail] == ["invoice.create", "invoice.delete"]
    assert cli("db", "check").exit_code == 0
