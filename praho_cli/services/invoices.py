"""Invoices and the document machinery shared with proformas and credit notes.

A document is a draft (no number, editable, deletable) until it is issued: issuing freezes the
seller and customer snapshots, the VAT regime and rates of the tax point, the totals and (for a
foreign currency) the exchange rate, and takes the next number of its series in the same
transaction. Issued documents are never deleted or edited; corrections are credit notes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlmodel import Session, col

from praho_cli.billing.fx import REPORTING_CURRENCY, to_reporting_minor
from praho_cli.billing.numbering import DocumentKind, counter_year
from praho_cli.billing.rates import parse_category
from praho_cli.billing.regime import (
    RegimeDecision,
    SellerTaxProfile,
    TaxParty,
    decide_regime,
    seller_vat_id_problem,
)
from praho_cli.billing.totals import (
    DocumentTotals,
    LineInput,
    PricedLine,
    check_quantity,
    compute_totals,
    negate,
    price_lines,
)
from praho_cli.ledger import audit
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine, DocumentSeries, Payment
from praho_cli.money import currency_exponent, format_minor, normalize_currency, parse_amount, parse_decimal
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoFailure, Result, err
from praho_cli.services import fx as fx_service
from praho_cli.services import series as series_service
from praho_cli.services import tax as tax_service
from praho_cli.services.billing.customers import find_customer
from praho_cli.services.context import ServiceContext
from praho_cli.services.document_list import DOCUMENT, OPEN_STATUSES, DocumentFilter, list_documents
from praho_cli.services.idempotency import idempotent

MAX_LINES = 500

_LINE_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "position": {"type": "integer"}, "description": {"type": "string"}, "quantity": {"type": "string"},
    "unit_price_cents": {"type": "integer"}, "category": {"type": "string"}, "vat_code": {"type": "string"},
    "vat_rate": {"type": "string"}, "net_cents": {"type": "integer"},
}}
_BREAKDOWN_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "vat_code": {"type": "string"}, "vat_rate": {"type": "string"}, "base_cents": {"type": "integer"},
    "vat_cents": {"type": "integer"},
}}
_PAYMENT_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "string"}, "amount_cents": {"type": "integer"}, "method": {"type": "string"},
    "reference": {"type": ["string", "null"]}, "paid_at": {"type": "string", "format": "date"},
}}
_RELATED_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "relation": {"type": "string", "enum": ["corrects", "corrected_by", "converted_from", "converted_to"]},
    "id": {"type": "string"}, "kind": {"type": "string"}, "number": {"type": ["string", "null"]},
    "issue_date": {"type": ["string", "null"], "format": "date"}, "total_cents": {"type": "integer"},
}}

DOCUMENT_DETAIL = RecordType(
    name="document_detail",
    title="Billing document with lines",
    description="One document as shown by `invoices show`, `proformas show` and returned by create/issue.",
    fields=(
        *DOCUMENT.fields,
        Field("fiscal_year", "integer|null", "Fiscal year of the number (0 for series that never restart).",
              table=False),
        Field("due_days", "integer|null", "Days from issue to due date.", table=False),
        Field("vat_mention", "string|null", "Legal mention printed when no VAT is charged.", table=False),
        Field("fx_rate", "string|null", "Frozen RON per unit of the currency.", table=False),
        Field("fx_date", "string|null", "Day of the frozen rate.", table=False, format="date"),
        Field("fx_source", "string|null", "Source of the frozen rate.", table=False),
        Field("reason", "string|null", "Reason of a credit note.", table=False),
        Field("seller", "object|null", "Seller details frozen at issue.", table=False),
        Field("customer", "object|null", "Customer details frozen at issue.", table=False),
        Field("lines", "array", "Lines, in order.", table=False),
        Field("vat_breakdown", "array", "VAT per EN 16931 category and rate.", table=False),
        Field("payments", "array", "Payments received.", table=False),
        Field("related_documents", "array", "Credit notes, the corrected invoice, proforma ↔ invoice.",
              table=False),
        Field("issued_at", "string|null", "When it was issued (UTC).", table=False, format="date-time"),
        Field("cancelled_at", "string|null", "When it was cancelled (UTC).", table=False, format="date-time"),
        Field("created_at", "string", "When the draft was created (UTC).", table=False, format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
    ),
    extra_schema={"lines": {"items": _LINE_SCHEMA}, "vat_breakdown": {"items": _BREAKDOWN_SCHEMA},
                  "payments": {"items": _PAYMENT_SCHEMA}, "related_documents": {"items": _RELATED_SCHEMA}},
)

OVERDUE_RUN = RecordType(
    name="overdue_run",
    title="Overdue sweep",
    description="What `invoices mark-overdue` did.",
    fields=(
        Field("as_of", "string", "The date invoices were compared with (due before it = overdue).", format="date"),
        Field("marked", "integer", "Invoices moved to overdue by this run."),
        Field("already_overdue", "integer", "Invoices that were overdue before the run."),
        Field("invoices", "array", "Numbers of the invoices this run marked.", table=False),
    ),
    extra_schema={"invoices": {"items": {"type": "string"}}},
)


# --- inputs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DraftInput:
    customer: str
    currency: str | None = None
    tax_point: date | None = None
    due_days: int | None = None
    series: str | None = None
    lines: tuple[str, ...] = ()


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
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"invalid line {text!r}: expected \"description|quantity|unit price[|category]\"",
        )
    description, quantity_text, price_text = parts[:3]
    if len(description) > 500:
        raise PrahoFailure.of(ErrorCode.INVALID, "line description: at most 500 characters")
    quantity = check_quantity(parse_decimal(quantity_text or "1", "quantity"))
    if quantity < 0 and kind not in NEGATIVE_LINES_ALLOWED:
        raise PrahoFailure.of(ErrorCode.INVALID, f"Invalid quantity {quantity}: quantities on {kind_label(kind)}s "
                              "are positive (a correction is a credit note: invoices cancel or refunds create)")
    price = parse_amount(price_text, currency)
    if price.currency != currency:
        raise PrahoFailure.of(ErrorCode.INVALID, f"line price in {price.currency} on a {currency} document")
    if price.minor > limits.line_minor:
        raise PrahoFailure.of(ErrorCode.INVALID, f"line {description!r}: unit price {limits.money(price.minor)} is "
                              f"more than the maximum of {limits.money(limits.line_minor)} "
                              "(billing.max_line_amount)")
    net = abs(quantity * price.minor)  # compared before any rounding to the minor unit
    if net > limits.line_minor:
        raise PrahoFailure.of(ErrorCode.INVALID, f"line {description!r}: {quantity} × {limits.money(price.minor)} "
                              f"is more than the maximum of {limits.money(limits.line_minor)} per line "
                              "(billing.max_line_amount)")
    category = parse_category(parts[3]) if len(parts) == 4 and parts[3] else parse_category("standard")
    return LineInput(description, quantity, price.minor, category)


def _check_draft_total(kind: DocumentKind, totals: DocumentTotals, limits: AmountLimits) -> None:
    """A draft with lines charges something, and no more than the document maximum."""
    if not totals.lines or kind in NEGATIVE_LINES_ALLOWED:
        return
    if totals.total_minor <= 0:
        raise PrahoFailure.of(ErrorCode.INVALID, f"the {kind_label(kind)} would total "
                              f"{limits.money(totals.total_minor)}: it must charge something (remove the free "
                              "lines or add a charged one)")
    if totals.total_minor > limits.document_minor:
        raise PrahoFailure.of(ErrorCode.INVALID, f"the {kind_label(kind)} would total "
                              f"{limits.money(totals.total_minor)}, more than the maximum of "
                              f"{limits.money(limits.document_minor)} per document (billing.max_document_amount)")


# --- reading --------------------------------------------------------------------------------------
def _rounding(ctx: ServiceContext) -> str:
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


def kind_label(kind: DocumentKind) -> str:
    return {DocumentKind.INVOICE: "invoice", DocumentKind.PROFORMA: "proforma",
            DocumentKind.CREDIT_NOTE: "credit note"}[kind]


_BY_NUMBER = select(BillingDocument).where(col(BillingDocument.kind) == bindparam("kind"),
                                           col(BillingDocument.number_text) == bindparam("ref"))
_BY_ID = select(BillingDocument).where(col(BillingDocument.kind) == bindparam("kind"),
                                       col(BillingDocument.id) == bindparam("ref_id"))


def _locked(stmt: Any) -> Any:
    return (stmt.add_columns(Customer, DocumentSeries)
            .join(Customer, Customer.id == BillingDocument.customer_id)
            .join(DocumentSeries, DocumentSeries.id == BillingDocument.series_id)
            .with_for_update(of=BillingDocument)
            .execution_options(populate_existing=True))


# Built once: a statement's construction costs more than its (cached) compilation.
_LOCKED_BY_NUMBER, _LOCKED_BY_ID = _locked(_BY_NUMBER), _locked(_BY_ID)


def _lookups(kind: DocumentKind, ref: str, *, lock: bool) -> list[tuple[Any, dict[str, Any]]]:
    by_number = (_LOCKED_BY_NUMBER if lock else _BY_NUMBER, {"kind": kind.value, "ref": ref})
    if not ref.lstrip("#").isdigit():
        return [by_number]
    # Digits are an id first (drafts have nothing else), a number from a "{number}" template next.
    by_id = (_LOCKED_BY_ID if lock else _BY_ID, {"kind": kind.value, "ref_id": int(ref.lstrip("#"))})
    return [by_id, by_number]


_NOUNS = {DocumentKind.INVOICE: "invoices", DocumentKind.PROFORMA: "proformas",
          DocumentKind.CREDIT_NOTE: "credit-notes"}


def _not_found(kind: DocumentKind, ref: str, session: Session | None = None) -> Err:
    """Not found; when the reference names a document of another kind, say which and how to see it."""
    if session is not None:
        for other in DocumentKind:
            if other is kind:
                continue
            for stmt, params in _lookups(other, ref, lock=False):
                found = session.execute(stmt, {**params, "kind": other.value}).scalar_one_or_none()
                if found is not None:
                    what = (f"{found.number_text} is" if found.number_text == ref
                            else f"document {found.id} is")
                    label = kind_label(other)
                    article = "an" if label[0] in "aeiou" else "a"
                    return err(ErrorCode.NOT_FOUND, f"no {kind_label(kind)} {ref!r}: {what} {article} {label} "
                               f"(praho {_NOUNS[other]} show {ref})", kind=other.value)
    return err(ErrorCode.NOT_FOUND, f"no {kind_label(kind)} {ref!r} (give its number or id)")


def find_document(session: Session, kind: DocumentKind, ref: str, *, lock: bool = False) -> Result[BillingDocument]:
    """By number (``INV2026-000042``) or ledger id; ``lock`` takes the row lock (FOR UPDATE)."""
    if lock:
        return find_locked(session, kind, ref).map(lambda row: row[0])
    ref = ref.strip()
    for stmt, params in _lookups(kind, ref, lock=False):
        found = session.execute(stmt, params).scalar_one_or_none()
        if found is not None:
            return Ok(found)
    return _not_found(kind, ref, session)


def find_locked(
    session: Session, kind: DocumentKind, ref: str
) -> Result[tuple[BillingDocument, Customer, DocumentSeries]]:
    """The document, locked (FOR UPDATE) and read fresh, with its customer and series in the same
    round trip (only the document's row is locked). Holding the three keeps them in the session's
    identity map, so later ``session.get`` calls for them cost no query."""
    ref = ref.strip()
    for stmt, params in _lookups(kind, ref, lock=True):
        row = session.execute(stmt, params).first()
        if row is not None:
            return Ok((row[0], row[1], row[2]))
    return _not_found(kind, ref, session)


_LINES = DocumentLine.__table__  # type: ignore[attr-defined]
_LINES_OF = (
    select(_LINES.c.description, _LINES.c.quantity, _LINES.c.unit_price_minor, _LINES.c.category,
           _LINES.c.vat_code, _LINES.c.vat_rate, _LINES.c.net_minor)
    .where(_LINES.c.document_id == bindparam("document_id"))
    .order_by(_LINES.c.position)
)


def _priced_line(description: str, quantity: str, unit_price: int, category: str, vat_code: str, vat_rate: str,
                 net: int) -> PricedLine:
    """A stored line (the columns of _LINES_OF, in order) as pricing knows it."""
    return PricedLine(description, Decimal(quantity), unit_price, parse_category(category), vat_code,
                      Decimal(vat_rate), net)


def priced_lines(session: Session, document: BillingDocument) -> list[PricedLine]:
    """The document's stored lines, in order (plain rows: nothing here needs them as ORM objects)."""
    rows = session.connection().execute(_LINES_OF, {"document_id": document.id or 0})
    return [_priced_line(*row) for row in rows]


def _series_code(session: Session, series_id: int) -> str:
    series = session.get(DocumentSeries, series_id)
    return series.code if series else ""


def _customer_name(session: Session, document: BillingDocument) -> str:
    if document.customer_json:
        return str(json.loads(document.customer_json).get("name", ""))
    customer = session.get(Customer, document.customer_id)
    return customer.name if customer else ""


def balance(kind: str, status: str, total_minor: int, paid_minor: int) -> int:
    """What is still to be paid: nothing on drafts, cancelled or converted documents and credit notes."""
    if kind == DocumentKind.CREDIT_NOTE.value or status not in (*OPEN_STATUSES, "paid"):
        return 0
    return total_minor - paid_minor


def _summary(document: BillingDocument, series_code: str, customer_name: str) -> dict[str, Any]:
    return {
        "id": str(document.id),
        "kind": document.kind,
        "number": document.number_text,
        "series": series_code,
        "status": document.status,
        "customer_id": str(document.customer_id),
        "customer_name": customer_name,
        "currency": document.currency,
        "tax_point": document.tax_point.isoformat() if document.tax_point else None,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "net_cents": document.net_minor,
        "vat_cents": document.vat_minor,
        "total_cents": document.total_minor,
        "paid_cents": document.paid_minor,
        "balance_cents": balance(document.kind, document.status, document.total_minor, document.paid_minor),
        "vat_regime": document.vat_regime,
        "vat_ron_cents": document.vat_ron_minor,
    }


def _related(session: Session, document: BillingDocument, was_draft: bool = False) -> list[dict[str, Any]]:
    def ref(relation: str, other: BillingDocument) -> dict[str, Any]:
        return {"relation": relation, "id": str(other.id), "kind": other.kind, "number": other.number_text,
                "issue_date": other.issue_date.isoformat() if other.issue_date else None,
                "total_cents": other.total_minor}

    related = []
    if document.corrects_id:
        original = session.get(BillingDocument, document.corrects_id)
        if original:
            related.append(ref("corrects", original))
    if document.proforma_id:
        proforma = session.get(BillingDocument, document.proforma_id)
        if proforma:
            related.append(ref("converted_from", proforma))
    if was_draft:  # nothing corrects or converts a draft
        return related
    for other in session.execute(
        select(BillingDocument).where(col(BillingDocument.corrects_id) == document.id).order_by(col(BillingDocument.id))
    ).scalars():
        related.append(ref("corrected_by", other))
    if document.kind == DocumentKind.PROFORMA.value:
        invoice = session.execute(
            select(BillingDocument).where(col(BillingDocument.proforma_id) == document.id)
        ).scalar_one_or_none()
        if invoice:
            related.append(ref("converted_to", invoice))
    return related


def detail(
    session: Session, document: BillingDocument, totals: DocumentTotals | None = None, *,
    series: DocumentSeries | None = None, was_draft: bool = False,
) -> dict[str, Any]:
    """The full record. ``totals`` saves re-reading the lines when the caller has just priced them,
    ``series`` the series lookup; ``was_draft`` (the document is being issued in this transaction)
    skips what no draft can have: payments of its own, and documents that correct or convert it."""
    totals = totals or compute_totals(priced_lines(session, document), document.rounding)
    # An invoice converted from a proforma is paid by the payments recorded on the proforma.
    paid_by = ([] if was_draft else [document.id]) + ([document.proforma_id] if document.proforma_id else [])
    payments = session.execute(
        select(Payment).where(col(Payment.document_id).in_(paid_by), col(Payment.voided_at).is_(None))
        .order_by(col(Payment.id))
    ).scalars() if paid_by else ()
    series_code = series.code if series is not None else _series_code(session, document.series_id)
    return {
        **_summary(document, series_code, _customer_name(session, document)),
        "fiscal_year": document.fiscal_year,
        "due_days": document.due_days,
        "vat_mention": document.vat_mention,
        "fx_rate": document.fx_rate,
        "fx_date": document.fx_day.isoformat() if document.fx_day else None,
        "fx_source": document.fx_source,
        "reason": document.reason,
        "seller": json.loads(document.seller_json) if document.seller_json else None,
        "customer": json.loads(document.customer_json) if document.customer_json else None,
        "lines": [
            {"position": i, "description": line.description, "quantity": str(line.quantity),
             "unit_price_cents": line.unit_price_minor, "category": line.category.value,
             "vat_code": line.vat_code, "vat_rate": str(line.vat_rate), "net_cents": line.net_minor}
            for i, line in enumerate(totals.lines, start=1)
        ],
        "vat_breakdown": [
            {"vat_code": b.vat_code, "vat_rate": str(b.vat_rate), "base_cents": b.base_minor,
             "vat_cents": b.vat_minor}
            for b in totals.breakdown
        ],
        "payments": [
            {"id": str(p.id), "amount_cents": p.amount_minor, "method": p.method, "reference": p.reference,
             "paid_at": p.paid_at.isoformat()}
            for p in payments
        ],
        "related_documents": _related(session, document, was_draft),
        "issued_at": iso(document.issued_at),
        "cancelled_at": iso(document.cancelled_at),
        "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at),
    }


def show_document(session: Session, kind: DocumentKind, ref: str) -> Result[dict[str, Any]]:
    return find_document(session, kind, ref).map(lambda d: detail(session, d))


# --- drafts ---------------------------------------------------------------------------------------
def _price_draft(
    session: Session, ctx: ServiceContext, document: BillingDocument, customer: Customer,
    lines: Sequence[LineInput], tax_point: date,
) -> tuple[RegimeDecision, DocumentTotals]:
    seller = seller_profile(ctx)
    decision = decide_regime(seller, tax_party(customer))
    rates = tax_service.load_rates(session, decision.rate_country)
    rounding = _rounding(ctx)
    totals = compute_totals(price_lines(lines, decision, rates, tax_point, rounding), rounding)
    return decision, totals


def _write_lines(session: Session, document: BillingDocument, lines: Sequence[PricedLine]) -> None:
    session.execute(delete(DocumentLine).where(col(DocumentLine.document_id) == document.id))
    for position, line in enumerate(lines, start=1):
        session.add(DocumentLine(
            document_id=document.id or 0, position=position, description=line.description,
            quantity=str(line.quantity), unit_price_minor=line.unit_price_minor, category=line.category.value,
            vat_code=line.vat_code, vat_rate=str(line.vat_rate), net_minor=line.net_minor,
        ))


def _apply_totals(document: BillingDocument, decision: RegimeDecision | None, totals: DocumentTotals) -> None:
    document.net_minor, document.vat_minor, document.total_minor = (
        totals.net_minor, totals.vat_minor, totals.total_minor)
    if decision is not None:
        document.vat_regime = decision.regime.value
        document.vat_mention = decision.mention


def _reprice(session: Session, ctx: ServiceContext, document: BillingDocument, lines: Sequence[LineInput]) -> None:
    customer = session.get(Customer, document.customer_id)
    assert customer is not None  # a foreign key guarantees it
    tax_point = document.tax_point or ctx.today()
    decision, totals = _price_draft(session, ctx, document, customer, lines, tax_point)
    _check_draft_total(DocumentKind(document.kind), totals, AmountLimits.of(ctx, document.currency))
    _write_lines(session, document, totals.lines)
    _apply_totals(document, decision, totals)
    document.rounding = _rounding(ctx)
    document.updated_at = ctx.now()
    document.version += 1
    session.add(document)
    session.flush()


def _line_inputs(session: Session, document: BillingDocument) -> list[LineInput]:
    return [LineInput(p.description, p.quantity, p.unit_price_minor, p.category)
            for p in priced_lines(session, document)]


def create_draft(session: Session, ctx: ServiceContext, kind: DocumentKind, data: DraftInput) -> Result[dict[str, Any]]:
    try:
        found = find_customer(session, data.customer)
        if isinstance(found, Err):
            return found
        customer = found.value
        currency = normalize_currency(data.currency or customer.currency or ctx.default_currency)
        if data.due_days is not None and not 0 <= data.due_days <= 3650:
            return err(ErrorCode.INVALID, "--due-days must be between 0 and 3650")
        if len(data.lines) > MAX_LINES:
            return err(ErrorCode.INVALID, f"at most {MAX_LINES} lines")
        limits = AmountLimits.of(ctx, currency)
        lines = [parse_line(text, currency, kind, limits) for text in data.lines]
        series = series_service.series_for_new_document(session, ctx, kind, data.series)
        if isinstance(series, Err):
            return series
        now = ctx.now()
        document = BillingDocument(
            kind=kind.value, status="draft", series_id=series.value.id or 0, customer_id=customer.id or 0,
            currency=currency, tax_point=data.tax_point, due_days=data.due_days, rounding=_rounding(ctx),
            created_at=now, updated_at=now,
        )
        session.add(document)
        session.flush()
        _reprice(session, ctx, document, lines)
    except PrahoFailure as failure:
        return Err(failure.error)
    public = detail(session, document)
    audit.append(session, ts=now, actor=ctx.actor, action=f"{kind.value}.create", entity_type=kind.value,
                 entity_id=public["id"], after=public)
    return Ok(public)


def _require_draft(document: BillingDocument, ref: str) -> Err | None:
    if document.status != "draft":
        return err(ErrorCode.INELIGIBLE, f"{kind_label(DocumentKind(document.kind))} {document.number_text or ref} "
                   f"is {document.status}: only drafts can be changed (issued documents are corrected "
                   "by credit notes)")
    return None


def _editable(session: Session, kind: DocumentKind, ref: str) -> Result[BillingDocument]:
    found = find_document(session, kind, ref, lock=True)
    if isinstance(found, Err):
        return found
    return _require_draft(found.value, ref) or found


def add_line(session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str, line: str) -> Result[dict[str, Any]]:
    found = _editable(session, kind, ref)
    if isinstance(found, Err):
        return found
    document = found.value
    try:
        lines = _line_inputs(session, document)
        if len(lines) >= MAX_LINES:
            return err(ErrorCode.INVALID, f"at most {MAX_LINES} lines")
        lines.append(parse_line(line, document.currency, kind, AmountLimits.of(ctx, document.currency)))
        _reprice(session, ctx, document, lines)
    except PrahoFailure as failure:
        return Err(failure.error)
    public = detail(session, document)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action=f"{kind.value}.add_line", entity_type=kind.value,
                 entity_id=public["id"], after=public["lines"][-1])
    return Ok(public)


