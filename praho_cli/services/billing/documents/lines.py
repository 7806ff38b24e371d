"""Document lines: parsing a ``--line`` argument, the amount limits of a draft, and the stored lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.rates import parse_category
from praho_cli.billing.totals import DocumentTotals, LineInput, PricedLine, check_quantity
from praho_cli.ledger import documents as ledger
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.money import currency_exponent, format_minor, parse_amount, parse_decimal
from praho_cli.result import ErrorCode, fail
from praho_cli.services.billing.documents.lookup import kind_label
from praho_cli.services.context import ServiceContext

MAX_LINES = 500

# Which kinds of document a draft's line may carry a negative quantity on, and which may total
# zero or less. Invoices and proformas charge: a correction is a credit note (cancel, refunds),
# which billing issues from the corrected invoice's lines, never from a draft.
NEGATIVE_LINES_ALLOWED = frozenset({DocumentKind.CREDIT_NOTE})


@dataclass(frozen=True)
class AmountLimits:
    """The largest unit price / line net and document total of a draft, in minor units."""

    currency: str
    line_minor: int
    document_minor: int

    @classmethod
    def of(cls, ctx: ServiceContext, currency: str) -> AmountLimits:
        scale = 10 ** currency_exponent(currency)
        return cls(currency, int(ctx.setting("billing.max_line_amount") or 1_000_000_000) * scale,
                   int(ctx.setting("billing.max_document_amount") or 1_000_000_000) * scale)

    def money(self, minor: int | Decimal) -> str:
        return f"{format_minor(int(minor), self.currency)} {self.currency}"


def parse_line(text: str, currency: str, kind: DocumentKind, limits: AmountLimits) -> LineInput:
    """``"description|quantity|unit price|category"``; quantity defaults to 1, category to standard."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 3 or len(parts) > 4 or not parts[0]:
        raise fail(
            ErrorCode.INVALID,
            f"invalid line {text!r}: expected \"description|quantity|unit price[|category]\"",
        )
    description, quantity_text, price_text = parts[:3]
    if len(description) > 500:
        raise fail(ErrorCode.INVALID, "line description: at most 500 characters")
    quantity = check_quantity(parse_decimal(quantity_text or "1", "quantity"))
    if quantity < 0 and kind not in NEGATIVE_LINES_ALLOWED:
        raise fail(ErrorCode.INVALID, f"Invalid quantity {quantity}: quantities on {kind_label(kind)}s "
                   "are positive (a correction is a credit note: invoices cancel or refunds create)")
    price = parse_amount(price_text, currency)
    if price.currency != currency:
        raise fail(ErrorCode.INVALID, f"line price in {price.currency} on a {currency} document")
    if price.minor > limits.line_minor:
        raise fail(ErrorCode.INVALID, f"line {description!r}: unit price {limits.money(price.minor)} is "
                   f"more than the maximum of {limits.money(limits.line_minor)} "
                   "(billing.max_line_amount)")
    net = abs(quantity * price.minor)  # compared before any rounding to the minor unit
    if net > limits.line_minor:
        raise fail(ErrorCode.INVALID, f"line {description!r}: {quantity} × {limits.money(price.minor)} "
                   f"is more than the maximum of {limits.money(limits.line_minor)} per line "
                   "(billing.max_line_amount)")
    category = parse_category(parts[3]) if len(parts) == 4 and parts[3] else parse_category("standard")
    return LineInput(description, quantity, price.minor, category)


def check_draft_total(kind: DocumentKind, totals: DocumentTotals, limits: AmountLimits) -> None:
    """A draft with lines charges something, and no more than the document maximum."""
    if not totals.lines or kind in NEGATIVE_LINES_ALLOWED:
        return
    if totals.total_minor <= 0:
        raise fail(ErrorCode.INVALID, f"the {kind_label(kind)} would total "
                   f"{limits.money(totals.total_minor)}: it must charge something (remove the free "
                   "lines or add a charged one)")
    if totals.total_minor > limits.document_minor:
        raise fail(ErrorCode.INVALID, f"the {kind_label(kind)} would total "
                   f"{limits.money(totals.total_minor)}, more than the maximum of "
                   f"{limits.money(limits.document_minor)} per document (billing.max_document_amount)")


def _priced_line(description: str, quantity: str, unit_price: int, category: str, vat_code: str, vat_rate: str,
                 net: int) -> PricedLine:
    """A stored line (the columns of ledger.documents.line_values, in order) as pricing knows it."""
    return PricedLine(description, Decimal(quantity), unit_price, parse_category(category), vat_code,
                      Decimal(vat_rate), net)


def priced_lines(session: Session, document: BillingDocument) -> list[PricedLine]:
    """The document's stored lines, in order (plain rows: nothing here needs them as ORM objects)."""
    return [_priced_line(*row) for row in ledger.line_values(session, document.id or 0)]


def line_inputs(session: Session, document: BillingDocument) -> list[LineInput]:
    return [LineInput(p.description, p.quantity, p.unit_price_minor, p.category)
            for p in priced_lines(session, document)]
