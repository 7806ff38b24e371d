from decimal import Decimal

import pytest

from praho_cli.money import (
    Money,
    currency_exponent,
    format_minor,
    format_money,
    parse_amount,
    parse_decimal,
    round_minor,
)
from praho_cli.result import ErrorCode, PrahoFailure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", Money(1250, "RON")),
        ("12,50", Money(1250, "RON")),
        ("12,5 RON", Money(1250, "RON")),
        ("RON 12.50", Money(1250, "RON")),
        ("0", Money(0, "RON")),
        ("7", Money(700, "RON")),
        ("1.234,56 EUR", Money(123456, "EUR")),
        ("1,234.56 eur", Money(123456, "EUR")),
        ("1,234,567.89 USD", Money(123456789, "USD")),
        ("1500 JPY", Money(1500, "JPY")),
        ("1.234 BHD", Money(1234, "BHD")),
        ("+3.10", Money(310, "RON")),
    ],
)
def test_parse_amount_accepts(text: str, expected: Money) -> None:
    assert parse_amount(text, "RON") == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1.005", "more decimals than RON allows (2)"),
        ("12.5 JPY", "more decimals than JPY allows (0)"),
        ("1.2345 KWD", "more decimals than KWD allows (3)"),
        ("12.50 XYZ", "Unknown currency 'XYZ'"),
        ("abc", "Invalid amount"),
        ("1.2.3", "ambiguous separators"),
        ("1,23.45", "digit groups must be of three"),
        ("12 50 RON", "Invalid amount"),
        ("", "Invalid amount"),
        ("-5", "must not be negative"),
        ("1e5", "Invalid amount"),
        ("NaN", "Invalid amount"),
    ],
)
def test_parse_amount_refuses_with_invalid(text: str, fragment: str) -> None:
    with pytest.raises(PrahoFailure) as caught:
        parse_amount(text, "RON")
    assert caught.value.error.code is ErrorCode.INVALID
    assert caught.value.error.exit_code == 2
    assert fragment in caught.value.error.message


def test_negative_allowed_when_asked() -> None:
    assert parse_amount("-5,25", "EUR", allow_negative=True) == Money(-525, "EUR")


def test_exponents_cover_eu_and_zero_decimal_currencies() -> None:
    for code in ("EUR", "RON", "BGN", "CZK", "DKK", "HUF", "PLN", "SEK", "USD", "GBP", "CHF"):
        assert currency_exponent(code) == 2
    assert currency_exponent("JPY") == 0
    assert currency_exponent("ISK") == 0
    assert currency_exponent("kwd") == 3


def test_money_arithmetic_refuses_mixed_currencies() -> None:
    assert Money(100, "RON") + Money(250, "RON") == Money(350, "RON")
    assert Money(100, "RON") - Money(250, "RON") == Money(-150, "RON")
    with pytest.raises(PrahoFailure) as caught:
        Money(100, "RON") + Money(1, "EUR")
    assert caught.value.error.message == "Cannot combine RON with EUR"


def test_money_rejects_float_minor_units() -> None:
    with pytest.raises(TypeError):
        Money(12.5, "RON")  # type: ignore[arg-type]


def test_formatting_round_trips() -> None:
    assert format_money(Money(123456, "RON")) == "1234.56 RON"
    assert format_money(Money(-5, "EUR")) == "-0.05 EUR"
    assert format_minor(1500, "JPY") == "1500"
    assert format_minor(1, "BHD") == "0.001"
    assert parse_amount(format_money(Money(98765, "EUR")), "RON") == Money(98765, "EUR")
    assert Money(1250, "RON").to_decimal() == Decimal("12.50")


def test_round_minor_half_up_is_away_from_zero_and_half_even_is_banker() -> None:
    assert round_minor(Decimal("2.5")) == 3
    assert round_minor(Decimal("-2.5")) == -3
    assert round_minor(Decimal("2.5"), "half_even") == 2
    assert round_minor(Decimal("3.5"), "half_even") == 4
    with pytest.raises(PrahoFailure):
        round_minor(Decimal(1), "ceiling")


def test_parse_decimal_quantities() -> None:
    assert parse_decimal("2,5") == Decimal("2.5")
    assert parse_decimal("12") == Decimal("12")
    assert parse_decimal("12").as_tuple().exponent == 0
    assert parse_decimal("-1.25") == Decimal("-1.25")