def remove_line(
    session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str, position: int
) -> Result[dict[str, Any]]:
    found = _editable(session, kind, ref)
    if isinstance(found, Err):
        return found
    document = found.value
    lines = _line_inputs(session, document)
    if not 1 <= position <= len(lines):
        return err(ErrorCode.NOT_FOUND, f"no line {position} (the draft has {len(lines)})")
    removed = lines.pop(position - 1)
    try:
        _reprice(session, ctx, document, lines)
    except PrahoFailure as failure:
        return Err(failure.error)
    public = detail(session, document)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action=f"{kind.value}.remove_line",
                 entity_type=kind.value, entity_id=public["id"],
                 before={"position": position, "description": removed.description})
    return Ok(public)


def delete_draft(session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str) -> Result[dict[str, Any]]:
    found = _editable(session, kind, ref)
    if isinstance(found, Err):
        return found
    document = found.value
    before = detail(session, document)
    session.execute(delete(DocumentLine).where(col(DocumentLine.document_id) == document.id))
    session.delete(document)
    session.flush()
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action=f"{kind.value}.delete", entity_type=kind.value,
                 entity_id=before["id"], before=before)
    return Ok(before)


# --- issuing --------------------------------------------------------------------------------------
# What Romanian law (Codul fiscal art. 319 (20)) needs of the supplier on every invoice and credit
# note: its name, its address and its tax identification code (CUI, RO-prefixed for a VAT payer).
SELLER_REQUIRED = ("name", "vat_id", "address")


