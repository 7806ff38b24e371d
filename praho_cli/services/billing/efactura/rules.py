"""praho's own checks of the CIUS-RO rules a UBL document can break, each reported with ANAF's rule id.

They run without ANAF's artefacts (no XSLT 2 processor needed) and cover what a document praho
writes could get wrong: the specification id, the number, the currency of VAT accounting, the
addresses (Romanian county codes, Bucharest sectors), the buyer's identifier, text lengths and
amounts' decimals. ANAF's full schematron (``efactura.rules_dir``) checks everything else.
"""

from __future__ import annotations

from typing import Any

from praho_cli.billing import ro_address

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP = {"cac": CAC, "cbc": CBC}
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"
TYPE_CODES = {"380", "389", "384", "381", "751"}
AMOUNTS = ("TaxAmount", "TaxableAmount", "LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount",
           "PayableAmount", "PrepaidAmount", "PayableRoundingAmount", "AllowanceTotalAmount", "ChargeTotalAmount")
LENGTHS = (  # (rule, XPath from the root, what, at most)
    ("BR-RO-L155", "cbc:ID", "invoice number (BT-1)", 200),
    ("BR-RO-L151", "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:StreetName",
     "seller address line 1 (BT-35)", 150),
    ("BR-RO-L152", "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:StreetName",
     "buyer address line 1 (BT-50)", 150),
    ("BR-RO-L0501", "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:CityName", "seller city (BT-37)", 50),
    ("BR-RO-L0502", "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:CityName", "buyer city (BT-52)", 50),
    ("BR-RO-L0201", "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:PostalZone",
     "seller post code (BT-38)", 20),
    ("BR-RO-L0202", "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:PostalZone",
     "buyer post code (BT-53)", 20),
    ("BR-RO-L201", "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
     "seller name (BT-27)", 200),
    ("BR-RO-L203", "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
     "buyer name (BT-44)", 200),
    ("BR-RO-L302", "cbc:Note", "invoice note (BT-22)", 300),
    ("BR-RO-L1019", "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason",
     "VAT exemption reason (BT-120)", 100),
    ("BR-RO-L1024", "*/cac:Item/cbc:Name", "item name (BT-153)", 100),
    ("BR-RO-L212", "*/cac:Item/cbc:Description", "item description (BT-154)", 200),
)


def _texts(root: Any, path: str) -> list[str]:
    return [(e.text or "").strip() for e in root.xpath(path, namespaces=NSMAP)]


def _first(root: Any, path: str) -> str:
    found = _texts(root, path)
    return found[0] if found else ""


def check(root: Any) -> list[str]:
    """The CIUS-RO rules ``root`` breaks, one ``[RULE] message`` each (empty: none)."""
    problems: list[str] = []

    def add(rule: str, message: str) -> None:
        problems.append(f"[{rule}] {message}")

    customization = _first(root, "cbc:CustomizationID")
    if customization != CUSTOMIZATION_ID:
        add("BR-RO-001", f"the specification identifier (BT-24) is {customization!r}, not {CUSTOMIZATION_ID!r}")
    number = _first(root, "cbc:ID")
    if not any(c.isdigit() for c in number):
        add("BR-RO-010", f"the invoice number (BT-1) {number!r} has no digit")
    type_code = _first(root, "cbc:InvoiceTypeCode|cbc:CreditNoteTypeCode")
    if type_code not in TYPE_CODES:
        add("BR-RO-020", f"the invoice type code (BT-3) {type_code!r} is not one of {', '.join(sorted(TYPE_CODES))}")
    currency = _first(root, "cbc:DocumentCurrencyCode")
    tax_currency = _first(root, "cbc:TaxCurrencyCode")
    if currency and currency != "RON":
        if tax_currency != "RON":
            add("BR-RO-030", f"the invoice is in {currency}: the VAT accounting currency (BT-6) must be RON, "
                f"not {tax_currency or 'missing'!r}")
        elif not root.xpath("cac:TaxTotal/cbc:TaxAmount[@currencyID='RON']", namespaces=NSMAP):
            add("BR-53", "the invoice is in a foreign currency: the VAT total in RON (BT-111) must be given")
    notes = root.xpath("cbc:Note", namespaces=NSMAP)
    if len(notes) > 20:
        add("BR-RO-A020", f"{len(notes)} invoice notes (BG-1), at most 20")

    for who, party, ids in (("seller", "AccountingSupplierParty", ("081", "091", "110", "100")),
                            ("buyer", "AccountingCustomerParty", ("082", "092", "111", "101"))):
        address = f"cac:{party}/cac:Party/cac:PostalAddress"
        if not _first(root, f"{address}/cbc:StreetName"):
            add(f"BR-RO-{ids[0]}", f"the {who}'s address line 1 must be provided")
        city = _first(root, f"{address}/cbc:CityName")
        if not city:
            add(f"BR-RO-{ids[1]}", f"the {who}'s city must be provided")
        if _first(root, f"{address}/cac:Country/cbc:IdentificationCode") == "RO":
            county = _first(root, f"{address}/cbc:CountrySubentity")
            if county not in ro_address.COUNTIES:
                add(f"BR-RO-{ids[2]}", f"the {who}'s country subdivision {county!r} is not an ISO 3166-2:RO code "
                    "(e.g. RO-B, RO-CJ)")
            elif county == ro_address.BUCHAREST and city not in ro_address.SECTORS:
                add(f"BR-RO-{ids[3]}", f"the {who} is in Bucharest (RO-B): its city must be SECTOR1 to SECTOR6, "
                    f"not {city!r}")
    buyer = "cac:AccountingCustomerParty/cac:Party"
    if not (_first(root, f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID")
            or _first(root, f"{buyer}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID")):
        add("BR-RO-120", "the buyer's legal registration identifier (BT-47) or VAT identifier (BT-48) must be given")

    for rule, path, what, limit in LENGTHS:
        for text in _texts(root, path):
            if len(text) > limit:
                add(rule, f"the {what} has {len(text)} characters, at most {limit}")
    for name in AMOUNTS:
        for element in root.iter(f"{{{CBC}}}{name}"):
            text = (element.text or "").strip()
            if "." in text and len(text.split(".", 1)[1]) > 2:
                add("BR-DEC-RO", f"{name} {text}: at most 2 decimals")
                break
    return problems
