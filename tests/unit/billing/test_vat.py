from datetime import date
from decimal import Decimal

import pytest

from praho_cli.billing.rates import (
    SEED_RATES,
    VatCategory,
    VatRate,
    check_overlap,
    parse_category,
    parse_rate,
    select_rate,
)
from praho_cli.billing.regime import (
    EU_COUNTRIES,
    LEGAL_MENTIONS,
    SellerTaxProfile,
    TaxParty,
    VatRegime,
    decide_regime,
    valid_eu_vat_id,
)
from praho_cli.result import ErrorCode, PrahoFailure

S, R, R2 = VatCategory.STANDARD, VatCategory.REDUCED, VatCategory.REDUCED2
RO_SELLER = SellerTaxProfile(country="RO", vat_registered=True)


@pytest.mark.parametrize(
    ("category", "day", "rate"),
    [
        (S, date(2025, 7, 31), Decimal("19")),
        (S, date(2025, 8, 1), Decimal("21")),
        (R, date(2025, 7, 31), Decimal("9")),
        (R, date(2025, 8, 1), Decimal("11")),
        (R2, date(2025, 7, 31), Decimal("5")),
        (R2, date(2025, 8, 1), Decimal("11")),
        (S, date(2017, 1, 1), Decimal("19")),
        (S, date(2030, 1, 1), Decimal("21")),
    ],
)
def test_romania_switch_on_2025_08_01(category: VatCategory, day: date, rate: Decimal) -> None:
    assert select_rate(SEED_RATES, "RO", category, day).rate == rate


def test_every_member_state_has_exactly_one_current_standard_rate() -> None:
    today = date(2026, 1, 15)
    current = {c: select_rate(SEED_RATES, c, S, today).rate for c in EU_COUNTRIES}
    assert len(current) == 27
    assert current["DE"] == Decimal("19")
    assert current["HU"] == Decimal("27")
    assert current["FI"] == Decimal("25.5")
    assert current["EE"] == Decimal("24")
    assert current["SK"] == Decimal("23")
    assert current["LU"] == Decimal("17")
    assert current["RO"] == Decimal("21")
    assert select_rate(SEED_RATES, "EE", S, date(2025, 6, 30)).rate == Decimal("22")
    assert select_rate(SEED_RATES, "FI", S, date(2024, 8, 31)).rate == Decimal("24")


def test_seed_has_no_overlaps() -> None:
    for i, rate in enumerate(SEED_RATES):
        check_overlap(SEED_RATES[:i] + SEED_RATES[i + 1:], rate)


def test_missing_rate_is_invalid_and_names_the_fix() -> None:
    with pytest.raises(PrahoFailure) as caught:
        select_rate(SEED_RATES, "DE", R, date(2025, 8, 1))
    assert caught.value.error.code is ErrorCode.INVALID
    assert caught.value.error.message == (
        "No reduced VAT rate for DE on 2025-08-01; add one with `praho tax set`"
    )


def test_overlap_refused() -> None:
    new = VatRate("RO", S, Decimal("23"), date(2027, 1, 1))
    with pytest.raises(PrahoFailure) as caught:
        check_overlap(SEED_RATES, new)
    assert caught.value.error.code is ErrorCode.CONFLICT
    check_overlap([VatRate("RO", S, Decimal("21"), date(2025, 8, 1), date(2026, 12, 31))], new)


def test_parse_rate_and_category() -> None:
    assert parse_rate("21") == Decimal("21")
    assert parse_rate("25,5%") == Decimal("25.5")
    for bad in ("-1", "101", "5.555", "x"):
        with pytest.raises(PrahoFailure):
            parse_rate(bad)
    assert parse_category("Reduced") is R
    with pytest.raises(PrahoFailure) as caught:
        parse_category("super")
    assert "valid: standard, reduced, reduced2, zero, exempt" in caught.value.error.message


def test_domestic_sale() -> None:
    d = decide_regime(RO_SELLER, TaxParty("RO", "RO18547290", is_business=True))
    assert (d.regime, d.rate_country, d.mention) == (VatRegime.DOMESTIC, "RO", None)
    assert d.en16931_code(S) == "S"
    assert d.en16931_code(VatCategory.EXEMPT) == "E"
    assert d.charges_vat


def test_reverse_charge_for_eu_business_with_valid_vat_id() -> None:
    d = decide_regime(RO_SELLER, TaxParty("DE", "DE136695976", is_business=True))
    assert d.regime is VatRegime.REVERSE_CHARGE
    assert d.customer_vat_id_valid
    assert d.mention == LEGAL_MENTIONS[VatRegime.REVERSE_CHARGE]
    assert "art. 196 Directive 2006/112/EC" in (d.mention or "")
    assert d.en16931_code(S) == "AE"
    assert not d.charges_vat


def test_greek_vat_id_uses_el_prefix() -> None:
    assert valid_eu_vat_id("EL094259216", "GR")
    assert decide_regime(RO_SELLER, TaxParty("GR", "EL094259216", True)).regime is VatRegime.REVERSE_CHARGE


def test_eu_business_with_invalid_vat_id_is_taxed_like_a_consumer() -> None:
    d = decide_regime(RO_SELLER, TaxParty("DE", "DE136695977", is_business=True))
    assert d.regime is VatRegime.OSS
    assert d.rate_country == "DE"
    assert not d.customer_vat_id_valid


def test_vat_id_of_another_country_is_not_valid() -> None:
    assert not valid_eu_vat_id("DE136695976", "FR")
    assert valid_eu_vat_id("18547290", "RO")  # a bare CUI


def test_oss_consumer_gets_their_country_rate() -> None:
    d = decide_regime(RO_SELLER, TaxParty("FR"))
    assert (d.regime, d.rate_country, d.mention) == (VatRegime.OSS, "FR", None)
    assert d.charges_vat


def test_eu_consumer_below_oss_threshold_pays_seller_rate() -> None:
    d = decide_regime(SellerTaxProfile("RO", True, oss_registered=False), TaxParty("FR"))
    assert (d.regime, d.rate_country) == (VatRegime.DOMESTIC, "RO")


@pytest.mark.parametrize("country", ["US", "GB", "CH", "MD"])
def test_non_eu_customer_is_out_of_scope(country: str) -> None:
    d = decide_regime(RO_SELLER, TaxParty(country, "X123", is_business=True))
    assert d.regime is VatRegime.OUT_OF_SCOPE
    assert d.en16931_code(S) == "O"
    assert "Outside the scope of Romanian VAT" in (d.mention or "")
    assert not d.charges_vat


def test_seller_not_registered_charges_no_vat() -> None:
    d = decide_regime(SellerTaxProfile("RO", vat_registered=False), TaxParty("RO"))
    assert d.regime is VatRegime.NOT_REGISTERED
    assert not d.charges_vat
    assert d.mention == LEGAL_MENTIONS[VatRegime.NOT_REGISTERED]


def test_migration_seeds_exactly_the_domain_rate_table() -> None:
    import importlib.util
    from pathlib import Path

    import praho_cli.ledger.migrations as migrations

    path = Path(migrations.__file__).parent / "versions" / "0002_billing.py"
    spec = importlib.util.spec_from_file_location("billing_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seeded = {
        (c, cat, Decimal(rate), date.fromisoformat(start), date.fromisoformat(end) if end else None)
        for c, cat, rate, start, end in module.SEED_VAT_RATES
    }
    domain = {(r.country, r.category.value, r.rate, r.valid_from, r.valid_to) for r in SEED_RATES}
    assert seeded == domain