def require_seller(ctx: ServiceContext) -> None:
    """Refuse (exit 78) to issue a document without the seller's legal identity in the configuration."""
    missing = [f"seller.{k}" for k in SELLER_REQUIRED if not str(ctx.setting(f"seller.{k}") or "").strip()]
    if missing:
        raise PrahoFailure.of(
            ErrorCode.CONFIG,
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: an invoice must name its "
            f"seller; set {'it' if len(missing) == 1 else 'them'} with `praho config set {missing[0]} ...` "
            f"(or PRAHO_{missing[0].upper().replace('.', '_')})",
            missing=missing,
        )
    vat_id = str(ctx.setting("seller.vat_id"))
    problem = seller_vat_id_problem(vat_id, str(ctx.setting("seller.country") or "RO"))
    if problem:
        raise PrahoFailure.of(ErrorCode.CONFIG, f"seller.vat_id: {problem}: an invoice must carry the seller's "
                              "valid tax id; set it with `praho config set seller.vat_id ...` "
                              "(or PRAHO_SELLER_VAT_ID)", setting="seller.vat_id")


def seller_snapshot(ctx: ServiceContext) -> dict[str, Any]:
    keys = ("name", "country", "vat_id", "vat_payer", "reg_com", "address", "iban", "bank", "email")
    return {k: ctx.setting(f"seller.{k}") for k in keys}


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    # The CNP stays out of documents: it is personal data an invoice does not need.
    return {"id": str(customer.id), "kind": customer.kind, "name": customer.name, "email": customer.email,
            "country": customer.country, "address": customer.address, "city": customer.city,
            "postal_code": customer.postal_code, "cui": customer.cui, "vat_payer": customer.vat_payer,
            "reg_com": customer.reg_com, "vat_number": customer.vat_number}


