"""The seller and the buyer of an e-Factura, from what the document froze at issue.

A document's snapshots hold what billing froze when it was issued, and documents issued by this
version hold every field an e-Factura names. A value frozen at issue always wins. A field the snapshot
does not hold (a document issued by an older version: the seller's city, postal code, county, share
capital and cash-accounting VAT, the buyer's county and CNP) or holds blank (not known at issue) is
read from the configuration and the customer's current row, so completing a customer or the seller
later lets the document be exported. Fields
CIUS-RO requires and neither holds stop the export (exit 2) naming the customer or the setting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from praho_cli.billing import ro_address
from praho_cli.billing.bank import compact_iban, iban_problem
from praho_cli.ledger.models import Customer
from praho_cli.result import ErrorCode, fail

NO_CNP = "0000000000000"  # ANAF's identifier of an individual whose CNP is not known


@dataclass(frozen=True)
class Party:
    name: str
    country: str
    street: str
    city: str
    postal_code: str | None
    county: str | None
    vat_id: str | None  # BT-31 / BT-48: with its country prefix
    legal_id: str | None  # BT-30 / BT-47: Reg. Com., CUI, or CNP
    tax_registration: str | None = None  # BT-32: the seller's tax id when no VAT id may be shown
    legal_info: str | None = None  # BT-33: share capital
    email: str | None = None


@dataclass(frozen=True)
class Seller:
    party: Party
    iban: str | None
    vat_on_collection: bool


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _address_problems(country: str, street: str | None, city: str | None, county: str | None) -> list[str]:
    missing = [name for name, value in (("address", street), ("city", city)) if not value]
    if country == "RO" and (not county or ro_address.county_problem(county, city) is not None):
        missing.append("county")
    return missing


def seller(snapshot: Mapping[str, Any], setting: Callable[[str], Any], charges_no_vat_id: bool) -> Seller:
    """The seller; ``charges_no_vat_id``: the document is outside VAT (category O), so the VAT id is
    given as a tax registration (BT-32) instead (EN 16931 BR-O-02)."""
    def value(key: str) -> str | None:  # frozen at issue; a field the snapshot lacks or holds blank: the setting
        return _text(snapshot.get(key)) or _text(setting(f"seller.{key}"))

    country = (value("country") or "RO").upper()
    street, city, county = value("address"), value("city"), value("county")
    city = ro_address.normalize_sector(city) or city if city else None
    problems = [f"seller.{k}" for k in _address_problems(country, street, city, county)]
    for key in ("name", "vat_id"):
        if not value(key):
            problems.insert(0, f"seller.{key}")
    iban = value("iban")
    if iban and iban_problem(iban):
        problems.append("seller.iban")
    if problems:
        what = problems[0]
        detail = ("is not a valid IBAN" if what == "seller.iban" else
                  "is not an ISO 3166-2:RO county (or, for RO-B, seller.city is not SECTOR1…SECTOR6)"
                  if what == "seller.county" and value("county") else "is not set")
        raise fail(ErrorCode.INVALID, f"{what} {detail}: e-Factura requires it of the seller; set it with "
                   f"`praho config set {what} ...`", setting=what, missing=problems)
    vat_id = value("vat_id") or ""
    vat_payer = bool(snapshot.get("vat_payer", setting("seller.vat_payer")))
    if vat_payer and country == "RO" and not vat_id.upper().startswith("RO"):
        vat_id = f"RO{vat_id}"
    capital = value("share_capital")
    shown_vat = vat_payer and not charges_no_vat_id
    party = Party(
        name=value("name") or "", country=country, street=street or "", city=city or "",
        postal_code=value("postal_code"), county=county,
        vat_id=vat_id if shown_vat else None,
        # BR-CO-26: without a VAT id shown the seller needs a legal registration id (BT-30): the CUI.
        legal_id=value("reg_com") or (None if shown_vat else vat_id),
        tax_registration=None if shown_vat else vat_id,
        legal_info=f"Capital social: {capital}" if capital else None,
        email=value("email"),
    )
    on_collection = snapshot["vat_on_collection"] if "vat_on_collection" in snapshot else \
        setting("seller.vat_on_collection")
    return Seller(party, compact_iban(iban) if iban else None, bool(on_collection))


def buyer(snapshot: Mapping[str, Any], current: Customer | None, charges_no_vat_id: bool) -> Party:
    """The buyer; a company by its CUI or VAT number, an individual by CNP (13 zeros when unknown)."""
    def value(key: str) -> str | None:  # frozen at issue; a field the snapshot lacks or holds blank: the row
        return _text(snapshot.get(key)) or (_text(getattr(current, key, None)) if current is not None else None)

    country = (value("country") or "").upper()
    street, city, county = value("address"), value("city"), value("county")
    problems = _address_problems(country, street, city, county)
    if not value("name"):
        problems.insert(0, "name")
    if problems:
        ref = value("id") or (str(current.id) if current is not None else "?")
        field = problems[0]
        option = {"address": "--address", "city": "--city", "county": "--county", "name": "--name"}[field]
        raise fail(ErrorCode.INVALID, f"customer {ref} ({value('name') or value('email')}) has no valid {field}: "
                   f"e-Factura requires it of the buyer; set it with `praho customers update {ref} {option} ...`",
                   customer=ref, field=field, missing=problems)
    cui, vat_number = value("cui"), value("vat_number")
    vat_id: str | None = None
    if vat_number:
        vat_id = vat_number
    elif cui and snapshot.get("vat_payer"):
        vat_id = f"RO{cui}"
    individual = value("kind") == "individual"
    legal_id = (value("cnp") if individual else cui or vat_number) or NO_CNP
    return Party(
        name=value("name") or "", country=country, street=street or "", city=city or "",
        postal_code=value("postal_code"), county=county,
        vat_id=None if charges_no_vat_id else vat_id, legal_id=legal_id, email=value("email"),
    )
