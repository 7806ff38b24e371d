"""praho efactura export|validate: every kind of document praho issues, through the UBL 2.1 XSD, praho's
CIUS-RO checks and ANAF's own schematron (artefacts 1.0.9 in tests/fixtures/efactura, or PRAHO_EFACTURA_ORACLE).

Under CI=true a missing oracle fails these tests (require_service); locally they skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_service, table_dump

REPO = Path(__file__).resolve().parents[2]


def _oracle() -> Path:
    """PRAHO_EFACTURA_ORACLE, else the copy of ANAF's artefacts in tests/fixtures/efactura."""
    if os.environ.get("PRAHO_EFACTURA_ORACLE"):
        return Path(os.environ["PRAHO_EFACTURA_ORACLE"])
    return REPO / "tests" / "fixtures" / "efactura"


ORACLE = _oracle()
RULES = ORACLE / "anaf-validation-1.0.9"
EXAMPLES = ORACLE / "examples"

SELLER = {"PRAHO_SELLER_ADDRESS": "Str. Testului 1", "PRAHO_SELLER_CITY": "Cluj-Napoca",
          "PRAHO_SELLER_POSTAL_CODE": "400001", "PRAHO_SELLER_COUNTY": "RO-CJ",
          "PRAHO_SELLER_REG_COM": "J12/1234/2020", "PRAHO_SELLER_IBAN": "RO49AAAA1B31007593840000",
          "PRAHO_SELLER_BANK": "Banca Test", "PRAHO_SELLER_SHARE_CAPITAL": "200 RON"}

ACME = ["customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro", "--cui", "RO18547290",
        "--address", "Str. Memorandumului 28", "--city", "Cluj-Napoca", "--county", "RO-CJ", "--postal-code", "400114"]
BETA_DE = ["customers", "add", "--name", "Beta GmbH", "--email", "b@beta.de", "--country", "DE",
           "--vat-number", "DE136695976", "--currency", "EUR", "--address", "Hauptstr. 1", "--city", "Berlin",
           "--postal-code", "10115"]
ANNA_FR = ["customers", "add", "--name", "Anna Martin", "--email", "anna@example.fr", "--country", "FR",
           "--kind", "individual", "--currency", "EUR", "--address", "1 rue de la Paix", "--city", "Paris"]
ION_B = ["customers", "add", "--name", "Ion Popescu", "--email", "ion@example.ro", "--kind", "individual",
         "--cnp", "1800101221144", "--address", "Bd. Unirii 1", "--city", "Sector 3", "--county", "RO-B"]
MICA = ["customers", "add", "--name", "Mica SRL", "--email", "mica@example.ro", "--cui", "18547290",
        "--address", "Str. Mica 2", "--city", "Iasi", "--county", "IS"]
MARIA = ["customers", "add", "--name", "Maria Ionescu", "--email", "maria@example.ro", "--kind", "individual",
         "--address", "Str. Lunga 3", "--city", "Brasov", "--county", "RO-BV"]
JOE_US = ["customers", "add", "--name", "Joe Inc", "--email", "joe@example.com", "--country", "US",
          "--currency", "USD", "--address", "1 Main St", "--city", "Springfield"]


@pytest.fixture
def billing(cli):
    cli.extra_env.update(SELLER)
    for add in (ACME, BETA_DE, ANNA_FR, ION_B, JOE_US, MICA, MARIA):
        r = cli(*add)
        assert r.exit_code == 0, r.stderr
    for cur in ("EUR", "USD"):
        assert cli("fx", "set", cur, "4.9750", "--date", "2026-11-20").exit_code == 0
    return cli


def issue(cli, customer: str, *lines: str, extra: tuple[str, ...] = ()) -> str:
    args = ["invoices", "create", "--customer", customer, *extra]
    for line in lines:
        args += ["--line", line]
    created = cli(*args, "-o", "json")
    assert created.exit_code == 0, created.stderr
    issued = cli("invoices", "issue", created.json()["id"], "-o", "json")
    assert issued.exit_code == 0, issued.stderr
    return issued.json()["number"]


