from datetime import date
from decimal import Decimal

import pytest

from praho_cli.billing.rates import SEED_RATES, VatCategory
from praho_cli.billing.regime import SellerTaxProfile, TaxParty, decide_regime
from praho_cli.billing.totals import (
    LineInput,
    VatBreakdown,
    category_vat,
    check_quantity,
    compute_totals,
    negate,
    price_lines,
)
from praho_cli.result import ErrorCode, PrahoFailure

S, R, R2 = VatCategory.STANDARD, VatCategory.REDUCED, VatCategory.REDUCED2
SELLER = SellerTaxProfile("RO", True)
DOMESTIC = decide_regime(SELLER, TaxParty("RO"))


def totals_for(lines: list[LineInput], party: TaxParty, tax_point: date, rounding: str = "half_up"):
    decision = decide_regime(SELLER, party)
    return compute_totals(price_lines(lines, decision, SEED_RATES, tax_point, rounding), rounding)


def test_tax_point_31_july_vs_1_august() -> None:
    lines = [LineInput("Hosting", Decimal(1), 10000, S)]
    july = totals_for(lines, TaxParty("RO"), date(2025, 7, 31))
    august = totals_for(lines, TaxParty("RO"), date(2025, 8, 1))
    assert (july.net_minor, july.vat_minor, july.total_minor) == (10000, 1900, 11900)
    assert (august.net_minor, august.vat_minor, august.total_minor) == (10000, 2100, 12100)
    assert july.breakdown == (VatBreakdown("S", Decimal("19"), 10000, 1900),)


def test_mixed_rate_document_per_line_rounding_and_per_category_vat() -> None:
    # Three 0.335 RON items at 19 %: rounding each line's VAT (6 bani each = 18) differs from the
    # category VAT on the 1.02 base (0.1938 → 19 bani). BR-CO-17 demands the latter.
    lines = [
        LineInput("A", Decimal("0.5"), 67, S),  # 33.5 → 34
        LineInput("B", Decimal("0.5"), 67, S),  # 34
        LineInput("C", Decimal("0.5"), 67, S),  # 34
        LineInput("Book", Decimal("3"), 333, R),  # 999 at 9 %
        LineInput("Flat", Decimal("1"), 1999, R2),  # 1999 at 5 %
        LineInput("Export doc", Decimal("2"), 150, VatCategory.ZERO),
        LineInput("Training", Decimal("1"), 1000, VatCategory.EXEMPT),
    ]
    t = totals_for(lines, TaxParty("RO"), date(2025, 7, 15))
    assert [line.net_minor for line in t.lines] == [34, 34, 34, 999, 1999, 300, 1000]
    assert sum(round(line.net_minor * Decimal("0.19")) for line in t.lines[:3]) == 18
    assert t.breakdown == (
        VatBreakdown("S", Decimal("19"), 102, 19),
        VatBreakdown("S", Decimal("9"), 999, 90),
        VatBreakdown("S", Decimal("5"), 1999, 100),
        VatBreakdown("E", Decimal("0"), 1000, 0),
        VatBreakdown("Z", Decimal("0"), 300, 0),
    )
    assert t.net_minor == 4400  # BR-CO-10
    assert t.vat_minor == 209
    assert t.total_minor == 4609


def test_reduced_rates_merge_into_one_category_after_switch() -> None:
    lines = [LineInput("A", Decimal(1), 1000, R), LineInput("B", Decimal(1), 1000, R2)]
    t = totals_for(lines, TaxParty("RO"), date(2025, 8, 1))
    assert t.breakdown == (VatBreakdown("S", Decimal("11"), 2000, 220),)


def test_reverse_charge_document() -> None:
    lines = [LineInput("Hosting", Decimal(12), 2500, S)]
    t = totals_for(lines, TaxParty("DE", "DE136695976", True), date(2025, 8, 1))
    assert t.breakdown == (VatBreakdown("AE", Decimal("0"), 30000, 0),)
    assert (t.vat_minor, t.total_minor) == (0, 30000)


def test_oss_consumer_document_uses_customer_country_rate() -> None:
    lines = [LineInput("Hosting", Decimal(1), 9999, S)]
    t = totals_for(lines, TaxParty("HU"), date(2025, 8, 1))
    assert t.breakdown == (VatBreakdown("S", Decimal("27"), 9999, 2700),)  # 2699.73 → 2700
    fi = totals_for(lines, TaxParty("FI"), date(2025, 8, 1))
    assert fi.breakdown == (VatBreakdown("S", Decimal("25.5"), 9999, 2550),)  # 2549.745 → 2550


def test_non_eu_document_is_out_of_scope() -> None:
    t = totals_for([LineInput("Hosting", Decimal(1), 5000, S)], TaxParty("US"), date(2025, 8, 1))
    assert t.breakdown == (VatBreakdown("O", Decimal("0"), 5000, 0),)
    assert t.total_minor == 5000


def test_half_even_rounding_when_configured() -> None:
    # 0.5 × 5 = 2.5 minor units: half-up gives 3, half-even gives 2.
    line = [LineInput("x", Decimal("0.5"), 5, VatCategory.ZERO)]
    assert totals_for(line, TaxParty("RO"), date(2025, 8, 1)).net_minor == 3
    assert totals_for(line, TaxParty("RO"), date(2025, 8, 1), "half_even").net_minor == 2


def test_storno_negates_to_the_last_minor_unit() -> None:
    decision = DOMESTIC
    lines = [LineInput("A", Decimal("0.5"), 67, S), LineInput("B", Decimal("1.5"), 333, R)]
    priced = price_lines(lines, decision, SEED_RATES, date(2025, 7, 1))
    original = compute_totals(priced)
    storno = compute_totals(negate(priced))
    assert storno.net_minor == -original.net_minor
    assert storno.vat_minor == -original.vat_minor
    assert [b.vat_minor for b in storno.breakdown] == [-b.vat_minor for b in original.breakdown]


def test_category_vat_is_rounded_once_half_up() -> None:
    assert category_vat(250, Decimal("19")) == 48  # 47.5 → 48
    assert category_vat(-250, Decimal("19")) == -48


def test_quantity_validation() -> None:
    assert check_quantity(Decimal("1.2345")) == Decimal("1.2345")
    for bad in (Decimal(0), Decimal("1.23456")):
        with pytest.raises(PrahoFailure) as caught:
            check_quantity(bad)
        assert caught.value.error.code is ErrorCode.INVALID


def test_tax_point_before_the_table_is_an_error() -> None:
    with pytest.raises(PrahoFailure) as caught:
        totals_for([LineInput("x", Decimal(1), 100, S)], TaxParty("DE"), date(2020, 1, 1))
    assert caught.value.error.message == (
        "No standard VAT rate for DE on 2020-01-01; add one with `praho tax set`"
    )
