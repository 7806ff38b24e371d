"""Pricing a document: the seller's and customer's tax profiles, the VAT regime, the rates at the tax
point, and writing the priced lines and totals onto the document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.regime import RegimeDecision, SellerTaxProfile, TaxParty, decide_regime
from praho_cli.billing.totals import DocumentTotals, LineInput, PricedLine, compute_totals, price_lines
from praho_cli.ledger import documents as ledger
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine
from praho_cli.services.billing import tax as tax_service
from praho_cli.services.billing.documents.lines import AmountLimits, check_draft_total
from praho_cli.services.context import ServiceContext


def rounding(ctx: ServiceContext) -> str:
    return str(ctx.setting("billing.rounding") or "half_up")


def seller_profile(ctx: ServiceContext) -> SellerTaxProfile:
    vat_payer = ctx.setting("seller.vat_payer")
    oss = ctx.setting("seller.oss_registered")
    return SellerTaxProfile(
        country=str(ctx.setting("seller.country") or "RO").upper(),
        vat_registered=True if vat_payer is None else bool(vat_payer),
        oss_registered=True if oss is None else bool(oss),
    )


def tax_party(customer: Customer) -> TaxParty:
    vat_id = customer.vat_number or (f"RO{customer.cui}" if customer.cui and customer.vat_payer else None)
    return TaxParty(customer.country, vat_id, is_business=customer.kind == "company")


def price_draft(
    session: Session, ctx: ServiceContext, customer: Customer, lines: Sequence[LineInput], tax_point: date,
) -> tuple[RegimeDecision, DocumentTotals]:
    decision = decide_regime(seller_profile(ctx), tax_party(customer))
    rates = tax_service.load_rates(session, decision.rate_country)
    mode = rounding(ctx)
    totals = compute_totals(price_lines(lines, decision, rates, tax_point, mode), mode)
    return decision, totals


def write_lines(session: Session, document: BillingDocument, lines: Sequence[PricedLine]) -> None:
    ledger.delete_lines(session, document.id)
    for position, line in enumerate(lines, start=1):
        session.add(DocumentLine(
            document_id=document.id or 0, position=position, description=line.description,
            quantity=str(line.quantity), unit_price_minor=line.unit_price_minor, category=line.category.value,
            vat_code=line.vat_code, vat_rate=str(line.vat_rate), net_minor=line.net_minor,
        ))


def apply_totals(document: BillingDocument, decision: RegimeDecision | None, totals: DocumentTotals) -> None:
    document.net_minor, document.vat_minor, document.total_minor = (
        totals.net_minor, totals.vat_minor, totals.total_minor)
    if decision is not None:
        document.vat_regime = decision.regime.value
        document.vat_mention = decision.mention


def reprice(session: Session, ctx: ServiceContext, document: BillingDocument, lines: Sequence[LineInput]) -> None:
    """Price a draft's lines at its tax point (today when it has none) and store them with its totals."""
    customer = session.get(Customer, document.customer_id)
    assert customer is not None  # a foreign key guarantees it
    tax_point = document.tax_point or ctx.today()
    decision, totals = price_draft(session, ctx, customer, lines, tax_point)
    check_draft_total(DocumentKind(document.kind), totals, AmountLimits.of(ctx, document.currency))
    write_lines(session, document, totals.lines)
    apply_totals(document, decision, totals)
    document.rounding = rounding(ctx)
    document.updated_at = ctx.now()
    document.version += 1
    session.add(document)
    session.flush()