def export(cli, ref: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{ref}.xml"
    r = cli("efactura", "export", ref, "--out", str(path))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == f"✓ Wrote {ref} to {path}\n"
    return path


def anaf_fatal(path: Path) -> list[str]:
    from praho_cli.services.billing.efactura import schematron, xml_input

    root = xml_input.parse(path.read_bytes(), path.name)
    assert xml_input.xsd_errors(root) == []
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "praho-tests" / "schematron"
    return [f"{f.rule}: {f.text}" for f in schematron.run(path.read_bytes(), RULES, cache)]


@pytest.fixture
def oracle():
    require_service(RULES.is_dir() and EXAMPLES.is_dir(), f"ANAF's e-Factura artefacts at {ORACLE}")
    try:
        import saxonche  # noqa: F401
    except ImportError:
        require_service(False, "saxonche (praho[efactura])")
    return RULES


def every_document(cli) -> dict[str, str]:
    docs = {
        "ron_domestic": issue(cli, "billing@acme.ro", "Hosting Pro|12|49.00", "Backup|1|10,00"),
        "eur_with_ron_vat": issue(cli, "billing@acme.ro", "Hosting EU|1|100.00", extra=("--currency", "EUR")),
        "reverse_charge": issue(cli, "b@beta.de", "Hosting|3|20.00"),
        "oss_consumer": issue(cli, "anna@example.fr", "Hosting|1|10.00"),
        "individual_cnp_bucharest": issue(cli, "ion@example.ro", "Hosting|1|30.00"),
        "out_of_scope": issue(cli, "joe@example.com", "Hosting|2|15.00"),
        "ro_company_not_vat_payer": issue(cli, "mica@example.ro", "Hosting|1|15.00"),
        "individual_without_cnp": issue(cli, "maria@example.ro", "Hosting|1|15.00"),
        "mixed_rate": issue(cli, "billing@acme.ro", "Hosting|1|100", "Book|3|33,30|reduced", "Free|1|5|zero",
                            "Course|1|50|exempt", "E-book|1|12.5|reduced2"),
        "tax_point_before_issue": issue(cli, "billing@acme.ro", "Hosting|1|10", extra=("--tax-point", "2026-11-20")),
        "two_hundred_lines": issue(cli, "billing@acme.ro", *[f"Domain {n}.ro|1|{n}.99" for n in range(200)]),
    }
    refunded = issue(cli, "billing@acme.ro", "Hosting|2|100")
    assert cli("payments", "record", "--invoice", refunded, "--amount", "242").exit_code == 0
    r = cli("refunds", "create", "--invoice", refunded, "--amount", "60.50", "--reason", "Downgrade", "-o", "json")
    assert r.exit_code == 0, r.stderr
    docs["refunded_invoice"] = refunded
    docs["partial_refund_credit_note"] = r.json()["credit_note"]["number"] if isinstance(
        r.json().get("credit_note"), dict) else r.json()["credit_note_number"]
    cancelled = issue(cli, "b@beta.de", "Hosting|1|99", extra=("--tax-point", "2026-11-20"))
    r = cli("invoices", "cancel", cancelled, "--reason", "Wrong customer", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    docs["cancelled_invoice"] = cancelled
    docs["cancelled_credit_note"] = r.json()["number"]
    return docs


def test_every_document_praho_issues_passes_anaf(billing, oracle, tmp_path):
    docs = every_document(billing)
    before = table_dump(billing.database_url)
    failures = {}
    for name, ref in docs.items():
        path = export(billing, ref, tmp_path)
        fatal = anaf_fatal(path)
        if fatal:
            failures[name] = fatal
        r = billing("efactura", "validate", str(path), "-o", "json")
        assert r.exit_code == 0, (name, r.stdout, r.stderr)
        assert r.json()["valid"] is True
    assert failures == {}
    assert table_dump(billing.database_url) == before  # exports are reads


def test_export_shapes(billing, tmp_path):
    from lxml import etree

    docs = every_document(billing)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}

    def xml(name):
        return etree.parse(str(export(billing, docs[name], tmp_path))).getroot()

    eur = xml("eur_with_ron_vat")
    assert eur.findtext("cbc:TaxCurrencyCode", namespaces=ns) == "RON"
    totals = [(t.findtext("cbc:TaxAmount", namespaces=ns), t.find("cbc:TaxAmount", ns).get("currencyID"))
              for t in eur.findall("cac:TaxTotal", ns)]
    assert totals == [("21.00", "EUR"), ("104.48", "RON")]
    rc = xml("reverse_charge")
    assert rc.xpath("//cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", namespaces=ns) == ["AE"]
    assert rc.xpath("//cac:TaxCategory/cbc:TaxExemptionReasonCode/text()", namespaces=ns) == ["VATEX-EU-AE"]
    ion = xml("individual_cnp_bucharest")
    buyer = ion.find("cac:AccountingCustomerParty/cac:Party", ns)
    assert buyer.findtext("cac:PostalAddress/cbc:CityName", namespaces=ns) == "SECTOR3"
    assert buyer.findtext("cac:PostalAddress/cbc:CountrySubentity", namespaces=ns) == "RO-B"
    assert buyer.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=ns) == "1800101221144"
    anna = xml("oss_consumer")
    assert anna.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",
                         namespaces=ns) == "0000000000000"
    assert anna.xpath("//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()", namespaces=ns) == ["20"]
    maria = xml("individual_without_cnp")
    assert maria.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",
                          namespaces=ns) == "0000000000000"
    cn = xml("cancelled_credit_note")
    assert etree.QName(cn).localname == "CreditNote"
    assert cn.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
                       namespaces=ns) == docs["cancelled_invoice"]
    assert cn.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns) == "99.00"
    assert cn.findtext("cbc:TaxPointDate", namespaces=ns) == "2026-11-20"
    assert xml("tax_point_before_issue").findtext("cbc:TaxPointDate", namespaces=ns) == "2026-11-20"
    assert xml("ron_domestic").findtext("cbc:TaxPointDate", namespaces=ns) is None
    mixed = xml("mixed_rate")
    assert sorted(mixed.xpath("//cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", namespaces=ns)) == [
        "E", "S", "S", "Z"]
    assert len(xml("two_hundred_lines").findall("cac:InvoiceLine", ns)) == 200


