"""Exchange-rate snapshots for foreign-currency invoices.

Romanian VAT must be reported in RON: an invoice in another currency freezes the rate of its tax
point (the latest rate on or before that date; Cod fiscal art. 290) and carries its VAT in RON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from praho_cli.money import CURRENCY_EXPONENTS, parse_decimal, round_minor
from praho_cli.result import ErrorCode, PrahoFailure

REPORTING_CURRENCY = "RON"
MAX_RATE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class FxRate:
    """``rate`` RON for one unit of ``currency`` on ``day``, as published by ``source``."""

    currency: str
    rate: Decimal
    day: date
    source: str


def parse_fx_rate(text: str) -> Decimal:
    value = parse_decimal(text, "exchange rate")
    if value <= 0 or -value.as_tuple().exponent > MAX_RATE_DECIMALS:  # type: ignore[operator]
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"Invalid exchange rate {text!r}: positive, at most {MAX_RATE_DECIMALS} decimals",
        )
    return value


def rate_for(rates: Iterable[FxRate], currency: str, tax_point: date) -> FxRate:
    """The latest rate for ``currency`` on or before ``tax_point``."""
    best: FxRate | None = None
    for r in rates:
        if r.currency == currency and r.day <= tax_point and (best is None or r.day > best.day):
            best = r
    if best is None:
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"No {currency}/{REPORTING_CURRENCY} exchange rate on or before {tax_point.isoformat()}; "
            f"record one with `praho fx set {currency} RATE --date {tax_point.isoformat()}`",
            currency=currency, tax_point=tax_point.isoformat(),
        )
    return best


def to_reporting_minor(amount_minor: int, currency: str, rate: Decimal, rounding: str = "half_up") -> int:
    """Convert minor units of ``currency`` to bani at ``rate`` (RON per unit), rounded once."""
    shift = CURRENCY_EXPONENTS[REPORTING_CURRENCY] - CURRENCY_EXPONENTS[currency]
    return round_minor(Decimal(amount_minor) * rate * Decimal(10) ** shift, rounding)
