from datetime import date
from decimal import Decimal

import pytest

from praho_cli.billing.fx import FxRate, parse_fx_rate, rate_for, to_reporting_minor
from praho_cli.billing.numbering import (
    DEFAULT_TEMPLATE,
    NO_YEAR,
    NumberParts,
    counter_year,
    find_gaps,
    render_number,
    validate_series_code,
    validate_template,
)
from praho_cli.result import ErrorCode, PrahoFailure


def test_render_default_template() -> None:
    assert render_number(DEFAULT_TEMPLATE, NumberParts("RO", 2026, 42)) == "RO2026-000042"
    assert render_number("{series}/{number}", NumberParts("PF", 2026, 7)) == "PF/7"


@pytest.mark.parametrize(
    ("template", "yearly", "fragment"),
    [
        ("{series}-{year}", True, "must contain {number}"),
        ("{series}{number:06}", True, "a yearly series must contain {year}"),
        ("{series}{customer}{number}", False, "unknown field(s) customer"),
        ("{series}{number:06", False, "Invalid number template"),
        ("{series}{number:s}", False, "Invalid number template"),
    ],
)
def test_bad_templates(template: str, yearly: bool, fragment: str) -> None:
    with pytest.raises(PrahoFailure) as caught:
        validate_template(template, yearly_reset=yearly)
    assert caught.value.error.code is ErrorCode.INVALID
    assert fragment in caught.value.error.message


def test_good_templates() -> None:
    assert validate_template("{series}{number:06}", yearly_reset=False) == "{series}{number:06}"
    assert validate_template(DEFAULT_TEMPLATE, yearly_reset=True) == DEFAULT_TEMPLATE


def test_series_code() -> None:
    assert validate_series_code("RO-F") == "RO-F"
    for bad in ("", "A B", "X" * 17, "a{b}"):
        with pytest.raises(PrahoFailure):
            validate_series_code(bad)


def test_counter_year() -> None:
    assert counter_year(date(2026, 1, 1), True) == 2026
    assert counter_year(date(2026, 1, 1), False) == NO_YEAR


def test_find_gaps() -> None:
    assert find_gaps([1, 2, 3], 1) == ([], [])
    assert find_gaps([3, 1, 5, 5], 1) == ([2, 4], [5])
    assert find_gaps([101, 103], 100) == ([100, 102], [])
    assert find_gaps([], 1) == ([], [])


RATES = [
    FxRate("EUR", Decimal("4.9700"), date(2025, 7, 30), "BNR"),
    FxRate("EUR", Decimal("4.9750"), date(2025, 8, 1), "BNR"),
    FxRate("EUR", Decimal("5.0000"), date(2025, 8, 5), "BNR"),
    FxRate("USD", Decimal("4.4000"), date(2025, 8, 2), "BNR"),
]


def test_rate_for_picks_latest_on_or_before_tax_point() -> None:
    assert rate_for(RATES, "EUR", date(2025, 8, 1)).rate == Decimal("4.9750")
    assert rate_for(RATES, "EUR", date(2025, 8, 4)).rate == Decimal("4.9750")  # weekend: Friday's
    assert rate_for(RATES, "EUR", date(2025, 7, 31)).rate == Decimal("4.9700")
    with pytest.raises(PrahoFailure) as caught:
        rate_for(RATES, "USD", date(2025, 8, 1))
    assert caught.value.error.code is ErrorCode.INVALID
    assert caught.value.error.message == (
        "No USD/RON exchange rate on or before 2025-08-01; record one with "
        "`praho fx set USD RATE --date 2025-08-01`"
    )


def test_vat_total_in_ron() -> None:
    # 21.00 EUR of VAT at 4.9750 = 104.475 RON → 104.48 (half-up)
    assert to_reporting_minor(2100, "EUR", Decimal("4.9750")) == 10448
    assert to_reporting_minor(1000, "JPY", Decimal("0.0301")) == 3010  # 1000 yen → 30.10 RON
    assert to_reporting_minor(1234, "RON", Decimal(1)) == 1234


def test_parse_fx_rate() -> None:
    assert parse_fx_rate("4,9750") == Decimal("4.9750")
    for bad in ("0", "-1", "1.1234567"):
        with pytest.raises(PrahoFailure):
            parse_fx_rate(bad)