def test_export_to_stdout_is_the_file(billing, tmp_path):
    ref = issue(billing, "billing@acme.ro", "Hosting|1|10")
    r = billing("efactura", "export", ref)
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout.encode() == export(billing, ref, tmp_path).read_bytes()
    assert r.stdout.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<Invoice")


def test_export_refusals(billing, tmp_path):
    r = billing("efactura", "export", "INV2026-999999")
    assert (r.exit_code, r.stderr) == (4, "error: no invoice or credit note 'INV2026-999999' (give its number or ledger "
                                          "id)\n")
    draft = billing("invoices", "create", "--customer", "1", "--line", "X|1|1", "-o", "json").json()["id"]
    r = billing("efactura", "export", draft)
    assert (r.exit_code, r.stderr) == (5, f"error: invoice {draft} is a draft: only an issued document goes to "
                                          f"e-Factura (praho invoices issue {draft})\n")
    assert billing("customers", "add", "--name", "No Address SRL", "--email", "na@x.ro").exit_code == 0
    ref = issue(billing, "na@x.ro", "Hosting|1|10")
    r = billing("efactura", "export", ref)
    assert (r.exit_code, r.stderr) == (2, "error: customer 8 (No Address SRL) has no valid address: e-Factura requires "
                                          "it of the buyer; set it with `praho customers update 8 --address ...`\n")
    no_county = {"PRAHO_SELLER_COUNTY": ""}  # issued before the seller's county was configured
    draft = billing("invoices", "create", "--customer", "billing@acme.ro", "--line", "Hosting|1|10", "-o", "json")
    ok = billing("invoices", "issue", draft.json()["id"], "-o", "json", env=no_county).json()["number"]
    r = billing("efactura", "export", ok, env=no_county)
    assert (r.exit_code, r.stderr) == (2, "error: seller.county is not set: e-Factura requires it of the seller; set it "
                                          "with `praho config set seller.county ...`\n")
    assert billing("efactura", "export", ok).exit_code == 0  # once configured, the blank frozen field is filled