def _freeze_fx(session: Session, document: BillingDocument, tax_point: date) -> None:
    if document.currency == REPORTING_CURRENCY:
        document.fx_rate = document.fx_day = document.fx_source = document.vat_ron_minor = None
        return
    rate = fx_service.rate_on(session, document.currency, tax_point)
    document.fx_rate, document.fx_day, document.fx_source = str(rate.rate), rate.day, rate.source
    document.vat_ron_minor = to_reporting_minor(document.vat_minor, document.currency, rate.rate,
                                                document.rounding)


def _number(session: Session, document: BillingDocument, issue_date: date,
            series: DocumentSeries | None = None) -> None:
    """Take the next number of the document's series and set it on the document (flushed with it)."""
    series = series or session.get(DocumentSeries, document.series_id)
    assert series is not None
    parts, text = series_service.take_number(session, series, issue_date)
    document.fiscal_year = counter_year(issue_date, series.yearly_reset)
    document.number, document.number_text = parts.number, text


def _freeze(session: Session, ctx: ServiceContext, document: BillingDocument) -> tuple[date, DocumentTotals]:
    """Everything issuing does except numbering: price at the tax point, freeze snapshots and totals.

    Returns the issue date and the totals. Raises PrahoFailure (no rate, no exchange rate, no lines).
    """
    require_seller(ctx)
    kind = DocumentKind(document.kind)
    stored = priced_lines(session, document)
    lines = [LineInput(p.description, p.quantity, p.unit_price_minor, p.category) for p in stored]
    if not lines:
        raise PrahoFailure.of(ErrorCode.INVALID, f"the {kind_label(kind)} has no lines; add one with add-line")
    customer = session.get(Customer, document.customer_id)
    assert customer is not None
    now = ctx.now()
    issue_date = ctx.date_of(now)
    tax_point = document.tax_point or issue_date
    decision, totals = _price_draft(session, ctx, document, customer, lines, tax_point)
    if totals.total_minor < 0:
        raise PrahoFailure.of(ErrorCode.INVALID, f"the {kind_label(kind)} total is negative; use a credit note")
    if list(totals.lines) != stored:  # the draft was priced for another tax point or rate table
        _write_lines(session, document, totals.lines)
    _apply_totals(document, decision, totals)
    document.rounding = _rounding(ctx)
    document.tax_point = tax_point
    if kind is not DocumentKind.PROFORMA:  # a proforma is no fiscal document: no VAT in RON to report
        _freeze_fx(session, document, tax_point)
    due_days = document.due_days if document.due_days is not None else int(ctx.setting("billing.due_days") or 14)
    document.due_days = due_days
    document.issue_date, document.due_date = issue_date, issue_date + timedelta(days=due_days)
    document.seller_json = json.dumps(seller_snapshot(ctx), sort_keys=True, ensure_ascii=False)
    document.customer_json = json.dumps(customer_snapshot(customer), sort_keys=True, ensure_ascii=False)
    document.status = "issued" if document.total_minor > 0 else "paid"
    document.issued_at = document.updated_at = now
    document.version += 1
    session.add(document)
    session.flush()  # the frozen draft is written before the counter is locked
    return issue_date, totals


