"""series, tax and fx commands."""

from __future__ import annotations

from tests.conftest import table_dump


def test_init_creates_default_series_once(cli):
    first = cli("init", "-o", "json")
    assert first.exit_code == 0, first.stderr
    r = cli("series", "list", "-o", "json")
    assert r.json() == [
        {"code": "CN", "kind": "credit_note", "template": "{series}{year}-{number:06}", "yearly_reset": True,
         "start_number": 1, "is_default": True, "counters": [], "created_at": "2026-11-26T10:00:00Z"},
        {"code": "INV", "kind": "invoice", "template": "{series}{year}-{number:06}", "yearly_reset": True,
         "start_number": 1, "is_default": True, "counters": [], "created_at": "2026-11-26T10:00:00Z"},
        {"code": "PRO", "kind": "proforma", "template": "{series}{year}-{number:06}", "yearly_reset": True,
         "start_number": 1, "is_default": True, "counters": [], "created_at": "2026-11-26T10:00:00Z"},
    ]
    assert cli("init", "-o", "json").exit_code == 0
    assert len(cli("series", "list", "-o", "json").json()) == 3


def test_series_add_show_and_numbering_from_start(cli):
    r = cli("series", "add", "RO", "--kind", "invoice", "--template", "{series}-{number:04}", "--no-yearly-reset",
            "--start", "500", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"code": "RO", "kind": "invoice", "template": "{series}-{number:04}", "yearly_reset": False,
                        "start_number": 500, "is_default": False, "counters": [],
                        "created_at": "2026-11-26T10:00:00Z"}
    assert r.stderr == "✓ Added invoice series RO\n"
    cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro")
    cli("invoices", "create", "--customer", "1", "--series", "RO", "--line", "A|1|1")
    issued = cli("invoices", "issue", "1", "-o", "json").json()
    assert (issued["number"], issued["fiscal_year"]) == ("RO-0500", 0)
    shown = cli("series", "show", "RO", "-o", "json", "--fields", "code,counters")
    assert shown.json() == {"code": "RO", "counters": [{"year": 0, "last_number": 500}]}


def test_series_errors(cli):
    cli("series", "add", "X", "--kind", "invoice")
    dup = cli("series", "add", "X", "--kind", "invoice")
    assert (dup.exit_code, dup.stderr) == (5, "error: series X already exists\n")
    bad = cli("series", "add", "Y", "--kind", "invoice", "--template", "{series}{number}")
    assert (bad.exit_code, bad.stderr) == (
        2, "error: Invalid number template '{series}{number}': a yearly series must contain {year}\n")
    kind = cli("series", "add", "Z", "--kind", "receipt")
    assert kind.exit_code == 2 and "kind: must be one of invoice, proforma, credit_note" in kind.stderr
    assert cli("series", "show", "NOPE").exit_code == 4
    cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro")
    cli("series", "add", "P", "--kind", "proforma")
    wrong = cli("invoices", "create", "--customer", "1", "--series", "P", "--line", "A|1|1")
    assert (wrong.exit_code, wrong.stderr) == (2, "error: series P numbers proforma documents, not invoice\n")


def test_tax_rates_on_a_date(cli):
    r = cli("tax", "rates", "--country", "ro", "--on", "2025-08-01", "-o", "json")
    assert r.json() == [
        {"country": "RO", "category": "reduced", "rate": "11", "valid_from": "2025-08-01", "valid_to": None},
        {"country": "RO", "category": "reduced2", "rate": "11", "valid_from": "2025-08-01", "valid_to": None},
        {"country": "RO", "category": "standard", "rate": "21", "valid_from": "2025-08-01", "valid_to": None},
    ]
    july = cli("tax", "rates", "--country", "RO", "--on", "2025-07-31", "-o", "jsonl", "--fields", "category,rate")
    assert july.jsonl() == [{"category": "reduced", "rate": "9"}, {"category": "reduced2", "rate": "5"},
                            {"category": "standard", "rate": "19"}]
    everywhere = cli("tax", "rates", "--on", "2026-01-01", "-o", "json").json()
    assert len([r for r in everywhere if r["category"] == "standard"]) == 27