def test_missing_efactura_lists_the_customers_to_complete(billing):
    assert billing("customers", "add", "--name", "Old SRL", "--email", "old@x.ro", "--city", "Iasi").exit_code == 0
    r = billing("customers", "list", "--missing", "efactura", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [c["email"] for c in r.json()] == ["old@x.ro"]
    r = billing("customers", "list", "--missing", "pdf")
    assert (r.exit_code, r.stderr) == (2, "error: missing: the only check is efactura, not 'pdf'\n")


def test_county_and_bucharest_sector_are_validated(billing):
    before = table_dump(billing.database_url)
    r = billing("customers", "add", "--name", "X SRL", "--email", "x@x.ro", "--county", "RO-XX")
    assert (r.exit_code, r.stderr) == (2, "error: county: 'RO-XX' is not an ISO 3166-2:RO county code (e.g. RO-CJ, RO-B "
                                          "for Bucharest)\n")
    r = billing("customers", "add", "--name", "X SRL", "--email", "x@x.ro", "--county", "RO-B", "--city", "Bucuresti")
    assert (r.exit_code, r.stderr) == (2, "error: county: in Bucharest (RO-B) the city is the sector, SECTOR1 to SECTOR6, "
                                          "not 'Bucuresti'\n")
    r = billing("customers", "update", "ion@example.ro", "--city", "Otopeni")
    assert r.exit_code == 2
    assert table_dump(billing.database_url) == before
    r = billing("customers", "update", "billing@acme.ro", "--county", "cj", "-o", "json")
    assert r.exit_code == 0 and r.json()["county"] == "RO-CJ"


def test_seller_settings_are_checked_when_set(billing):
    r = billing("config", "set", "seller.iban", "RO49AAAA1B31007593840001")
    assert (r.exit_code, r.stderr) == (2, "error: seller.iban: 'RO49AAAA1B31007593840001' is not a valid IBAN "
                                          "(Invalid checksum digits)\n")
    r = billing("config", "set", "seller.county", "Cluj")
    assert (r.exit_code, r.stderr) == (2, "error: seller.county: 'Cluj' is not an ISO 3166-2:RO county code as "
                                          "written on e-Factura (e.g. RO-CJ, RO-B for Bucharest)\n")
    assert billing("config", "set", "seller.county", "RO-B").exit_code == 0
    assert billing("config", "set", "seller.iban", "RO49 AAAA 1B31 0075 9384 0000").exit_code == 0


@pytest.mark.parametrize("number", [0, 1, 2, 3, 4, 5, 7, 8, 9, 10])
def test_anaf_examples_pass(billing, oracle, number):
    r = billing("efactura", "validate", str(EXAMPLES / f"anaf_ubl_b2g_example{number}.xml"),
                env={"PRAHO_EFACTURA_RULES_DIR": str(RULES)})
    assert r.exit_code == 0, r.stderr


def test_anaf_example_6_fails(billing, oracle):
    path = EXAMPLES / "anaf_ubl_b2g_example6.xml"
    r = billing("efactura", "validate", str(path), "-o", "json", env={"PRAHO_EFACTURA_RULES_DIR": str(RULES)})
    assert r.exit_code == 7
    report = r.json()
    assert report["valid"] is False
    rules = {line.split("]")[0][1:] for line in report["schematron"]}
    assert {"BR-S-08", "BR-RO-111"} <= rules
    assert any(line.startswith("[BR-RO-111]") for line in report["cius_ro"])
    assert r.stderr.startswith(f"error: {path}: ")


def test_validate_without_rules_dir_runs_xsd_and_praho_checks(billing):
    r = billing("efactura", "validate", str(EXAMPLES / "anaf_creditNote_ex.xml"), "-o", "json")
    if not EXAMPLES.is_dir():
        pytest.skip("no examples")
    assert r.exit_code == 7
    assert r.json()["schematron"] is None
    assert r.json()["cius_ro"][0].startswith("[BR-RO-001] ")


HOSTILE = {
    "not_xml": b"this is not xml",
    "billion_laughs": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                       b"<Invoice>&lol2;</Invoice>"),
    "external_entity": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]>'
                        b"<Invoice>&e;</Invoice>"),
    "deep": b"<a>" * 100 + b"</a>" * 100,
    "other_root": b'<?xml version="1.0"?><Order xmlns="urn:x"/>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_exit_2(billing, tmp_path, name):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(HOSTILE[name])
    r = billing("efactura", "validate", str(path))
    assert r.exit_code == 2, r.stderr
    assert r.stderr.startswith(f"error: {path}: ") and r.stderr.count("\n") == 1


