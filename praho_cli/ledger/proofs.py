"""Proofs of ledger rows: the canonical content hash of each issued billing document, payment and
refund, written into the audit event that creates the row and recomputed by ``audit verify``
(docs/audit.md).

A proof covers what must never change once the row exists: a document's number, series, kind, dates,
seller and customer snapshots, currency, exchange rate, totals, VAT and lines; a payment's document,
amount, currency, method, reference and dates; a refund's invoice, customer, kind, amount, currency,
method, reason and its allocation to payments. It leaves out what legitimately changes afterwards: a
document's status and paid amount, a payment's void, a refund's progress (status, attempts, credit
note, command reference). One function per kind computes it; verify uses the same functions.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.ledger.audit import canonical
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine, DocumentSeries, Payment
from praho_cli.ledger.models.core import AuditEvent
from praho_cli.ledger.models.refunds import Refund, RefundAllocation

KINDS = ("document", "payment", "refund")


def _seal(kind: str, payload: Mapping[str, Any]) -> str:
    return f"{kind}:{hashlib.sha256(canonical(payload).encode()).hexdigest()}"


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _document_payload(doc: BillingDocument, series_code: str, lines: Iterable[DocumentLine]) -> dict[str, Any]:
    return {
        "id": doc.id, "kind": doc.kind, "series": series_code, "fiscal_year": doc.fiscal_year,
        "number": doc.number, "number_text": doc.number_text, "customer_id": doc.customer_id,
        "currency": doc.currency, "tax_point": _day(doc.tax_point), "issue_date": _day(doc.issue_date),
        "due_days": doc.due_days, "due_date": _day(doc.due_date), "vat_regime": doc.vat_regime,
        "vat_mention": doc.vat_mention, "rounding": doc.rounding, "net_minor": doc.net_minor,
        "vat_minor": doc.vat_minor, "total_minor": doc.total_minor, "fx_rate": doc.fx_rate,
        "fx_day": _day(doc.fx_day), "fx_source": doc.fx_source, "vat_ron_minor": doc.vat_ron_minor,
        "seller": doc.seller_json, "customer": doc.customer_json, "corrects_id": doc.corrects_id,
        "proforma_id": doc.proforma_id, "issued_at": iso(doc.issued_at),
        "lines": [[ln.position, ln.description, ln.quantity, ln.unit_price_minor, ln.category, ln.vat_code,
                   ln.vat_rate, ln.net_minor] for ln in sorted(lines, key=lambda ln: (ln.position, ln.id or 0))],
    }


def _payment_payload(p: Payment) -> dict[str, Any]:
    return {"id": p.id, "document_id": p.document_id, "amount_minor": p.amount_minor, "currency": p.currency,
            "method": p.method, "reference": p.reference, "paid_at": _day(p.paid_at), "created_at": iso(p.created_at)}


def _refund_payload(r: Refund, allocations: Iterable[RefundAllocation]) -> dict[str, Any]:
    return {"id": r.id, "invoice_id": r.invoice_id, "customer_id": r.customer_id, "kind": r.kind,
            "amount_minor": r.amount_minor, "currency": r.currency, "method": r.method, "reason": r.reason,
            "idempotency_key": r.idempotency_key, "settled_by": r.settled_by, "created_at": iso(r.created_at),
            "allocations": sorted([a.payment_id, a.amount_minor] for a in allocations)}


def document(session: Session, doc: BillingDocument) -> str:
    """The proof of an issued document (call it once the number is taken)."""
    session.flush()
    series = session.get(DocumentSeries, doc.series_id)
    lines = session.execute(select(DocumentLine).where(col(DocumentLine.document_id) == doc.id)).scalars()
    return _seal("document", _document_payload(doc, series.code if series else "", lines))


def payment(session: Session, p: Payment) -> str:
    """The proof of a recorded payment."""
    session.flush()
    return _seal("payment", _payment_payload(p))


def refund(session: Session, r: Refund) -> str:
    """The proof of a refund (with its allocations, once they are added)."""
    session.flush()
    allocations = session.execute(select(RefundAllocation).where(col(RefundAllocation.refund_id) == r.id)).scalars()
    return _seal("refund", _refund_payload(r, allocations))


def of(session: Session, row: object) -> str:
    """The proof of a document, payment or refund, by its type."""
    if isinstance(row, BillingDocument):
        return document(session, row)
    if isinstance(row, Payment):
        return payment(session, row)
    if isinstance(row, Refund):
        return refund(session, row)
    raise TypeError(f"no proof for a {type(row).__name__}")


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Finding:
    kind: str  # document | payment | refund
    id: int
    label: str  # what names it for a person: "invoice INV2026-000001", "payment 4"
    problem: str  # "changed" (differs from its event) | "unproven" (no event proves it)


@dataclass
class ProofReport:
    proven: int = 0
    findings: list[Finding] = field(default_factory=list)

    def count(self, problem: str) -> int:
        return sum(1 for f in self.findings if f.problem == problem)


def _claimed(session: Session) -> dict[tuple[str, int], str]:
    """(kind, id) → the latest proof an audit event holds for it."""
    stmt = (select(col(AuditEvent.entity_id), col(AuditEvent.proof)).where(col(AuditEvent.proof).is_not(None))
            .order_by(col(AuditEvent.seq)))
    claimed: dict[tuple[str, int], str] = {}
    for entity_id, proof in session.execute(stmt):
        kind = str(proof).split(":", 1)[0]
        if str(entity_id).isdigit():
            claimed[(kind, int(entity_id))] = str(proof)
    return claimed


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


def _documents(session: Session) -> Iterator[tuple[int, str, str, str]]:
    codes = {s.id: s.code for s in session.execute(select(DocumentSeries)).scalars()}
    docs = session.execute(select(BillingDocument).where(col(BillingDocument.number_text).is_not(None))
                           .order_by(col(BillingDocument.id)).execution_options(yield_per=1000)).scalars()
    batch: list[BillingDocument] = []

    def flush_batch() -> Iterator[tuple[int, str, str, str]]:
        ids = [d.id for d in batch]
        lines = _grouped(session.execute(select(DocumentLine).where(col(DocumentLine.document_id).in_(ids)))
                         .scalars(), "document_id")
        for d in batch:
            label = f"{d.kind.replace('_', ' ')} {d.number_text} (id {d.id})"
            yield d.id or 0, label, _seal("document", _document_payload(d, codes.get(d.series_id, ""),
                                                                       lines.get(d.id or 0, []))), d.kind

    for doc in docs:
        batch.append(doc)
        if len(batch) == 500:
            yield from flush_batch()
            batch = []
    if batch:
        yield from flush_batch()


def _payments(session: Session) -> Iterator[tuple[int, str, str, str]]:
    for p in session.execute(select(Payment).order_by(col(Payment.id)).execution_options(yield_per=1000)).scalars():
        yield p.id or 0, f"payment {p.id}", _seal("payment", _payment_payload(p)), "payment"


def _refunds(session: Session) -> Iterator[tuple[int, str, str, str]]:
    allocations = _grouped(session.execute(select(RefundAllocation)).scalars(), "refund_id")
    for r in session.execute(select(Refund).order_by(col(Refund.id))).scalars():
        yield (r.id or 0, f"refund {r.id}", _seal("refund", _refund_payload(r, allocations.get(r.id or 0, []))),
               "refund")


def _all_rows(session: Session) -> Iterator[tuple[str, Iterator[tuple[int, str, str, str]]]]:
    """Per kind, every provable row as (id, label, proof recomputed now, audit entity type)."""
    yield "document", _documents(session)
    yield "payment", _payments(session)
    yield "refund", _refunds(session)


def check(session: Session) -> ProofReport:
    """Recompute every issued document, payment and refund against the proof its event holds."""
    claimed = _claimed(session)
    report = ProofReport()
    for kind, rows in _all_rows(session):
        for row_id, label, proof, _entity in rows:
            expected = claimed.get((kind, row_id))
            if expected is None:
                report.findings.append(Finding(kind, row_id, label, "unproven"))
            elif expected != proof:
                report.findings.append(Finding(kind, row_id, label, "changed"))
            else:
                report.proven += 1
    return report


def unproven_events(session: Session) -> list[dict[str, Any]]:
    """The proofs today's unproven rows would get (for ``audit prove-existing``): entity and proof."""
    claimed = _claimed(session)
    out = []
    for kind, rows in _all_rows(session):
        for row_id, label, proof, entity_type in rows:
            if (kind, row_id) not in claimed:
                out.append({"kind": kind, "id": row_id, "label": label, "proof": proof, "entity_type": entity_type})
    return out
