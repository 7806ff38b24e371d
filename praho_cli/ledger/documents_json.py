"""Billing documents as JSON text built by SQLite, for ``invoices list -o json|jsonl``.

Each row leaves SQLite as the finished JSON object of the public ``document`` record (same keys,
same order, same values as :func:`praho_cli.services.invoices.list_documents` gives the renderer),
so Python only copies strings to the output. SQLite's ``json_object`` writes compact JSON and
escapes strings as Python's ``json.dumps(..., ensure_ascii=False)`` does; a test compares the two
paths byte for byte, including names with quotes, backslashes, control characters and non-ASCII.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from praho_cli.ledger.direct import DirectReader

# Field of the public record -> the SQL expression giving its JSON value (d: billing_documents,
# s: document_series, c: customers). Ids are text in the public records; dates are stored as ISO text.
_BALANCE = ("CASE WHEN d.kind = 'credit_note' THEN 0 WHEN d.status IN ({paid_or_open}) "
            "THEN d.total_minor - d.paid_minor ELSE 0 END")
_EXPRESSIONS = {
    "id": "CAST(d.id AS TEXT)",
    "kind": "d.kind",
    "number": "d.number_text",
    "series": "s.code",
    "status": "d.status",
    "customer_id": "CAST(d.customer_id AS TEXT)",
    "customer_name": "c.name",
    "currency": "d.currency",
    "tax_point": "d.tax_point",
    "issue_date": "d.issue_date",
    "due_date": "d.due_date",
    "net_cents": "d.net_minor",
    "vat_cents": "d.vat_minor",
    "total_cents": "d.total_minor",
    "paid_cents": "d.paid_minor",
    "balance_cents": _BALANCE,
    "vat_regime": "d.vat_regime",
    "vat_ron_cents": "d.vat_ron_minor",
}
FIELDS = tuple(_EXPRESSIONS)


@dataclass(frozen=True)
class DocumentQuery:
    """What to list; every value is already validated by the service."""

    kind: str
    fields: Sequence[str]
    open_statuses: Sequence[str]
    status: str | None = None
    customer_id: int | None = None
    series: str | None = None
    currency: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue_before: date | None = None  # unpaid and due before this day


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values)


def build(query: DocumentQuery) -> tuple[str, list[Any]]:
    """The SELECT (one JSON text per row, ordered by id) and its parameters."""
    params: list[Any] = []
    pairs = []
    for name in query.fields:
        expression = _EXPRESSIONS[name]
        if name == "balance_cents":
            expression = expression.format(paid_or_open=_marks((*query.open_statuses, "paid")))
            params += [*query.open_statuses, "paid"]
        pairs.append(f"'{name}', {expression}")
    where = ["d.kind = ?"]
    params.append(query.kind)
    conditions: list[tuple[str, Any]] = [
        ("d.status = ?", query.status),
        ("d.customer_id = ?", query.customer_id),
        ("s.code = ?", query.series),
        ("d.currency = ?", query.currency),
        ("d.issue_date >= ?", query.issued_from),
        ("d.issue_date <= ?", query.issued_to),
        ("d.due_date >= ?", query.due_from),
        ("d.due_date <= ?", query.due_to),
    ]
    for clause, value in conditions:
        if value is not None:
            where.append(clause)
            params.append(value.isoformat() if isinstance(value, date) else value)
    if query.overdue_before is not None:
        where.append(f"d.status IN ({_marks(query.open_statuses)}) AND d.due_date < ?")
        params += [*query.open_statuses, query.overdue_before.isoformat()]
    sql = (
        f"SELECT json_object({', '.join(pairs)}) FROM billing_documents d "
        "JOIN document_series s ON s.id = d.series_id JOIN customers c ON c.id = d.customer_id "
        f"WHERE {' AND '.join(where)} ORDER BY d.id"
    )
    return sql, params


def customer_id(reader: DirectReader, ref: str) -> int | None:
    """A customer by id (digits) or e-mail address (stored lower-case), as the customers service finds it."""
    ref = ref.strip()
    if ref.isdigit():
        return reader.scalar("SELECT id FROM customers WHERE id = ?", (int(ref),))
    return reader.scalar("SELECT id FROM customers WHERE email = ?", (ref.lower(),))


def document_lines(reader: DirectReader, query: DocumentQuery) -> Iterator[str]:
    """One compact JSON object per document, streamed."""
    sql, params = build(query)
    return reader.text_rows(sql, params)