def test_schematron_is_compiled_once_into_the_users_cache(billing, oracle, tmp_path):
    ref = issue(billing, "billing@acme.ro", "Hosting|1|10")
    path = export(billing, ref, tmp_path)
    env = {"PRAHO_EFACTURA_RULES_DIR": str(RULES)}
    assert billing("efactura", "validate", str(path), env=env).exit_code == 0
    cached = sorted((billing.home / ".cache" / "praho" / "schematron").iterdir())
    assert [p.name.split("-")[0] for p in cached] == ["cius", "en16931"]
    stamps = [p.stat().st_mtime_ns for p in cached]
    r = billing("efactura", "validate", str(path), env=env)
    assert (r.exit_code, r.stderr) == (0, f"✓ {path}: valid Invoice {ref}\n")
    assert [p.stat().st_mtime_ns for p in cached] == stamps


def test_re_export_after_a_rate_change_is_the_same_document(billing, tmp_path):
    ref = issue(billing, "billing@acme.ro", "Hosting|1|100")
    first = billing("efactura", "export", ref).stdout
    assert billing("tax", "set", "RO", "standard", "25", "--from", "2026-01-01").exit_code == 0
    assert billing("efactura", "export", ref).stdout == first
    assert "<cbc:Percent>21</cbc:Percent>" in first


def test_re_export_after_the_parties_change_is_the_same_document(billing, tmp_path):
    """The seller's and the buyer's e-Factura fields are frozen at issue, like the rest of the document."""
    ref = issue(billing, "billing@acme.ro", "Hosting|1|100")
    first = billing("efactura", "export", ref).stdout
    assert billing("customers", "update", "billing@acme.ro", "--county", "RO-IS", "--city", "Iasi").exit_code == 0
    moved = {"PRAHO_SELLER_CITY": "Brasov", "PRAHO_SELLER_COUNTY": "RO-BV", "PRAHO_SELLER_SHARE_CAPITAL": "1 RON"}
    again = billing("efactura", "export", ref, env=moved)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first
    assert "Iasi" not in first and "Brasov" not in first


def test_export_does_not_overwrite_without_force(billing, tmp_path):
    ref = issue(billing, "billing@acme.ro", "Hosting|1|10")
    path = export(billing, ref, tmp_path)
    r = billing("efactura", "export", ref, "--out", str(path))
    assert r.exit_code != 0 and "--force" in r.stderr
    assert billing("efactura", "export", ref, "--out", str(path), "--force").exit_code == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_validate_reads_stdin(billing, tmp_path):
    ref = issue(billing, "billing@acme.ro", "Hosting|1|10")
    xml = billing("efactura", "export", ref).stdout
    r = billing("efactura", "validate", "-", stdin=xml, env={"PRAHO_EFACTURA_RULES_DIR": ""})
    assert (r.exit_code, r.stderr) == (0, f"✓ -: valid Invoice {ref}\n")


