from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import table_dump

ACME = ["customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro", "--cui", "RO18547290"]
BETA_DE = ["customers", "add", "--name", "Beta GmbH", "--email", "b@beta.de", "--country", "DE",
           "--vat-number", "DE136695976", "--currency", "EUR"]
ANNA_FR = ["customers", "add", "--name", "Anna Martin", "--email", "anna@example.fr", "--country", "FR",
           "--kind", "individual", "--currency", "EUR"]
JOE_US = ["customers", "add", "--name", "Joe Inc", "--email", "joe@example.com", "--country", "US",
          "--currency", "USD"]


@pytest.fixture
def acme(cli):
    assert cli(*ACME).exit_code == 0
    return cli


def issued(cli, *args: str) -> dict:
    created = cli("invoices", "create", *args, "-o", "json")
    assert created.exit_code == 0, created.stderr
    r = cli("invoices", "issue", created.json()["id"], "-o", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_create_and_issue_exact_json(acme):
    r = acme("invoices", "create", "--customer", "billing@acme.ro", "--tax-point", "2026-11-20",
             "--due-days", "30", "--line", "Hosting Pro|12|49.00", "--line", "Backup|1|10,00|standard", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "✓ Created draft invoice 1 (723.58 RON)\n"
    draft = r.json()
    assert (draft["number"], draft["status"], draft["balance_cents"]) == (None, "draft", 0)
    r = acme("invoices", "issue", "1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "✓ Issued INV2026-000001\n"
    assert r.json() == {
        "id": "1", "kind": "invoice", "number": "INV2026-000001", "series": "INV", "status": "issued",
        "customer_id": "1", "customer_name": "Acme SRL", "currency": "RON", "tax_point": "2026-11-20",
        "issue_date": "2026-11-26", "due_date": "2026-12-26", "net_cents": 59800, "vat_cents": 12558,
        "total_cents": 72358, "paid_cents": 0, "balance_cents": 72358, "vat_regime": "domestic",
        "vat_ron_cents": None, "fiscal_year": 2026, "due_days": 30, "vat_mention": None, "fx_rate": None,
        "fx_date": None, "fx_source": None, "reason": None,
        "seller": {"address": "Str. Testului 1, Cluj-Napoca", "bank": "", "city": "", "country": "RO", "county": "",
                   "email": "", "iban": "", "name": "Praho Test SRL", "postal_code": "", "reg_com": "",
                   "share_capital": "", "vat_id": "RO18547290", "vat_on_collection": False, "vat_payer": True},
        "customer": {"address": None, "city": None, "cnp": None, "country": "RO", "county": None, "cui": "18547290",
                     "email": "billing@acme.ro", "id": "1", "kind": "company", "name": "Acme SRL",
                     "postal_code": None, "reg_com": None, "vat_number": None, "vat_payer": True},
        "lines": [
            {"position": 1, "description": "Hosting Pro", "quantity": "12", "unit_price_cents": 4900,
             "category": "standard", "vat_code": "S", "vat_rate": "21", "net_cents": 58800},
            {"position": 2, "description": "Backup", "quantity": "1", "unit_price_cents": 1000,
             "category": "standard", "vat_code": "S", "vat_rate": "21", "net_cents": 1000},
        ],
        "vat_breakdown": [{"vat_code": "S", "vat_rate": "21", "base_cents": 59800, "vat_cents": 12558}],
        "payments": [], "related_documents": [],
        "issued_at": "2026-11-26T10:00:00Z", "cancelled_at": None,
        "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z",
    }


def test_vat_by_tax_point_31_july_vs_1_august(cli_any):
    # On both backends: PostgreSQL reads the rates with the draft (the second issue onwards).
    acme = cli_any
    assert acme(*ACME).exit_code == 0
    issued(acme, "--customer", "1", "--line", "First of the year|1|1")
    july = issued(acme, "--customer", "1", "--tax-point", "2025-07-31", "--line", "Hosting|1|100")
    august = issued(acme, "--customer", "1", "--tax-point", "2025-08-01", "--line", "Hosting|1|100")
    assert (july["vat_cents"], july["total_cents"], july["lines"][0]["vat_rate"]) == (1900, 11900, "19")
    assert (august["vat_cents"], august["total_cents"], august["lines"][0]["vat_rate"]) == (2100, 12100, "21")
    # Both issued today: the issue date does not choose the rate, the tax point does.
    assert july["issue_date"] == august["issue_date"] == "2026-11-26"


def test_mixed_rates_round_per_line_and_vat_per_category(acme):
    doc = issued(acme, "--customer", "1", "--tax-point", "2025-07-15", "--line", "A|0.5|0.67",
                 "--line", "B|0.5|0.67", "--line", "C|0.5|0.67", "--line", "Book|3|3.33|reduced",
                 "--line", "Flat|1|19.99|reduced2", "--line", "Course|1|10|exempt")
    assert [line["net_cents"] for line in doc["lines"]] == [34, 34, 34, 999, 1999, 1000]
    assert doc["vat_breakdown"] == [
        {"vat_code": "S", "vat_rate": "19", "base_cents": 102, "vat_cents": 19},
        {"vat_code": "S", "vat_rate": "9", "base_cents": 999, "vat_cents": 90},
        {"vat_code": "S", "vat_rate": "5", "base_cents": 1999, "vat_cents": 100},
        {"vat_code": "E", "vat_rate": "0", "base_cents": 1000, "vat_cents": 0},
    ]
    # BR-CO-10 and BR-CO-17 on the issued document
    assert doc["net_cents"] == sum(line["net_cents"] for line in doc["lines"]) == 4100
    assert doc["vat_cents"] == sum(b["vat_cents"] for b in doc["vat_breakdown"]) == 209
    assert doc["total_cents"] == 4309


def test_reverse_charge_oss_and_out_of_scope(cli_any):
    cli = cli_any  # both backends: on PostgreSQL the rates of the customer's country come with the draft
    for customer in (BETA_DE, ANNA_FR, JOE_US):
        assert cli(*customer).exit_code == 0
    cli("fx", "set", "EUR", "4.9750", "--date", "2026-11-20")
    cli("fx", "set", "USD", "4.4000", "--date", "2026-11-25")
    de = issued(cli, "--customer", "b@beta.de", "--line", "Hosting|1|100")
    assert (de["vat_regime"], de["vat_cents"], de["vat_breakdown"][0]["vat_code"]) == ("reverse_charge", 0, "AE")
    assert de["vat_mention"] == ("Taxare inversă / Reverse charge: VAT to be accounted for by the recipient "
                                 "(art. 196 Directive 2006/112/EC)")
    fr = issued(cli, "--customer", "anna@example.fr", "--line", "Hosting|1|100")
    assert (fr["vat_regime"], fr["vat_cents"], fr["lines"][0]["vat_rate"]) == ("oss", 2000, "20")
    assert (fr["fx_rate"], fr["fx_date"], fr["fx_source"], fr["vat_ron_cents"]) == ("4.9750", "2026-11-20", "BNR", 9950)
    us = issued(cli, "--customer", "joe@example.com", "--line", "Hosting|1|100")
    assert (us["vat_regime"], us["vat_cents"], us["vat_breakdown"][0]["vat_code"]) == ("out_of_scope", 0, "O")
    assert us["vat_mention"].startswith("Neimpozabil în România / Outside the scope of Romanian VAT")


def test_eur_invoice_carries_ron_vat_total(acme):
    acme("fx", "set", "EUR", "4.9700", "--date", "2025-07-30")
    acme("fx", "set", "EUR", "4.9750", "--date", "2025-08-01")
    doc = issued(acme, "--customer", "1", "--currency", "EUR", "--tax-point", "2025-08-04", "--line", "VPS|1|100")
    assert (doc["currency"], doc["vat_cents"], doc["total_cents"]) == ("EUR", 2100, 12100)
    # latest rate on or before the tax point: 21.00 EUR × 4.9750 = 104.475 → 104.48 RON
    assert (doc["fx_rate"], doc["fx_date"], doc["vat_ron_cents"]) == ("4.9750", "2025-08-01", 10448)


def test_foreign_invoice_without_rate_is_refused_and_changes_nothing(acme):
    draft = acme("invoices", "create", "--customer", "1", "--currency", "EUR", "--line", "VPS|1|100", "-o", "json")
    before = table_dump(acme.database_url)
    r = acme("invoices", "issue", draft.json()["id"])
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == ("error: No EUR/RON exchange rate on or before 2026-11-26; record one with "
                        "`praho fx set EUR RATE --date 2026-11-26`\n")
    assert table_dump(acme.database_url) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Hosting|1|10.005", "error: Amount '10.005' has more decimals than RON allows (2)\n"),
        ("Hosting|1", 'error: invalid line \'Hosting|1\': expected "description|quantity|unit price[|category]"\n'),
        ("Hosting|0|10", "error: Invalid quantity 0: non-zero, at most 4 decimals\n"),
        ("Hosting|1|10|luxury", "error: Unknown VAT category 'luxury' (valid: standard, reduced, reduced2, zero, "
                                "exempt)\n"),
        ("Hosting|1|-5", "error: Amount '-5' must not be negative\n"),
    ],
)
def test_bad_lines_exit_2(acme, line, message):
    r = acme("invoices", "create", "--customer", "1", "--line", line)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", message)


def test_drafts_edit_and_delete_but_issued_documents_never(acme):
    acme("invoices", "create", "--customer", "1", "--line", "A|1|10")
    r = acme("invoices", "add-line", "1", "B|2|5", "-o", "json", "--fields", "net_cents,lines")
    assert r.json()["net_cents"] == 2000 and len(r.json()["lines"]) == 2
    r = acme("invoices", "remove-line", "1", "1", "-o", "json", "--fields", "net_cents")
    assert r.json() == {"net_cents": 1000}
    assert acme("invoices", "remove-line", "1", "5").exit_code == 4
    refused = acme("invoices", "delete", "1")
    assert (refused.exit_code, refused.stderr) == (3, "error: Delete draft invoice 1? — needs confirmation; "
                                                      "pass --yes to proceed\n")
    assert acme("invoices", "delete", "1", "--yes").exit_code == 0
    assert acme("invoices", "show", "1").exit_code == 4
    doc = issued(acme, "--customer", "1", "--line", "A|1|10")
    for args in (("delete", doc["number"], "--yes"), ("add-line", doc["number"], "X|1|1"),
                 ("remove-line", doc["number"], "1"), ("issue", doc["number"])):
        r = acme("invoices", *args)
        assert r.exit_code == 5, args
        assert r.stderr == (f"error: invoice {doc['number']} is issued: only drafts can be changed (issued "
                            "documents are corrected by credit notes)\n")


def test_issue_idempotency_key_replays_and_conflicts(acme):
    acme("invoices", "create", "--customer", "1", "--line", "A|1|10")
    acme("invoices", "create", "--customer", "1", "--line", "B|1|10")
    first = acme("invoices", "issue", "1", "--idempotency-key", "k-1", "-o", "json")
    again = acme("invoices", "issue", "1", "--idempotency-key", "k-1", "-o", "json")
    assert first.exit_code == again.exit_code == 0
    assert first.json() == again.json()
    other = acme("invoices", "issue", "2", "--idempotency-key", "k-1")
    assert other.exit_code == 5 and "with different parameters" in other.stderr
    audit = acme("audit", "list", "--entity", "invoice:1", "-o", "json").json()
    assert [e["action"] for e in audit] == ["invoice.create", "invoice.issue"]


def test_cancel_issues_storno_credit_note(acme):
    doc = issued(acme, "--customer", "1", "--tax-point", "2025-07-31", "--line", "A|0.5|0.67", "--line", "B|3|3.33")
    r = acme("invoices", "cancel", doc["number"], "--reason", "Wrong customer", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "✓ Cancelled INV2026-000001 with credit note CN2026-000001\n"
    note = r.json()
    assert (note["kind"], note["number"], note["status"], note["reason"]) == (
        "credit_note", "CN2026-000001", "issued", "Wrong customer")
    assert (note["net_cents"], note["vat_cents"], note["total_cents"]) == (
        -doc["net_cents"], -doc["vat_cents"], -doc["total_cents"])
    assert note["tax_point"] == "2025-07-31" and note["lines"][0]["vat_rate"] == "19"
    assert note["related_documents"] == [{"relation": "corrects", "id": "1", "kind": "invoice",
                                          "number": "INV2026-000001", "issue_date": "2026-11-26",
                                          "total_cents": doc["total_cents"]}]
    shown = acme("invoices", "show", "INV2026-000001", "-o", "json").json()
    assert (shown["status"], shown["balance_cents"], shown["cancelled_at"]) == (
        "cancelled", 0, "2026-11-26T10:00:00Z")
    assert shown["related_documents"][0]["relation"] == "corrected_by"
    again = acme("invoices", "cancel", doc["number"], "--yes")
    assert (again.exit_code, again.stderr) == (5, "error: invoice INV2026-000001 is already cancelled\n")
    pay = acme("payments", "record", "--invoice", doc["number"], "--amount", "1")
    assert (pay.exit_code, pay.stderr) == (
        5, "error: invoice INV2026-000001 is cancelled: it takes no payments (open balance 0.00 RON)\n")


def test_paid_invoice_cannot_be_cancelled(acme):
    doc = issued(acme, "--customer", "1", "--line", "A|1|10")
    acme("payments", "record", "--invoice", doc["number"], "--amount", "1")
    r = acme("invoices", "cancel", doc["number"], "--yes")
    assert (r.exit_code, r.stderr) == (
        5, "error: invoice INV2026-000001 has payments of 1.00 RON: refund them instead of cancelling\n")


def test_mark_overdue_batch_reruns_do_nothing_twice(acme):
    a = issued(acme, "--customer", "1", "--due-days", "5", "--line", "A|1|10")
    b = issued(acme, "--customer", "1", "--due-days", "5", "--line", "B|1|10")
    issued(acme, "--customer", "1", "--due-days", "60", "--line", "C|1|10")
    acme("payments", "record", "--invoice", b["number"], "--amount", "5")
    acme.clock = lambda: datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    r = acme("invoices", "mark-overdue", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"as_of": "2026-12-02", "marked": 2, "already_overdue": 0,
                        "invoices": ["INV2026-000001", "INV2026-000002"]}
    assert r.stderr == "✓ Marked 2 invoice(s) overdue as of 2026-12-02\n"
    rerun = acme("invoices", "mark-overdue", "-o", "json")
    assert rerun.json() == {"as_of": "2026-12-02", "marked": 0, "already_overdue": 2, "invoices": []}
    listed = acme("invoices", "list", "--status", "overdue", "-o", "jsonl", "--fields", "number,balance_cents")
    assert listed.jsonl() == [{"number": "INV2026-000001", "balance_cents": 1210},
                              {"number": "INV2026-000002", "balance_cents": 710}]
    partial = acme("payments", "record", "--invoice", a["number"], "--amount", "2", "-o", "json")
    assert partial.json()["document_status"] == "overdue"
    paid = acme("payments", "record", "--invoice", a["number"], "--amount", "10.10", "-o", "json")
    assert (paid.json()["document_status"], paid.json()["balance_cents"]) == ("paid", 0)


def test_list_filters_and_streams(acme):
    acme(*BETA_DE)
    acme("fx", "set", "EUR", "5", "--date", "2026-01-01")
    issued(acme, "--customer", "1", "--due-days", "5", "--line", "A|1|10")
    issued(acme, "--customer", "2", "--line", "B|1|10")
    acme("invoices", "create", "--customer", "1", "--line", "Draft|1|1")
    r = acme("invoices", "list", "--fields", "id,number,status,currency,total_cents")
    assert r.stdout == ("1\tINV2026-000001\tissued\tRON\t1210\n2\tINV2026-000002\tissued\tEUR\t1000\n"
                        "3\t\tdraft\tRON\t121\n")
    assert acme("invoices", "list", "--currency", "eur", "-o", "json", "--fields", "id").json() == [{"id": "2"}]
    assert acme("invoices", "list", "--customer", "b@beta.de", "-o", "json", "--fields", "id").json() == [{"id": "2"}]
    assert acme("invoices", "list", "--status", "draft", "-o", "json", "--fields", "id").json() == [{"id": "3"}]
    assert acme("invoices", "list", "--due-to", "2026-12-01", "-o", "json", "--fields", "id").json() == [{"id": "1"}]
    assert acme("invoices", "list", "--issued-from", "2026-11-27", "-o", "json").json() == []
    acme.clock = lambda: datetime(2026, 12, 2, tzinfo=UTC)
    assert acme("invoices", "list", "--overdue", "-o", "json", "--fields", "id").json() == [{"id": "1"}]
    bad = acme("invoices", "list", "--status", "lost")
    assert bad.exit_code == 2 and "status: must be one of draft, issued" in bad.stderr
    tty = acme("invoices", "list", tty=True)
    assert tty.exit_code == 0 and "INV2026-000001" in tty.stdout and "\x1b[" in tty.stdout


def test_series_audit_finds_a_gap_and_exits_7(acme):
    for _ in range(3):
        issued(acme, "--customer", "1", "--line", "A|1|10")
    ok = acme("invoices", "series-audit", "--series", "INV", "-o", "json")
    assert ok.exit_code == 0
    assert ok.json() == [{"series": "INV", "year": 2026, "issued": 3, "first_number": 1, "last_number": 3,
                          "counter": 3, "missing": [], "duplicates": [], "out_of_order": [], "misdated": [], "ok": True}]
    engine = create_engine(acme.database_url)
    with engine.begin() as conn:  # tamper behind praho's back
        conn.execute(text("UPDATE billing_documents SET number = 7 WHERE number = 2"))
    engine.dispose()
    bad = acme("invoices", "series-audit", "--year", "2026", "-o", "json")
    assert bad.exit_code == 7
    assert [f for f in bad.json() if f["series"] == "INV"] == [
        {"series": "INV", "year": 2026, "issued": 3, "first_number": 1, "last_number": 7, "counter": 3,
         "missing": [2, 4, 5, 6], "duplicates": [], "out_of_order": [], "misdated": [], "ok": False}]
    assert bad.stderr == ("error: gaps, duplicates or misdated documents in INV/2026 (missing [2, 4, 5, 6], "
                          "duplicates [], misdated [], counter 3)\n")


def test_draft_without_tax_point_is_repriced_at_issue(acme):
    acme.clock = lambda: datetime(2025, 7, 31, 20, 0, tzinfo=UTC)
    draft = acme("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json").json()
    assert (draft["tax_point"], draft["lines"][0]["vat_rate"], draft["vat_cents"]) == (None, "19", 1900)
    acme.clock = lambda: datetime(2025, 8, 1, 8, 0, tzinfo=UTC)
    doc = acme("invoices", "issue", draft["id"], "-o", "json").json()
    assert (doc["tax_point"], doc["lines"][0]["vat_rate"], doc["vat_cents"]) == ("2025-08-01", "21", 2100)
    assert acme("invoices", "show", doc["number"], "-o", "json").json()["vat_breakdown"] == [
        {"vat_code": "S", "vat_rate": "21", "base_cents": 10000, "vat_cents": 2100}]


def test_seller_below_the_oss_threshold_charges_its_own_rate_to_eu_consumers(cli):
    assert cli(*ANNA_FR).exit_code == 0
    cli("fx", "set", "EUR", "4.9750", "--date", "2026-11-20")
    below = {"PRAHO_SELLER_OSS_REGISTERED": "false"}
    created = cli("invoices", "create", "--customer", "anna@example.fr", "--line", "Hosting|1|100", "-o", "json",
                  env=below)
    r = cli("invoices", "issue", created.json()["id"], "-o", "json", env=below)
    assert r.exit_code == 0, r.stderr
    invoice = r.json()
    # Romania's standard rate, not France's 20 %: the seller is not in OSS.
    assert (invoice["vat_regime"], invoice["vat_cents"], invoice["lines"][0]["vat_rate"]) == ("domestic", 2100, "21")


@pytest.mark.parametrize("missing", ["PRAHO_SELLER_NAME", "PRAHO_SELLER_VAT_ID", "PRAHO_SELLER_ADDRESS"])
def test_no_document_is_issued_without_the_sellers_identity(acme, missing):
    draft = acme("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json").json()
    issued(acme, "--customer", "1", "--line", "Paid|1|10")
    before = table_dump(acme.database_url)
    key = missing.removeprefix("PRAHO_").lower().replace("_", ".", 1)
    for args in (("invoices", "issue", draft["id"]), ("invoices", "cancel", "INV2026-000001", "--yes"),
                 ("refunds", "create", "--invoice", "INV2026-000001", "--full", "--reason", "x")):
        r = acme(*args, env={missing: ""})
        assert (r.exit_code, r.stdout) == (78, ""), (args, r.stderr)
        assert r.stderr == (f"error: {key} is not set: an invoice must name its seller; set it with "
                            f"`praho config set {key} ...` (or {missing})\n")
    assert table_dump(acme.database_url) == before
    assert acme("invoices", "issue", draft["id"]).exit_code == 0


@pytest.mark.parametrize(("env", "problem"), [
    ({"PRAHO_SELLER_VAT_ID": "RO123"}, "'RO123' is not a valid Romanian CUI/CIF (check digit)"),
    ({"PRAHO_SELLER_VAT_ID": "RO18547290", "PRAHO_SELLER_COUNTRY": "DE"},
     "'RO18547290' is not a valid DE VAT number (check digit)"),
])
def test_no_document_is_issued_with_an_invalid_seller_vat_id(acme, env, problem):
    draft = acme("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json").json()
    issued(acme, "--customer", "1", "--line", "Paid|1|10")
    before = table_dump(acme.database_url)
    for args in (("invoices", "issue", draft["id"]), ("invoices", "cancel", "INV2026-000001", "--yes"),
                 ("refunds", "create", "--invoice", "INV2026-000001", "--full", "--reason", "x")):
        r = acme(*args, env=env)
        assert (r.exit_code, r.stdout) == (78, ""), (args, r.stderr)
        assert r.stderr == (f"error: seller.vat_id: {problem}: an invoice must carry the seller's valid tax id; "
                            "set it with `praho config set seller.vat_id ...` (or PRAHO_SELLER_VAT_ID)\n")
    assert table_dump(acme.database_url) == before


def test_config_set_checks_the_sellers_vat_id(cli):
    r = cli("config", "set", "seller.vat_id", "RO123")
    # Bad input on the command line: exit 2, like an unknown key (docs/exit-codes.md)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", "error: seller.vat_id: 'RO123' is not a valid "
                                                        "Romanian CUI/CIF or EU VAT number (check digit)\n")
    assert not (cli.home / "config" / "praho" / "config.toml").exists()
    for good in ("RO18547290", "18547290", "DE136695976"):
        assert cli("config", "set", "seller.vat_id", good).exit_code == 0, good