def test_tax_set_closes_the_open_rate_and_prices_by_it(cli):
    r = cli("tax", "set", "RO", "standard", "23", "--from", "2027-01-01", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"country": "RO", "category": "standard", "rate": "23", "valid_from": "2027-01-01",
                        "valid_to": None}
    assert r.stderr == "✓ RO standard VAT 23% from 2027-01-01\n"
    history = cli("tax", "rates", "--country", "RO", "-o", "jsonl", "--fields", "category,rate,valid_to")
    assert [row for row in history.jsonl() if row["category"] == "standard"] == [
        {"category": "standard", "rate": "19", "valid_to": "2025-07-31"},
        {"category": "standard", "rate": "21", "valid_to": "2026-12-31"},
        {"category": "standard", "rate": "23", "valid_to": None},
    ]
    overlap = cli("tax", "set", "RO", "standard", "20", "--from", "2026-06-01", "--until", "2026-06-30")
    assert overlap.exit_code == 5 and "overlaps 21% valid 2025-08-01..2026-12-31" in overlap.stderr
    zero = cli("tax", "set", "RO", "zero", "0", "--from", "2027-01-01")
    assert zero.exit_code == 2
    bad = cli("tax", "set", "RO", "standard", "121", "--from", "2027-01-01")
    assert (bad.exit_code, bad.stderr) == (2, "error: Invalid VAT rate '121': a percent 0-100, two decimals\n")
    cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro")
    cli("invoices", "create", "--customer", "1", "--tax-point", "2027-01-01", "--line", "A|1|100")
    assert cli("invoices", "issue", "1", "-o", "json").json()["vat_cents"] == 2300


def test_fx_set_list_and_conflict(cli):
    r = cli("fx", "set", "eur", "4,9750", "--date", "2025-08-01", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"currency": "EUR", "date": "2025-08-01", "rate": "4.9750", "source": "BNR",
                        "created_at": "2026-11-26T10:00:00Z"}
    cli("fx", "set", "EUR", "4.9800", "--date", "2025-08-04", "--source", "ECB")
    cli("fx", "set", "USD", "4.4", "--date", "2025-08-04")
    same = cli("fx", "set", "EUR", "4.9750", "--date", "2025-08-01")
    assert same.exit_code == 0
    before = table_dump(cli.database_url)
    other = cli("fx", "set", "EUR", "5.0000", "--date", "2025-08-01")
    assert (other.exit_code, other.stderr) == (5, "error: EUR already has rate 4.9750 (BNR) on 2025-08-01; to "
                                                  "correct it pass --replace --reason R\n")
    assert table_dump(cli.database_url) == before
    listed = cli("fx", "list", "--fields", "currency,date,rate,source")
    assert listed.stdout == ("EUR\t2025-08-04\t4.9800\tECB\nEUR\t2025-08-01\t4.9750\tBNR\n"
                             "USD\t2025-08-04\t4.4\tBNR\n")
    assert cli("fx", "list", "--currency", "usd", "-o", "json", "--fields", "rate").json() == [{"rate": "4.4"}]
    for args, code in ((("RON", "1", "--date", "2025-01-01"), 2), (("EUR", "-1", "--date", "2025-01-01"), 2),
                       (("XYZ", "1", "--date", "2025-01-01"), 2), (("EUR", "1", "--date", "2025-13-01"), 2)):
        assert cli("fx", "set", *args).exit_code == code, args


def test_fx_rates_are_corrected_with_a_reason_until_a_document_froze_them(cli):
    cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290")
    assert cli("fx", "set", "EUR", "4,97", "--date", "2026-11-20", "-o", "json").json()["rate"] == "4.97"
    assert cli("fx", "set", "USD", "4.40", "--date", "2026-11-20").exit_code == 0
    before = table_dump(cli.database_url)
    for args, code, message in [
        (("EUR", "4.98", "--date", "2026-11-27"), 2, "error: --date 2026-11-27 is in the future (today is "
         "2026-11-26): a rate is recorded for a day it was published\n"),
        (("EUR", "4.98", "--date", "2026-11-20", "--replace"), 2,
         "error: --replace needs --reason: say why the rate is corrected\n"),
        (("EUR", "4.98", "--date", "2026-11-20", "--reason", "typo"), 2, "error: --reason goes with --replace\n"),
    ]:
        r = cli("fx", "set", *args)
        assert (r.exit_code, r.stdout, r.stderr) == (code, "", message), args
    assert table_dump(cli.database_url) == before
    fixed = cli("fx", "set", "EUR", "4,9771", "--date", "2026-11-20", "--replace", "--reason", "Typo: BNR said 4.9771",
                "-o", "json")
    assert (fixed.exit_code, fixed.json()["rate"]) == (0, "4.9771")
    event = cli("audit", "list", "--action", "fx_rate.replace", "-o", "json").json()
    assert [(e["before"]["rate"], e["after"]["rate"], e["after"]["reason"]) for e in event] == [
        ("4.97", "4.9771", "Typo: BNR said 4.9771")]
    draft = cli("invoices", "create", "--customer", "1", "--currency", "EUR", "--tax-point", "2026-11-21",
                "--line", "VPS|1|100", "-o", "json").json()
    assert cli("invoices", "issue", draft["id"], "-o", "json").json()["fx_rate"] == "4.9771"
    before = table_dump(cli.database_url)
    frozen = cli("fx", "set", "EUR", "4.9", "--date", "2026-11-20", "--replace", "--reason", "again")
    assert (frozen.exit_code, frozen.stderr) == (5, "error: EUR 4.9771 (BNR) of 2026-11-20 cannot be replaced: "
                                                    "INV2026-000001 froze it (correct those with credit notes)\n")
    assert table_dump(cli.database_url) == before
