"""How a refund amount becomes credit-note lines, per VAT rate category of the original invoice.

Pure arithmetic, no ledger. The refund amount is money (VAT included) that leaves the company; the
credit note must total exactly that amount, keep the original invoice's rates (never today's), and
still satisfy EN 16931 BR-CO-17 (category VAT = category base × rate, rounded) because billing
recomputes every document's VAT from its lines.

1. The amount is spread over the invoice's categories in proportion to what each still has to be
   credited (largest-remainder method: the shares add up to the amount exactly).
2. Each share becomes a base whose base + VAT equals the share. Some gross amounts cannot be reached
   at a given rate (at 21 %, a base of 2 bani is 2 gross and a base of 3 is 4 gross: nothing gives 3),
   so such a share keeps the nearest base below and carries one minor unit over.
3. A carried unit first goes to another category where one more unit of base adds exactly one unit
   of gross (a 0 % category always can); only if no category can take it does it become an explicit
   "rounding difference" line not subject to VAT. Every minor unit is on a line of the credit note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from praho_cli.billing.rates import VatCategory
from praho_cli.billing.totals import PricedLine, category_vat

ROUNDING_LINE = "Rounding difference of the VAT split (not subject to VAT)"


@dataclass(frozen=True, slots=True)
class CategoryRemainder:
    """One (VAT code, rate) group of the original invoice and what is still to be credited in it."""

    vat_code: str
    vat_rate: Decimal
    category: VatCategory
    base_minor: int
    vat_minor: int

    @property
    def gross_minor(self) -> int:
        return self.base_minor + self.vat_minor


def gross_of(base_minor: int, rate: Decimal, rounding: str = "half_up") -> int:
    return base_minor + category_vat(base_minor, rate, rounding)


def spread(amount_minor: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount_minor`` in proportion to ``weights`` so that the parts sum to it exactly."""
    total = sum(max(w, 0) for w in weights)
    if total <= 0:
        parts = [0] * len(weights)
        if parts:
            parts[0] = amount_minor
        return parts
    raw = [amount_minor * max(w, 0) for w in weights]
    parts = [r // total for r in raw]
    left = amount_minor - sum(parts)
    # Largest fractional part first; ties keep the invoice's category order (deterministic).
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def base_for_gross(gross_minor: int, rate: Decimal, rounding: str = "half_up",
                   prefer: int | None = None) -> tuple[int, int]:
    """The base whose base + VAT is ``gross_minor`` → (base, 0); when no base reaches it exactly,
    the largest base below → (base, the minor units left over)."""
    if prefer is not None and gross_of(prefer, rate, rounding) == gross_minor:
        return prefer, 0
    guess = int((Decimal(gross_minor) * 100 / (100 + rate)).to_integral_value())
    best = None
    for base in range(max(guess - 2, 0), guess + 3):
        gross = gross_of(base, rate, rounding)
        if gross == gross_minor:
            return base, 0
        if gross < gross_minor and (best is None or base > best):
            best = base
    base = best if best is not None else 0
    return base, gross_minor - gross_of(base, rate, rounding)


def credit_lines(
    remainders: Sequence[CategoryRemainder], amount_minor: int, label: str, rounding: str = "half_up"
) -> list[PricedLine]:
    """Credit-note lines (negative quantities) that credit exactly ``amount_minor`` over ``remainders``."""
    shares = spread(amount_minor, [r.gross_minor for r in remainders])
    bases: list[int] = []
    carried = 0
    for remainder, share in zip(remainders, shares, strict=True):
        prefer = remainder.base_minor if share == remainder.gross_minor else None
        base, left = base_for_gross(share, remainder.vat_rate, rounding, prefer)
        bases.append(base)
        carried += left
    # Zero-rated categories first: one more unit of base there is exactly one more unit of gross.
    candidates = sorted(range(len(remainders)), key=lambda i: (remainders[i].vat_rate != 0, -bases[i], i))
    while carried > 0:
        for i in candidates:
            rate = remainders[i].vat_rate
            if gross_of(bases[i] + 1, rate, rounding) == gross_of(bases[i], rate, rounding) + 1:
                bases[i] += 1
                carried -= 1
                break
        else:
            break
    lines = [
        PricedLine(f"{label}: {r.vat_code} {r.vat_rate}%", Decimal(-1), base, r.category, r.vat_code,
                   r.vat_rate, -base)
        for r, base in zip(remainders, bases, strict=True) if base > 0
    ]
    if carried > 0:
        lines.append(PricedLine(ROUNDING_LINE, Decimal(-1), carried, VatCategory.EXEMPT, "O", Decimal(0), -carried))
    return lines
