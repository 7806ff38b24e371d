"""Credit notes: the correction of an issued invoice, by the refunds work or a cancel's storno."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import Session

from praho_cli.billing.fx import to_reporting_minor
from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.totals import PricedLine, compute_totals
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.result import ErrorCode, fail
from praho_cli.services.billing import series as series_service
from praho_cli.services.billing.documents.issuing import number_document, require_seller, seller_snapshot
from praho_cli.services.billing.documents.pricing import apply_totals, write_lines
from praho_cli.services.context import ServiceContext


def issue_credit_note(
    session: Session, ctx: ServiceContext, invoice: BillingDocument, lines: Sequence[PricedLine], reason: str,
) -> BillingDocument:
    """Issue a credit note correcting ``invoice`` with ``lines`` (negative quantities).

    The lines keep the invoice's frozen rates and its tax point, and the invoice's frozen exchange
    rate: a correction is taxed as the supply it corrects. The refunds work calls this with the
    lines it refunds; cancelling calls it with every line negated (a storno).
    """
    if not lines:
        raise fail(ErrorCode.INVALID, "a credit note needs at least one line")
    require_seller(ctx)
    series = series_service.series_for_new_document(session, ctx, DocumentKind.CREDIT_NOTE, None).unwrap()
    now = ctx.now()
    issue_date = ctx.date_of(now)
    totals = compute_totals(lines, invoice.rounding)
    note = BillingDocument(
        kind=DocumentKind.CREDIT_NOTE.value, status="issued", series_id=series.id or 0,
        customer_id=invoice.customer_id, currency=invoice.currency, tax_point=invoice.tax_point,
        due_days=0, vat_regime=invoice.vat_regime, vat_mention=invoice.vat_mention, rounding=invoice.rounding,
        fx_rate=invoice.fx_rate, fx_day=invoice.fx_day, fx_source=invoice.fx_source,
        seller_json=json.dumps(seller_snapshot(ctx), sort_keys=True, ensure_ascii=False),
        customer_json=invoice.customer_json, corrects_id=invoice.id, reason=reason,
        issue_date=issue_date, due_date=issue_date, issued_at=now, created_at=now, updated_at=now,
    )
    apply_totals(note, None, totals)
    if note.fx_rate is not None:
        note.vat_ron_minor = to_reporting_minor(note.vat_minor, note.currency, Decimal(note.fx_rate), note.rounding)
    session.add(note)
    session.flush()
    write_lines(session, note, totals.lines)
    number_document(session, note, issue_date)
    session.add(note)
    session.flush()
    return note