def issue_locked(session: Session, ctx: ServiceContext, document: BillingDocument,
                 series: DocumentSeries | None = None) -> DocumentTotals:
    """Issue a draft the caller has locked: freeze it, then take the number (last, so the counter
    row stays locked for as short a time as possible). The caller's transaction rolls back on
    failure (PrahoFailure) and appends the audit event."""
    issue_date, totals = _freeze(session, ctx, document)
    _number(session, document, issue_date, series)
    session.flush()
    return totals


def issue_document(
    session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str, idempotency_key: str | None = None
) -> Result[dict[str, Any]]:
    """Issue a draft invoice or proforma: lock the draft, freeze its rates and snapshots, take the
    number, append the audit event; the caller's unit of work commits."""
    # Lock first, then look the key up: a concurrent replay waits for the first issuer's commit and
    # then finds its key, instead of finding an already issued document.
    found = find_locked(session, kind, ref)
    if isinstance(found, Err):
        return found

    def work() -> Result[dict[str, Any]]:
        document, _customer, series = found.value  # held: _freeze finds the customer in the session
        refused = _require_draft(document, ref)
        if refused:
            return refused
        try:
            issue_date, totals = _freeze(session, ctx, document)
        except PrahoFailure as failure:
            return Err(failure.error)
        # Everything but the number is written and read before the counter is locked: from the
        # counter's lock to COMMIT every other issuer of the series waits, so that part is kept to
        # the number, its UPDATE and the audit event.
        public = detail(session, document, totals, series=series, was_draft=True)
        _number(session, document, issue_date, series)
        public.update(number=document.number_text, fiscal_year=document.fiscal_year)
        audit.append(session, ts=document.issued_at or ctx.now(), actor=ctx.actor, action=f"{kind.value}.issue",
                     entity_type=kind.value, entity_id=str(document.id), after=public, proves=document)
        return Ok(public)

    return idempotent(session, ctx, idempotency_key, f"{kind.value}s.issue", {"ref": ref}, work)


