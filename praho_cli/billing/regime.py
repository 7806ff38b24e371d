"""Which VAT regime applies to a sale: domestic, reverse charge, OSS or out of scope.

Hosting is a service: between businesses its place of supply is the customer's country
(Directive 2006/112/EC art. 44), for consumers the seller's, except electronically supplied
services to EU consumers, taxed in the consumer's country and declared through the One-Stop Shop
(art. 58).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stdnum.eu import vat as eu_vat

from praho_cli.billing.rates import VatCategory

EU_COUNTRIES: frozenset[str] = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})

# EU VAT numbers use ISO 3166 codes except Greece, whose prefix is EL.
_VAT_PREFIX = {"GR": "EL"}


class VatRegime(StrEnum):
    DOMESTIC = "domestic"
    REVERSE_CHARGE = "reverse_charge"
    OSS = "oss"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_REGISTERED = "not_registered"  # the seller is not registered for VAT: no VAT charged


# The mention a document must carry when it charges no VAT on a taxable supply (Cod fiscal
# art. 319 (20) requires the reason on the invoice).
LEGAL_MENTIONS: dict[VatRegime, str] = {
    VatRegime.REVERSE_CHARGE: (
        "Taxare inversă / Reverse charge: VAT to be accounted for by the recipient "
        "(art. 196 Directive 2006/112/EC)"
    ),
    VatRegime.OUT_OF_SCOPE: (
        "Neimpozabil în România / Outside the scope of Romanian VAT: place of supply outside the EU "
        "(art. 278 Cod fiscal; art. 44 Directive 2006/112/EC)"
    ),
    VatRegime.NOT_REGISTERED: "Furnizor neînregistrat în scopuri de TVA / Seller not registered for VAT",
}

# EN 16931 VAT category codes (UNTDID 5305) by regime and line category.
_EN16931_CODES = {
    VatCategory.STANDARD: "S",
    VatCategory.REDUCED: "S",
    VatCategory.REDUCED2: "S",
    VatCategory.ZERO: "Z",
    VatCategory.EXEMPT: "E",
}
_REGIME_CODES = {
    VatRegime.REVERSE_CHARGE: "AE",
    VatRegime.OUT_OF_SCOPE: "O",
    VatRegime.NOT_REGISTERED: "O",
}


@dataclass(frozen=True, slots=True)
class SellerTaxProfile:
    """The seller's own country and VAT status, from configuration."""

    country: str = "RO"
    vat_registered: bool = True
    oss_registered: bool = True  # False: below the EU 10,000 EUR threshold, the seller's rate applies


@dataclass(frozen=True, slots=True)
class TaxParty:
    """What VAT needs to know about a customer."""

    country: str
    vat_id: str | None = None
    is_business: bool = False


@dataclass(frozen=True, slots=True)
class RegimeDecision:
    regime: VatRegime
    rate_country: str  # whose rate table applies (the seller's or, under OSS, the customer's)
    mention: str | None
    customer_vat_id_valid: bool

    def en16931_code(self, category: VatCategory) -> str:
        return _REGIME_CODES.get(self.regime, _EN16931_CODES[category])

    @property
    def charges_vat(self) -> bool:
        return self.regime in (VatRegime.DOMESTIC, VatRegime.OSS)


def valid_eu_vat_id(vat_id: str | None, country: str) -> bool:
    """Check digits and prefix of an EU VAT number for ``country`` (offline; VIES is not asked)."""
    if not vat_id or country not in EU_COUNTRIES:
        return False
    compact = "".join(c for c in vat_id.upper() if c.isalnum())
    prefix = _VAT_PREFIX.get(country, country)
    if not compact.startswith(prefix):
        # Romanian customers often give a bare CUI; the VAT number is RO + CUI.
        compact = prefix + compact
    return bool(eu_vat.is_valid(compact)) and compact.startswith(prefix)


def seller_vat_id_problem(vat_id: str, country: str | None = None) -> str | None:
    """Why the seller's own tax id is not valid (None when it is), checked like a customer's.

    A Romanian seller gives its CUI/CIF (RO + CUI for a VAT payer: python-stdnum's check digit), a
    seller of another member state its EU VAT number; outside the EU nothing can be checked offline.
    Without ``country`` (a value being set, before the country is known) either form is accepted.
    """
    from stdnum.exceptions import ValidationError
    from stdnum.ro import cui as ro_cui

    value = vat_id.strip()
    if not value:
        return None

    def cui_ok() -> bool:
        try:
            ro_cui.validate(value)
        except ValidationError:
            return False
        return True

    if country is None:
        if cui_ok() or eu_vat.is_valid(value):
            return None
        return f"{vat_id!r} is not a valid Romanian CUI/CIF or EU VAT number (check digit)"
    country = country.upper()
    if country == "RO":
        return None if cui_ok() else f"{vat_id!r} is not a valid Romanian CUI/CIF (check digit)"
    if country in EU_COUNTRIES and not valid_eu_vat_id(value, country):
        return f"{vat_id!r} is not a valid {country} VAT number (check digit)"
    return None


def decide_regime(seller: SellerTaxProfile, customer: TaxParty) -> RegimeDecision:
    country = customer.country.upper()
    seller_country = seller.country.upper()
    vat_ok = customer.is_business and valid_eu_vat_id(customer.vat_id, country)
    if not seller.vat_registered:
        regime, rate_country = VatRegime.NOT_REGISTERED, seller_country
    elif country == seller_country:
        regime, rate_country = VatRegime.DOMESTIC, seller_country
    elif country not in EU_COUNTRIES:
        regime, rate_country = VatRegime.OUT_OF_SCOPE, seller_country
    elif vat_ok:
        regime, rate_country = VatRegime.REVERSE_CHARGE, country
    elif seller.oss_registered:
        regime, rate_country = VatRegime.OSS, country
    else:
        regime, rate_country = VatRegime.DOMESTIC, seller_country
    return RegimeDecision(regime, rate_country, LEGAL_MENTIONS.get(regime), vat_ok)
