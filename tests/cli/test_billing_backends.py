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


def test_amounts_have_a_documented_maximum_and_bad_lines_change_nothing(cli_any):
    from tests.conftest import table_dump

    cli = cli_any
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    assert cli("invoices", "create", "--customer", "1", "--line", "A|1|10").exit_code == 0
    before = table_dump(cli.database_url)
    cases = [
        (("Desc|99999999999999|99999999999999",), "error: Invalid quantity 99999999999999: at most 1000000000 per "
         "line\n"),
        (("Desc|1|9999999999999999999",), "error: line 'Desc': unit price 9999999999999999999.00 RON is more than "
         "the maximum of 1000000000.00 RON (billing.max_line_amount)\n"),
        (("Desc|1000|999999999.99",), "error: line 'Desc': 1000 × 999999999.99 RON is more than the maximum of "
         "1000000000.00 RON per line (billing.max_line_amount)\n"),
        # 120,999,999,999,998.79 RON issued before; now no line of it gets in, nor a document above the maximum.
        (("Big|999999999|999999999.99", "Big|1|999999999.99"), "error: line 'Big': 999999999 × 999999999.99 RON "
         "is more than the maximum of 1000000000.00 RON per line (billing.max_line_amount)\n"),
        (("Half|1|500000000", "Half|1|500000000"), "error: the invoice would total 1210000000.00 RON, more than the "
         "maximum of 1000000000.00 RON per document (billing.max_document_amount)\n"),
        (("Refund|-1|10",), "error: Invalid quantity -1: quantities on invoices are positive (a correction is a "
         "credit note: invoices cancel or refunds create)\n"),
        (("Free|1|0",), "error: the invoice would total 0.00 RON: it must charge something (remove the free lines "
         "or add a charged one)\n"),
    ]
    for lines, message in cases:
        r = cli("invoices", "create", "--customer", "1", *[a for line in lines for a in ("--line", line)])
        assert (r.exit_code, r.stdout, r.stderr) == (2, "", message), lines
    for line, message in (("Big|1|2000000000", cases[1][1].replace("Desc", "Big").replace(
            "9999999999999999999.00", "2000000000.00")), ("Refund|-1|10", cases[5][1])):
        r = cli("invoices", "add-line", "1", line)
        assert (r.exit_code, r.stderr) == (2, message)
    r = cli("proformas", "create", "--customer", "1", "--line", "Free|2|0")
    assert (r.exit_code, r.stderr) == (2, "error: the proforma would total 0.00 RON: it must charge something "
                                          "(remove the free lines or add a charged one)\n")
    assert table_dump(cli.database_url) == before
    # A free line beside a charged one is fine, and the maximum is a setting.
    assert cli("invoices", "add-line", "1", "Free domain|1|0").exit_code == 0
    big = cli("invoices", "create", "--customer", "1", "--line", "Plant|1|2000000000", "-o", "json",
              env={"PRAHO_BILLING_MAX_LINE_AMOUNT": "3000000000", "PRAHO_BILLING_MAX_DOCUMENT_AMOUNT": "3000000000"})
    assert (big.exit_code, big.json()["total_cents"]) == (0, 242000000000)