SELLER_VARIANTS = {
    "bucharest_seller": {"PRAHO_SELLER_COUNTY": "RO-B", "PRAHO_SELLER_CITY": "Sector 1"},
    "vat_on_collection": {"PRAHO_SELLER_VAT_ON_COLLECTION": "true"},
    "not_registered": {"PRAHO_SELLER_VAT_PAYER": "false", "PRAHO_SELLER_VAT_ID": "18547290"},
    "no_iban_no_reg_com": {"PRAHO_SELLER_IBAN": "", "PRAHO_SELLER_REG_COM": "", "PRAHO_SELLER_SHARE_CAPITAL": ""},
}


@pytest.mark.parametrize("variant", sorted(SELLER_VARIANTS))
def test_seller_variants_pass_anaf(billing, oracle, tmp_path, variant):
    billing.extra_env.update(SELLER_VARIANTS[variant])
    refs = [issue(billing, "billing@acme.ro", "Hosting|1|100", "Book|1|10|reduced"),
            issue(billing, "b@beta.de", "Hosting|1|10"),
            issue(billing, "joe@example.com", "Hosting|1|10"),
            issue(billing, "ion@example.ro", "Hosting|1|10")]
    r = billing("invoices", "cancel", refs[0], "--reason", "Wrong", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    refs.append(r.json()["number"])
    failures = {ref: fatal for ref in refs if (fatal := anaf_fatal(export(billing, ref, tmp_path)))}
    assert failures == {}


def test_validate_refuses_a_missing_file_and_a_wrong_rules_dir(billing, tmp_path):
    r = billing("efactura", "validate", str(tmp_path / "nope.xml"))
    assert (r.exit_code, r.stderr) == (2, f"error: file: cannot read {tmp_path / 'nope.xml'}: No such file or "
                                          "directory\n")
    ref = issue(billing, "billing@acme.ro", "Hosting|1|10")
    path = export(billing, ref, tmp_path)
    r = billing("efactura", "validate", str(path), env={"PRAHO_EFACTURA_RULES_DIR": str(tmp_path)})
    assert (r.exit_code, r.stderr) == (78, f"error: efactura.rules_dir: {tmp_path} has no "
                                           "preprocessed/EN16931-UBL-validation-preprocessed.sch (point it at ANAF's "
                                           "validation artefacts, e.g. the unpacked ro16931-ubl-1.0.9.zip)\n")


def test_a_broken_export_is_caught_by_praho_checks_with_rule_ids(billing, tmp_path):
    ref = issue(billing, "ion@example.ro", "Hosting|1|10")
    path = export(billing, ref, tmp_path)
    path.write_text(path.read_text().replace("SECTOR3", "Bucuresti"))
    r = billing("efactura", "validate", str(path), "-o", "json")
    assert r.exit_code == 7
    assert r.json()["cius_ro"] == ["[BR-RO-101] the buyer is in Bucharest (RO-B): its city must be SECTOR1 to "
                                   "SECTOR6, not 'Bucuresti'"]
    assert r.stderr == (f"error: {path}: 1 problem(s), the first: [BR-RO-101] the buyer is in Bucharest (RO-B): its "
                        "city must be SECTOR1 to SECTOR6, not 'Bucuresti'\n")


def test_praho_checks_agree_with_anaf_on_a_broken_address(billing, oracle, tmp_path):
    ref = issue(billing, "ion@example.ro", "Hosting|1|10")
    path = export(billing, ref, tmp_path)
    path.write_text(path.read_text().replace("SECTOR3", "Bucuresti").replace("RO-CJ", "CJ"))
    r = billing("efactura", "validate", str(path), "-o", "json", env={"PRAHO_EFACTURA_RULES_DIR": str(RULES)})
    assert r.exit_code == 7
    ids = {line.split("]")[0][1:] for line in r.json()["cius_ro"]}
    assert ids == {"BR-RO-101", "BR-RO-110"}
    assert ids <= {line.split("]")[0][1:] for line in r.json()["schematron"]}


def test_an_oversized_file_is_refused_without_reading_it_all(billing, tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB of zeros
    r = billing("efactura", "validate", str(path))
    assert (r.exit_code, r.stderr) == (2, f"error: {path}: more than {50 * 1024 * 1024} bytes, too large for an "
                                          "invoice\n")