# --- credit notes and cancelling ------------------------------------------------------------------
def issue_credit_note(
    session: Session, ctx: ServiceContext, invoice: BillingDocument, lines: Sequence[PricedLine], reason: str,
) -> BillingDocument:
    """Issue a credit note correcting ``invoice`` with ``lines`` (negative quantities).

    The lines keep the invoice's frozen rates and its tax point, and the invoice's frozen exchange
    rate: a correction is taxed as the supply it corrects. The refunds work calls this with the
    lines it refunds; cancelling calls it with every line negated (a storno).
    """
    if not lines:
        raise PrahoFailure.of(ErrorCode.INVALID, "a credit note needs at least one line")
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
    _apply_totals(note, None, totals)
    if note.fx_rate is not None:
        note.vat_ron_minor = to_reporting_minor(note.vat_minor, note.currency, Decimal(note.fx_rate), note.rounding)
    session.add(note)
    session.flush()
    _write_lines(session, note, totals.lines)
    _number(session, note, issue_date)
    session.add(note)
    session.flush()
    return note


def cancel_invoice(
    session: Session, ctx: ServiceContext, ref: str, reason: str | None = None, idempotency_key: str | None = None
) -> Result[dict[str, Any]]:
    """Cancel an unpaid issued invoice with a full storno credit note; returns the credit note."""
    found = find_document(session, DocumentKind.INVOICE, ref, lock=True)
    if isinstance(found, Err):
        return found

    def work() -> Result[dict[str, Any]]:
        invoice = found.value
        label = invoice.number_text or ref
        if invoice.status == "draft":
            return err(ErrorCode.INELIGIBLE, f"invoice {label} is a draft: delete it instead")
        if invoice.status == "cancelled":
            return err(ErrorCode.INELIGIBLE, f"invoice {label} is already cancelled")
        if invoice.paid_minor != 0:
            return err(ErrorCode.INELIGIBLE, f"invoice {label} has payments of "
                       f"{format_minor(invoice.paid_minor, invoice.currency)} {invoice.currency}: "
                       "refund them instead of cancelling", paid_cents=invoice.paid_minor)
        before = _summary(invoice, _series_code(session, invoice.series_id), _customer_name(session, invoice))
        text = reason or f"Storno of invoice {invoice.number_text} of {invoice.issue_date}"
        try:
            note = issue_credit_note(session, ctx, invoice, negate(priced_lines(session, invoice)), text)
        except PrahoFailure as failure:
            return Err(failure.error)
        invoice.status = "cancelled"
        invoice.cancelled_at = invoice.updated_at = ctx.now()
        invoice.version += 1
        session.add(invoice)
        session.flush()
        public = detail(session, note)
        audit.append(session, ts=ctx.now(), actor=ctx.actor, action="invoice.cancel", entity_type="invoice",
                     entity_id=str(invoice.id), before=before,
                     after={**before, "status": "cancelled", "credit_note": note.number_text})
        audit.append(session, ts=ctx.now(), actor=ctx.actor, action="credit_note.issue",
                     entity_type="credit_note", entity_id=public["id"], after=public, proves=note)
        return Ok(public)

    return idempotent(session, ctx, idempotency_key, "invoices.cancel", {"ref": ref, "reason": reason}, work)


