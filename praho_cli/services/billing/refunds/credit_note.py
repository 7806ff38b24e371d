"""The lines of a refund's credit note: a storno of the whole invoice, or the amount split over the
invoice's VAT groups (:mod:`.vat_split`) minus what earlier credit notes took."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from praho_cli.billing.rates import VatCategory
from praho_cli.billing.totals import PricedLine, compute_totals, negate
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.services.billing.documents.lines import priced_lines
from praho_cli.services.billing.refunds.eligibility import label
from praho_cli.services.billing.refunds.vat_split import CategoryRemainder, credit_lines


def _remainders(session: Session, invoice: BillingDocument) -> list[CategoryRemainder]:
    """Per VAT group of the invoice: its base and VAT minus what earlier credit notes took."""
    original = compute_totals(priced_lines(session, invoice), invoice.rounding)
    categories: dict[tuple[str, Decimal], VatCategory] = {}
    for line in original.lines:
        categories.setdefault((line.vat_code, line.vat_rate), line.category)
    base = {(b.vat_code, b.vat_rate): b.base_minor for b in original.breakdown}
    vat = {(b.vat_code, b.vat_rate): b.vat_minor for b in original.breakdown}
    for note in repo.credit_notes_of(session, invoice.id or 0):
        for b in compute_totals(priced_lines(session, note), note.rounding).breakdown:
            key = (b.vat_code, b.vat_rate)
            if key in base:  # a rounding-difference line belongs to no category of the invoice
                base[key] += b.base_minor
                vat[key] += b.vat_minor
    return [CategoryRemainder(code, rate, categories[(code, rate)], base[(code, rate)], vat[(code, rate)])
            for (code, rate) in base]


def credit_note_lines(session: Session, invoice: BillingDocument, amount_minor: int) -> list[PricedLine]:
    if amount_minor == invoice.total_minor and not repo.has_corrections(session, invoice.id or 0):
        # Everything back at once: a storno of every line, which cancels the invoice to the last unit.
        return negate(priced_lines(session, invoice))
    return credit_lines(_remainders(session, invoice), amount_minor,
                        f"Refund of invoice {label(invoice)} of {invoice.issue_date}", invoice.rounding)
