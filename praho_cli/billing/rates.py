"""The versioned VAT rate table: seed data and selection by tax point date.

A rate is chosen by the **tax point** (date of supply), never the issue date: an invoice issued on
5 August 2025 for hosting supplied in July 2025 carries Romania's old 19 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from praho_cli.result import ErrorCode, PrahoFailure


class VatCategory(StrEnum):
    """What a line is, for VAT. ``reduced2`` is a member state's second reduced rate (Romania's 5 %
    until 2025-07-31); in EN 16931 both reduced rates are category S with their own rate."""

    STANDARD = "standard"
    REDUCED = "reduced"
    REDUCED2 = "reduced2"
    ZERO = "zero"
    EXEMPT = "exempt"


# Zero-rated and exempt supplies carry 0 % by definition; only these categories have a rate table.
RATED_CATEGORIES: frozenset[VatCategory] = frozenset(
    {VatCategory.STANDARD, VatCategory.REDUCED, VatCategory.REDUCED2}
)


@dataclass(frozen=True, slots=True)
class VatRate:
    country: str
    category: VatCategory
    rate: Decimal  # percent, e.g. Decimal("19") or Decimal("25.5")
    valid_from: date
    valid_to: date | None = None  # inclusive; None = still valid

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def parse_category(text: str) -> VatCategory:
    try:
        return VatCategory(text.strip().lower())
    except ValueError:
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"Unknown VAT category {text!r} (valid: {', '.join(c.value for c in VatCategory)})",
            valid=[c.value for c in VatCategory],
        ) from None


def parse_rate(text: str) -> Decimal:
    """A percent between 0 and 100 with at most two decimals ('21', '25.5', '5,5')."""
    from praho_cli.money import parse_decimal

    value = parse_decimal(text.rstrip("%"), "VAT rate")
    if value < 0 or value > 100 or -value.as_tuple().exponent > 2:  # type: ignore[operator]
        raise PrahoFailure.of(ErrorCode.INVALID, f"Invalid VAT rate {text!r}: a percent 0-100, two decimals")
    return value.normalize() if value == value.to_integral() else value


_OSS_START = date(2021, 7, 1)  # the One-Stop Shop started on 1 July 2021


def _seed() -> tuple[VatRate, ...]:
    S, R, R2 = VatCategory.STANDARD, VatCategory.REDUCED, VatCategory.REDUCED2
    d = date
    rows: list[VatRate] = [
        # Romania: Law 141/2025 raised the standard rate to 21 % and merged both reduced rates
        # (9 % and 5 %) into 11 % for supplies from 1 August 2025.
        VatRate("RO", S, Decimal("19"), d(2017, 1, 1), d(2025, 7, 31)),
        VatRate("RO", S, Decimal("21"), d(2025, 8, 1)),
        VatRate("RO", R, Decimal("9"), d(2017, 1, 1), d(2025, 7, 31)),
        VatRate("RO", R, Decimal("11"), d(2025, 8, 1)),
        VatRate("RO", R2, Decimal("5"), d(2017, 1, 1), d(2025, 7, 31)),
        VatRate("RO", R2, Decimal("11"), d(2025, 8, 1)),
        # Standard rates that changed since the OSS started.
        VatRate("EE", S, Decimal("20"), _OSS_START, d(2023, 12, 31)),
        VatRate("EE", S, Decimal("22"), d(2024, 1, 1), d(2025, 6, 30)),
        VatRate("EE", S, Decimal("24"), d(2025, 7, 1)),
        VatRate("FI", S, Decimal("24"), _OSS_START, d(2024, 8, 31)),
        VatRate("FI", S, Decimal("25.5"), d(2024, 9, 1)),
        VatRate("LU", S, Decimal("17"), _OSS_START, d(2022, 12, 31)),
        VatRate("LU", S, Decimal("16"), d(2023, 1, 1), d(2023, 12, 31)),
        VatRate("LU", S, Decimal("17"), d(2024, 1, 1)),
        VatRate("SK", S, Decimal("20"), _OSS_START, d(2024, 12, 31)),
        VatRate("SK", S, Decimal("23"), d(2025, 1, 1)),
    ]
    unchanged = {
        "AT": "20", "BE": "21", "BG": "20", "HR": "25", "CY": "19", "CZ": "21", "DK": "25",
        "FR": "20", "DE": "19", "GR": "24", "HU": "27", "IE": "23", "IT": "22", "LV": "21",
        "LT": "21", "MT": "18", "NL": "21", "PL": "23", "PT": "23", "SI": "22", "ES": "21",
        "SE": "25",
    }
    rows += [VatRate(c, S, Decimal(r), _OSS_START) for c, r in unchanged.items()]
    return tuple(rows)


SEED_RATES: tuple[VatRate, ...] = _seed()


def select_rate(
    rates: Iterable[VatRate], country: str, category: VatCategory, tax_point: date
) -> VatRate:
    """The one rate for ``country``/``category`` valid on ``tax_point``.

    No rate is an ``invalid`` failure naming ``praho tax set``; two overlapping rows are a
    ``conflict`` (the table must be fixed, not guessed from).
    """
    matches = [r for r in rates if r.country == country and r.category == category
               and r.applies_on(tax_point)]
    if not matches:
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"No {category.value} VAT rate for {country} on {tax_point.isoformat()}; "
            f"add one with `praho tax set`",
            country=country, category=category.value, tax_point=tax_point.isoformat(),
        )
    if len(matches) > 1:
        raise PrahoFailure.of(
            ErrorCode.CONFLICT,
            f"Overlapping {category.value} VAT rates for {country} on {tax_point.isoformat()}",
            country=country, category=category.value, rates=[str(r.rate) for r in matches],
        )
    return matches[0]


def check_overlap(existing: Iterable[VatRate], new: VatRate) -> None:
    """Refuse a new rate whose validity overlaps another of the same country and category."""
    far = date.max
    for r in existing:
        if r.country != new.country or r.category != new.category:
            continue
        if r.valid_from <= (new.valid_to or far) and new.valid_from <= (r.valid_to or far):
            raise PrahoFailure.of(
                ErrorCode.CONFLICT,
                f"{new.country} {new.category.value} rate from {new.valid_from.isoformat()} overlaps "
                f"{r.rate}% valid {r.valid_from.isoformat()}..{r.valid_to.isoformat() if r.valid_to else ''}"
                "; end the old rate with --until first or pick other dates",
                country=new.country, category=new.category.value,
            )
