"""Money as integer minor units plus an ISO 4217 code (docs/billing.md).

Input is parsed with :class:`~decimal.Decimal`, never ``float``; an amount with more decimals than
its currency has is refused (``invalid`` → exit 2) instead of being silently truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from praho_cli.result import ErrorCode, PrahoFailure

# ISO 4217 minor-unit exponents. Every currency of an EU member state, the usual trading partners,
# and the 0- and 3-decimal currencies that catch code assuming "cents" everywhere.
CURRENCY_EXPONENTS: dict[str, int] = {
    # EU member-state currencies
    "EUR": 2,
    "RON": 2,
    "BGN": 2,
    "CZK": 2,
    "DKK": 2,
    "HUF": 2,
    "PLN": 2,
    "SEK": 2,
    # Europe outside the EU
    "GBP": 2,
    "CHF": 2,
    "NOK": 2,
    "ISK": 0,
    "MDL": 2,
    "RSD": 2,
    "UAH": 2,
    "TRY": 2,
    "ALL": 2,
    "MKD": 2,
    "BAM": 2,
    "GEL": 2,
    # elsewhere
    "USD": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CNY": 2,
    "HKD": 2,
    "SGD": 2,
    "INR": 2,
    "ILS": 2,
    "AED": 2,
    "ZAR": 2,
    "BRL": 2,
    "MXN": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "BHD": 3,
    "KWD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}

ROUNDING_MODES: dict[str, str] = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

_AMOUNT_RE = re.compile(r"^(?P<sign>[+-])?(?P<digits>[0-9][0-9.,]*)$")


def _invalid(message: str, **details: Any) -> PrahoFailure:
    return PrahoFailure.of(ErrorCode.INVALID, message, **details)


def currency_exponent(currency: str) -> int:
    """Number of decimals of ``currency`` (ISO 4217); unknown codes are invalid input."""
    code = currency.strip().upper()
    try:
        return CURRENCY_EXPONENTS[code]
    except KeyError:
        raise _invalid(f"Unknown currency {currency!r} (expected an ISO 4217 code such as RON, EUR)",
                       currency=currency) from None


# The name the output renderer asks for.
exponent_of = currency_exponent


def normalize_currency(currency: str) -> str:
    """Upper-case, validated ISO 4217 code."""
    code = currency.strip().upper()
    currency_exponent(code)
    return code


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in minor units (bani, cents, yen) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units")
        if self.currency not in CURRENCY_EXPONENTS:
            raise _invalid(f"Unknown currency {self.currency!r}", currency=self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, normalize_currency(currency))

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-self.exponent)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise _invalid(f"Cannot combine {self.currency} with {other.currency}",
                           currencies=[self.currency, other.currency])

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __str__(self) -> str:
        return format_money(self)


def _split_number(text: str) -> tuple[str, str]:
    """Return (integer digits, fraction digits) from '1234', '12,50', '1.234,56', '1,234.56'."""
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, _, fraction = text.rpartition(decimal_sep)
        if decimal_sep in whole:
            raise _invalid(f"Invalid amount {text!r}: more than one decimal separator")
        groups = whole.split(group_sep)
        if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise _invalid(f"Invalid amount {text!r}: digit groups must be of three")
        return "".join(groups), fraction
    sep = "." if has_dot else "," if has_comma else ""
    if not sep:
        return text, ""
    if text.count(sep) > 1:
        raise _invalid(f"Invalid amount {text!r}: ambiguous separators (write 1234.56 or 1234,56)")
    whole, _, fraction = text.partition(sep)
    return whole, fraction


def parse_decimal(text: str, what: str = "number") -> Decimal:
    """Parse a plain decimal ('2', '1.5', '1,5') without a currency; used for quantities."""
    raw = text.strip().replace(" ", "").replace("_", "")
    match = _AMOUNT_RE.match(raw)
    if not match:
        raise _invalid(f"Invalid {what} {text!r}")
    whole, fraction = _split_number(match["digits"])
    if not whole or not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise _invalid(f"Invalid {what} {text!r}")
    try:
        value = Decimal(f"{match['sign'] or ''}{whole}" + (f".{fraction}" if fraction else ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only digits
        raise _invalid(f"Invalid {what} {text!r}") from None
    return value


def parse_amount(text: str, default_currency: str, *, allow_negative: bool = False) -> Money:
    """Parse ``'12.50'``, ``'12,50 RON'``, ``'RON 12.50'`` or ``'1.234,56 EUR'`` into Money.

    More decimals than the currency has (``'1.005 RON'``, ``'5.5 JPY'``) is invalid input, as is a
    currency code the table does not know.
    """
    parts = text.strip().split()
    currency = default_currency
    if len(parts) == 2:
        if parts[0].isalpha():
            currency, number = parts[0], parts[1]
        elif parts[1].isalpha():
            number, currency = parts[0], parts[1]
        else:
            raise _invalid(f"Invalid amount {text!r}", amount=text)
    elif len(parts) == 1:
        number = parts[0]
    else:
        raise _invalid(f"Invalid amount {text!r}", amount=text)
    currency = normalize_currency(currency)
    if number != number.strip("_") or not _AMOUNT_RE.match(number):
        raise _invalid(f"Invalid amount {text!r}", amount=text)
    value = parse_decimal(number, "amount")
    exponent = CURRENCY_EXPONENTS[currency]
    fraction_digits = -value.as_tuple().exponent  # type: ignore[operator]
    if fraction_digits > exponent:
        raise _invalid(
            f"Amount {text.strip()!r} has more decimals than {currency} allows ({exponent})",
            amount=text.strip(), currency=currency, decimals=exponent,
        )
    if value < 0 and not allow_negative:
        raise _invalid(f"Amount {text.strip()!r} must not be negative", amount=text.strip())
    return Money(int(value.scaleb(exponent)), currency)


def round_minor(value: Decimal, mode: str = "half_up") -> int:
    """Round an amount already expressed in minor units to an integer (half-up by default)."""
    try:
        rounding = ROUNDING_MODES[mode]
    except KeyError:
        raise _invalid(f"Unknown rounding mode {mode!r}", valid=sorted(ROUNDING_MODES)) from None
    return int(value.quantize(Decimal(1), rounding=rounding))


def format_minor(minor: int, currency: str) -> str:
    """'12.50' for 1250 RON, '1250' for 1250 JPY (no grouping: safe to parse back)."""
    exponent = currency_exponent(currency)
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"


def format_money(money: Money) -> str:
    """'1234.50 RON'."""
    return f"{format_minor(money.minor, money.currency)} {money.currency}"