# --- overdue --------------------------------------------------------------------------------------
def mark_overdue(session: Session, ctx: ServiceContext) -> Result[dict[str, Any]]:
    """Move every issued or partially paid invoice due before today to overdue. A rerun finds none."""
    today = ctx.today()
    due = list(session.execute(
        select(BillingDocument).where(
            col(BillingDocument.kind) == DocumentKind.INVOICE.value,
            col(BillingDocument.status).in_(("issued", "partially_paid")),
            col(BillingDocument.due_date) < today,
        ).order_by(col(BillingDocument.id)).with_for_update()
    ).scalars())
    already = session.execute(
        select(func.count()).select_from(BillingDocument).where(
            col(BillingDocument.kind) == DocumentKind.INVOICE.value, col(BillingDocument.status) == "overdue")
    ).scalar_one()
    now = ctx.now()
    for invoice in due:
        previous = invoice.status
        invoice.status, invoice.updated_at = "overdue", now
        invoice.version += 1
        session.add(invoice)
        audit.append(session, ts=now, actor=ctx.actor, action="invoice.overdue", entity_type="invoice",
                     entity_id=str(invoice.id), before={"status": previous, "number": invoice.number_text},
                     after={"status": "overdue", "number": invoice.number_text,
                            "due_date": invoice.due_date.isoformat() if invoice.due_date else None})
    session.flush()
    return Ok({"as_of": today.isoformat(), "marked": len(due), "already_overdue": already,
               "invoices": [i.number_text for i in due]})


__all__ = [
    "DOCUMENT", "DOCUMENT_DETAIL", "OVERDUE_RUN", "DocumentFilter", "DraftInput", "add_line", "cancel_invoice",
    "create_draft", "delete_draft", "detail", "find_document", "issue_credit_note", "issue_document",
    "issue_locked", "list_documents", "mark_overdue", "remove_line", "show_document",
]