def test_credit_notes_are_listed_and_shown_by_number_and_a_wrong_kind_is_named(cli_any):
    cli = cli_any
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100")
    assert cli("invoices", "issue", "1").exit_code == 0
    assert cli("invoices", "cancel", "INV2026-000001", "--reason", "Wrong customer", "--yes").exit_code == 0
    row = {"id": "2", "kind": "credit_note", "number": "CN2026-000001", "series": "CN", "status": "issued",
           "customer_id": "1", "customer_name": "Acme SRL", "currency": "RON", "tax_point": "2026-11-26",
           "issue_date": "2026-11-26", "due_date": "2026-11-26", "net_cents": -10000, "vat_cents": -2100,
           "total_cents": -12100, "paid_cents": 0, "balance_cents": 0, "vat_regime": "domestic",
           "vat_ron_cents": None}
    assert cli("credit-notes", "list", "-o", "jsonl").jsonl() == [row]
    assert cli("credit-notes", "list", "-o", "json").json() == [row]
    # tsv takes the engine's path on every ledger
    assert cli("credit-notes", "list", "--fields", "number,total_cents").stdout == "CN2026-000001\t-12100\n"
    assert cli("invoices", "list", "--fields", "number").stdout == "INV2026-000001\n"
    shown = cli("credit-notes", "show", "CN2026-000001", "-o", "json").json()
    assert (shown["id"], shown["reason"], shown["related_documents"][0]["number"]) == (
        "2", "Wrong customer", "INV2026-000001")
    assert cli("credit-notes", "show", "2", "-o", "json").json()["number"] == "CN2026-000001"
    for args, message in [
        (("invoices", "show", "CN2026-000001"), "error: no invoice 'CN2026-000001': CN2026-000001 is a credit note "
         "(praho credit-notes show CN2026-000001)\n"),
        (("invoices", "show", "2"), "error: no invoice '2': document 2 is a credit note (praho credit-notes show "
         "2)\n"),
        (("credit-notes", "show", "INV2026-000001"), "error: no credit note 'INV2026-000001': INV2026-000001 is an "
         "invoice (praho invoices show INV2026-000001)\n"),
        (("proformas", "show", "9"), "error: no proforma '9' (give its number or id)\n"),
    ]:
        r = cli(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (4, "", message), args
    bad = cli("credit-notes", "list", "--status", "paid")
    assert (bad.exit_code, bad.stderr) == (2, "error: status: must be one of issued, not 'paid'\n")


def _two_series_numbering_alike(cli):
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    for code in ("X1", "X7"):
        added = cli("series", "add", code, "--kind", "invoice", "--template", "{number}", "--no-yearly-reset")
        assert added.exit_code == 0, added.stderr


def test_two_series_cannot_issue_the_same_number(cli_any):
    """Numbers are unique across every series of a kind: X7 refuses the "1" X1 issued (exit 5,
    naming X1) and the ledger is unchanged."""
    from tests.conftest import table_dump

    cli = cli_any
    _two_series_numbering_alike(cli)
    cli("invoices", "create", "--customer", "1", "--series", "X1", "--line", "A|1|10")
    assert cli("invoices", "issue", "1", "-o", "json").json()["number"] == "1"
    cli("invoices", "create", "--customer", "1", "--series", "X7", "--line", "B|1|10")
    before = table_dump(cli.database_url)
    refused = cli("invoices", "issue", "2")
    assert refused.exit_code == 5
    assert refused.stderr == ("error: series X7: number 1 is already used by series X1: numbers must be unique "
                              "across the series of a kind (give the series' templates different prefixes)\n")
    assert table_dump(cli.database_url) == before
    audit = cli("invoices", "series-audit", "-o", "json", "--fields", "series,duplicates,ok")
    assert audit.exit_code == 0, audit.stderr
    assert audit.json() == [{"series": "X1", "duplicates": [], "ok": True}]


def test_series_audit_reports_a_number_issued_by_two_series(cli_any):
    """A ledger that already holds one number in two series (written before the index, or behind
    praho's back): series-audit marks it a duplicate in both and exits 7."""
    from sqlalchemy import create_engine, text

    cli = cli_any
    _two_series_numbering_alike(cli)
    for series in ("X1", "X7"):
        cli("invoices", "create", "--customer", "1", "--series", series, "--line", "A|1|10")
    cli("invoices", "issue", "1")
    with create_engine(cli.database_url).begin() as conn:  # X7's counter already past 1
        conn.execute(text("INSERT INTO series_counters (series_id, year, last_number) "
                          "SELECT id, 0, 1 FROM document_series WHERE code = 'X7'"))
    assert cli("invoices", "issue", "2", "-o", "json").json()["number"] == "2"
    engine = create_engine(cli.database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX uq_billing_documents_kind_number_text"))
        conn.execute(text("UPDATE billing_documents SET number = 1, number_text = '1' WHERE id = 2"))
        conn.execute(text("UPDATE series_counters SET last_number = 1 WHERE series_id = "
                          "(SELECT id FROM document_series WHERE code = 'X7')"))
    engine.dispose()
    audit = cli("invoices", "series-audit", "-o", "json", "--fields", "series,duplicates,ok")
    assert audit.exit_code == 7
    assert audit.json() == [{"series": "X1", "duplicates": [1], "ok": False},
                            {"series": "X7", "duplicates": [1], "ok": False}]
    assert audit.stderr == ("error: gaps, duplicates or misdated documents in X1/0 (missing [], duplicates [1], "
                            "misdated [], counter 1), X7/0 (missing [], duplicates [1], misdated [], counter 1)\n")
