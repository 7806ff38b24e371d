"""UBL 2.1 ``Invoice`` and ``CreditNote`` per CIUS-RO 1.0.1, built with lxml from an issued document.

Every amount is the ledger's integer of minor units, formatted (``praho_cli.money.format_minor``);
the VAT breakdown is billing's own (``billing.totals.compute_totals`` over the stored lines, which
must give the stored totals to the last minor unit). A credit note's stored lines carry negative
quantities; a UBL ``CreditNote`` states the credited amounts as positive numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from praho_cli.billing.fx import REPORTING_CURRENCY
from praho_cli.billing.rates import VatCategory
from praho_cli.billing.totals import DocumentTotals, PricedLine, compute_totals
from praho_cli.ledger.fiscal import FiscalDocument
from praho_cli.money import format_minor
from praho_cli.result import ErrorCode, fail
from praho_cli.services.billing.efactura import parties

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"
NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UNIT = "H87"  # piece (UN/ECE rec. 20): a hosting line is a unit of service
PAYMENT_TO_ACCOUNT = "42"  # UNTDID 4461: payment to bank account
VAT_ON_COLLECTION = "432"  # UNTDID 2005 as CIUS-RO uses it: VAT is due when paid (TVA la încasare)

# BT-120/121 for the categories that charge no VAT: the code of the CEF VATEX list and a text of at
# most 100 characters (BR-RO-L1019). The document's full legal mention goes into a note (BT-22).
EXEMPTION: dict[str, tuple[str | None, str]] = {
    "AE": ("VATEX-EU-AE", "Taxare inversă (art. 196 Directiva 2006/112/CE)"),
    "O": ("VATEX-EU-O", "Neimpozabil în România (art. 278 Cod fiscal)"),
    "E": (None, "Scutit de TVA (art. 292 Cod fiscal)"),
}
NOT_REGISTERED_REASON = "Furnizor neînregistrat în scopuri de TVA"
MAX_ITEM_NAME = 100  # BR-RO-L1024
MAX_ITEM_DESCRIPTION = 200  # BR-RO-L212
MAX_NOTE = 300  # BR-RO-L302


def _priced(doc: FiscalDocument) -> DocumentTotals:
    lines = [
        PricedLine(line.description, Decimal(line.quantity), line.unit_price_minor, VatCategory(line.category),
                   line.vat_code, Decimal(line.vat_rate), line.net_minor)
        for line in doc.lines
    ]
    totals = compute_totals(lines, doc.document.rounding)
    d = doc.document
    if (totals.net_minor, totals.vat_minor, totals.total_minor) != (d.net_minor, d.vat_minor, d.total_minor):
        raise fail(ErrorCode.INTERNAL, f"document {d.number_text}: its lines do not give its stored totals")
    return totals


def _percent(rate: Decimal) -> str:
    text = format(rate.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _quantity(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f") if quantity != quantity.to_integral() else str(int(quantity))


def build(doc: FiscalDocument, setting: Callable[[str], Any]) -> bytes:
    """The UBL bytes of an issued invoice or credit note (UTF-8, with the XML declaration)."""
    from lxml import etree

    d = doc.document
    root_name = "CreditNote" if d.kind == "credit_note" else "Invoice"
    sign = -1 if root_name == "CreditNote" else 1
    totals = _priced(doc)
    codes = {b.vat_code for b in totals.breakdown}
    outside_vat = "O" in codes
    seller = parties.seller(json.loads(d.seller_json or "{}"), setting, outside_vat)
    buyer = parties.buyer(json.loads(d.customer_json or "{}"), doc.customer, outside_vat)
    currency = d.currency

    root = etree.Element(f"{{{NS[root_name]}}}{root_name}", nsmap={None: NS[root_name], "cac": CAC, "cbc": CBC})

    def cbc(parent: Any, name: str, text: str | None, **attrs: str) -> Any:
        element = etree.SubElement(parent, f"{{{CBC}}}{name}", **attrs)
        element.text = text
        return element

    def cac(parent: Any, name: str) -> Any:
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    def amount(parent: Any, name: str, minor: int, cur: str = currency) -> Any:
        return cbc(parent, name, format_minor(minor, cur), currencyID=cur)

    def day(value: date | None) -> str:
        assert value is not None
        return value.isoformat()

    cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    cbc(root, "ID", d.number_text)
    cbc(root, "IssueDate", day(d.issue_date))
    tax_point = d.tax_point if d.tax_point != d.issue_date and not seller.vat_on_collection else None
    if root_name == "Invoice":
        if d.due_date is not None:
            cbc(root, "DueDate", day(d.due_date))
        cbc(root, "InvoiceTypeCode", "380")
    else:
        if tax_point is not None:
            cbc(root, "TaxPointDate", day(tax_point))
        cbc(root, "CreditNoteTypeCode", "381")
    for note in _notes(doc, seller):
        cbc(root, "Note", note)
    if root_name == "Invoice" and tax_point is not None:
        cbc(root, "TaxPointDate", day(tax_point))
    cbc(root, "DocumentCurrencyCode", currency)
    foreign = currency != REPORTING_CURRENCY
    if foreign:
        cbc(root, "TaxCurrencyCode", REPORTING_CURRENCY)
    if seller.vat_on_collection:
        period = cac(root, "InvoicePeriod")
        cbc(period, "DescriptionCode", VAT_ON_COLLECTION)
    if root_name == "CreditNote" and doc.corrects is not None:
        reference = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(reference, "ID", doc.corrects.number_text)
        if doc.corrects.issue_date is not None:
            cbc(reference, "IssueDate", day(doc.corrects.issue_date))

    _party(cac(root, "AccountingSupplierParty"), seller.party, cbc, cac)
    _party(cac(root, "AccountingCustomerParty"), buyer, cbc, cac)

    if root_name == "Invoice" and seller.iban:
        means = cac(root, "PaymentMeans")
        cbc(means, "PaymentMeansCode", PAYMENT_TO_ACCOUNT)
        cbc(means, "PaymentID", d.number_text)
        account = cac(means, "PayeeFinancialAccount")
        cbc(account, "ID", seller.iban)
        bank = _text_setting(setting, "seller.bank")
        if bank:
            cbc(account, "Name", bank[:200])

    tax_total = cac(root, "TaxTotal")
    amount(tax_total, "TaxAmount", sign * totals.vat_minor)
    not_registered = d.vat_regime == "not_registered"
    for b in totals.breakdown:
        sub = cac(tax_total, "TaxSubtotal")
        amount(sub, "TaxableAmount", sign * b.base_minor)
        amount(sub, "TaxAmount", sign * b.vat_minor)
        _category(cac(sub, "TaxCategory"), b.vat_code, b.vat_rate, cbc, cac, not_registered, exemption=True)
    if foreign:
        if d.vat_ron_minor is None:
            raise fail(ErrorCode.INTERNAL, f"document {d.number_text} is in {currency} but has no RON VAT frozen")
        ron_total = cac(root, "TaxTotal")
        amount(ron_total, "TaxAmount", sign * d.vat_ron_minor, REPORTING_CURRENCY)

    money = cac(root, "LegalMonetaryTotal")
    amount(money, "LineExtensionAmount", sign * totals.net_minor)
    amount(money, "TaxExclusiveAmount", sign * totals.net_minor)
    amount(money, "TaxInclusiveAmount", sign * totals.total_minor)
    amount(money, "PayableAmount", sign * totals.total_minor)

    line_name = "CreditNoteLine" if root_name == "CreditNote" else "InvoiceLine"
    quantity_name = "CreditedQuantity" if root_name == "CreditNote" else "InvoicedQuantity"
    for position, line in enumerate(totals.lines, start=1):
        element = cac(root, line_name)
        cbc(element, "ID", str(position))
        cbc(element, quantity_name, _quantity(sign * line.quantity), unitCode=UNIT)
        amount(element, "LineExtensionAmount", sign * line.net_minor)
        item = cac(element, "Item")
        if len(line.description) > MAX_ITEM_NAME:
            cbc(item, "Description", line.description[:MAX_ITEM_DESCRIPTION])
        cbc(item, "Name", line.description[:MAX_ITEM_NAME])
        _category(cac(item, "ClassifiedTaxCategory"), line.vat_code, line.vat_rate, cbc, cac, not_registered,
                  exemption=False)
        price = cac(element, "Price")
        amount(price, "PriceAmount", line.unit_price_minor)

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _text_setting(setting: Callable[[str], Any], key: str) -> str | None:
    value = setting(key)
    text = str(value).strip() if value is not None else ""
    return text or None


def _notes(doc: FiscalDocument, seller: parties.Seller) -> list[str]:
    notes = []
    if doc.document.vat_mention:
        notes.append(doc.document.vat_mention)
    if seller.vat_on_collection:
        notes.append("TVA la încasare")
    if doc.document.kind == "credit_note" and doc.document.reason:
        notes.append(doc.document.reason)
    return [n[:MAX_NOTE] for n in notes]


def _category(parent: Any, code: str, rate: Decimal, cbc: Callable[..., Any], cac: Callable[..., Any],
              not_registered: bool, *, exemption: bool) -> None:
    cbc(parent, "ID", code)
    if code != "O":  # BR-O-05/BR-O-09: no rate for "not subject to VAT"
        cbc(parent, "Percent", _percent(rate))
    if exemption and code in EXEMPTION:
        reason_code, reason = EXEMPTION[code]
        if code == "O" and not_registered:
            reason = NOT_REGISTERED_REASON
        if reason_code:
            cbc(parent, "TaxExemptionReasonCode", reason_code)
        cbc(parent, "TaxExemptionReason", reason)
    cbc(cac(parent, "TaxScheme"), "ID", "VAT")


def _party(parent: Any, party: parties.Party, cbc: Callable[..., Any], cac: Callable[..., Any]) -> None:
    element = cac(parent, "Party")
    address = cac(element, "PostalAddress")
    cbc(address, "StreetName", party.street)
    cbc(address, "CityName", party.city)
    if party.postal_code:
        cbc(address, "PostalZone", party.postal_code)
    if party.county:
        cbc(address, "CountrySubentity", party.county)
    cbc(cac(address, "Country"), "IdentificationCode", party.country)
    if party.vat_id:
        scheme = cac(element, "PartyTaxScheme")
        cbc(scheme, "CompanyID", party.vat_id)
        cbc(cac(scheme, "TaxScheme"), "ID", "VAT")
    if party.tax_registration:
        scheme = cac(element, "PartyTaxScheme")
        cbc(scheme, "CompanyID", party.tax_registration)
        cbc(cac(scheme, "TaxScheme"), "ID", "TAX")
    legal = cac(element, "PartyLegalEntity")
    cbc(legal, "RegistrationName", party.name)
    if party.legal_id:
        cbc(legal, "CompanyID", party.legal_id)
    if party.legal_info:
        cbc(legal, "CompanyLegalForm", party.legal_info)
    if party.email:
        cbc(cac(element, "Contact"), "ElectronicMail", party.email)
