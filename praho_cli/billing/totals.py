"""Document totals: line nets rounded per line, VAT per rate category on the category base.

This is the order EN 16931 prescribes, so on every document
- BR-CO-10: sum of line net amounts = invoice total net, and
- BR-CO-17: category VAT = category taxable base × category rate, rounded to the minor unit.
Rounding the VAT of each line and summing would break BR-CO-17 on mixed documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from praho_cli.billing.rates import RATED_CATEGORIES, VatCategory, VatRate, select_rate
from praho_cli.billing.regime import RegimeDecision
from praho_cli.money import round_minor
from praho_cli.result import ErrorCode, PrahoFailure

MAX_QUANTITY_DECIMALS = 4
MAX_QUANTITY = Decimal(1_000_000_000)  # of one line; amounts have their own (configurable) maximum


@dataclass(frozen=True, slots=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price_minor: int
    category: VatCategory = VatCategory.STANDARD


@dataclass(frozen=True, slots=True)
class PricedLine:
    description: str
    quantity: Decimal
    unit_price_minor: int
    category: VatCategory
    vat_code: str  # EN 16931 / UNTDID 5305: S, Z, E, AE, O
    vat_rate: Decimal  # percent
    net_minor: int


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    vat_code: str
    vat_rate: Decimal
    base_minor: int
    vat_minor: int


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    lines: tuple[PricedLine, ...]
    breakdown: tuple[VatBreakdown, ...]
    net_minor: int
    vat_minor: int
    total_minor: int


def check_quantity(quantity: Decimal) -> Decimal:
    if quantity == 0 or -quantity.as_tuple().exponent > MAX_QUANTITY_DECIMALS:  # type: ignore[operator]
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"Invalid quantity {quantity}: non-zero, at most {MAX_QUANTITY_DECIMALS} decimals",
        )
    if abs(quantity) > MAX_QUANTITY:
        raise PrahoFailure.of(ErrorCode.INVALID, f"Invalid quantity {quantity}: at most {MAX_QUANTITY} per line")
    return quantity


def line_net(quantity: Decimal, unit_price_minor: int, rounding: str = "half_up") -> int:
    return round_minor(quantity * unit_price_minor, rounding)


def category_vat(base_minor: int, rate: Decimal, rounding: str = "half_up") -> int:
    return round_minor(Decimal(base_minor) * rate / 100, rounding)


def price_lines(
    lines: Iterable[LineInput],
    decision: RegimeDecision,
    rates: Sequence[VatRate],
    tax_point: date,
    rounding: str = "half_up",
) -> list[PricedLine]:
    """Attach the EN 16931 code and the rate valid on ``tax_point`` to every line."""
    priced = []
    for line in lines:
        code = decision.en16931_code(line.category)
        if decision.charges_vat and line.category in RATED_CATEGORIES:
            rate = select_rate(rates, decision.rate_country, line.category, tax_point).rate
        else:
            rate = Decimal(0)
        priced.append(PricedLine(
            line.description, line.quantity, line.unit_price_minor, line.category, code, rate,
            line_net(line.quantity, line.unit_price_minor, rounding),
        ))
    return priced


def compute_totals(priced: Iterable[PricedLine], rounding: str = "half_up") -> DocumentTotals:
    lines = tuple(priced)
    bases: dict[tuple[str, Decimal], int] = {}
    for line in lines:
        key = (line.vat_code, line.vat_rate)
        bases[key] = bases.get(key, 0) + line.net_minor
    breakdown = tuple(
        VatBreakdown(code, rate, base, category_vat(base, rate, rounding))
        for (code, rate), base in sorted(bases.items(), key=lambda kv: (-kv[0][1], kv[0][0]))
    )
    net = sum(line.net_minor for line in lines)
    vat = sum(b.vat_minor for b in breakdown)
    totals = DocumentTotals(lines, breakdown, net, vat, net + vat)
    check_en16931(totals, rounding)
    return totals


def check_en16931(totals: DocumentTotals, rounding: str = "half_up") -> None:
    """Assert BR-CO-10 and BR-CO-17 (and the totals' sums); a failure here is a bug, not input."""
    if sum(line.net_minor for line in totals.lines) != totals.net_minor:
        raise PrahoFailure.of(ErrorCode.INTERNAL, "BR-CO-10 violated: line nets do not sum to total net")
    if sum(b.base_minor for b in totals.breakdown) != totals.net_minor:
        raise PrahoFailure.of(ErrorCode.INTERNAL, "BR-CO-13 violated: VAT bases do not sum to total net")
    for b in totals.breakdown:
        if b.vat_minor != category_vat(b.base_minor, b.vat_rate, rounding):
            raise PrahoFailure.of(ErrorCode.INTERNAL, f"BR-CO-17 violated for {b.vat_code} {b.vat_rate}%")
    if totals.total_minor != totals.net_minor + totals.vat_minor:
        raise PrahoFailure.of(ErrorCode.INTERNAL, "BR-CO-15 violated: total is not net + VAT")


def negate(lines: Iterable[PricedLine]) -> list[PricedLine]:
    """Lines of a full credit note (storno): same prices and rates, negative quantities.

    Half-up rounds away from zero, so every negated line net and category VAT is exactly the
    opposite of the original's and the storno cancels the invoice to the last minor unit.
    """
    return [
        PricedLine(line.description, -line.quantity, line.unit_price_minor, line.category,
                   line.vat_code, line.vat_rate, -line.net_minor)
        for line in lines
    ]
