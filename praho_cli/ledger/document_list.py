"""The billing document list: one query for every output format, on both backends.

``invoices list``, ``proformas list`` (and any list of billing documents) read through
:func:`documents`: one SELECT whose columns are the public ``document`` record's fields, already in
their JSON form (ids and ISO dates as text, the balance computed by :data:`BALANCE`), streamed as
Core rows a batch at a time (a server-side cursor on PostgreSQL). Nothing per row becomes an ORM
object or a dict on the way to the renderer.

The tables are named here with lightweight table clauses rather than through the models: importing
SQLModel and the models costs more than reading 100,000 rows, and a list needs only the column
names. The models stay the schema (migrations, ``praho db check``); the list's tests run this query
against a migrated ledger on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Date, Integer, String, case, cast, column, select, table

from praho_cli.records import Rows

if TYPE_CHECKING:
    from sqlalchemy import Connection, Result, Select
    from sqlalchemy.orm import Session

OPEN_STATUSES = ("issued", "partially_paid", "overdue")  # money still expected
BATCH = 1000

_DOCUMENTS = table(
    "billing_documents",
    column("id", Integer), column("kind", String), column("status", String), column("series_id", Integer),
    column("number_text", String), column("customer_id", Integer), column("currency", String),
    column("tax_point", Date), column("issue_date", Date), column("due_date", Date),
    column("net_minor", BigInteger), column("vat_minor", BigInteger), column("total_minor", BigInteger),
    column("paid_minor", BigInteger), column("vat_regime", String), column("vat_ron_minor", BigInteger),
)
_DOC = _DOCUMENTS.c
_SERIES = table("document_series", column("id", Integer), column("code", String))
_CUSTOMERS = table("customers", column("id", Integer), column("name", String), column("email", String))

# What is still to be paid: nothing on drafts, cancelled or converted documents and credit notes.
BALANCE = case(
    (_DOC.kind == "credit_note", 0),
    (_DOC.status.in_((*OPEN_STATUSES, "paid")), _DOC.total_minor - _DOC.paid_minor),
    else_=0,
)

_COLUMNS = (
    cast(_DOC.id, String).label("id"), _DOC.kind, _DOC.number_text.label("number"),
    _SERIES.c.code.label("series"), _DOC.status, cast(_DOC.customer_id, String).label("customer_id"),
    _CUSTOMERS.c.name.label("customer_name"), _DOC.currency, cast(_DOC.tax_point, String).label("tax_point"),
    cast(_DOC.issue_date, String).label("issue_date"), cast(_DOC.due_date, String).label("due_date"),
    _DOC.net_minor.label("net_cents"), _DOC.vat_minor.label("vat_cents"), _DOC.total_minor.label("total_cents"),
    _DOC.paid_minor.label("paid_cents"), BALANCE.label("balance_cents"), _DOC.vat_regime,
    _DOC.vat_ron_minor.label("vat_ron_cents"),
)
FIELDS = tuple(c.name for c in _COLUMNS)


@dataclass(frozen=True)
class DocumentQuery:
    """Which documents to list; every value is already checked by the service."""

    kind: str
    status: str | None = None
    customer_id: int | None = None
    series: str | None = None
    currency: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue_before: date | None = None  # still owed and due before this day


def statement(query: DocumentQuery) -> Select[Any]:
    """The SELECT of :func:`documents`, ordered by id."""
    stmt = (
        select(*_COLUMNS)
        .select_from(_DOCUMENTS)
        .join(_SERIES, _SERIES.c.id == _DOC.series_id)
        .join(_CUSTOMERS, _CUSTOMERS.c.id == _DOC.customer_id)
        .where(_DOC.kind == query.kind)
        .order_by(_DOC.id)
    )
    if query.status is not None:
        stmt = stmt.where(_DOC.status == query.status)
    if query.customer_id is not None:
        stmt = stmt.where(_DOC.customer_id == query.customer_id)
    if query.series is not None:
        stmt = stmt.where(_SERIES.c.code == query.series)
    if query.currency is not None:
        stmt = stmt.where(_DOC.currency == query.currency)
    if query.issued_from is not None:
        stmt = stmt.where(_DOC.issue_date >= query.issued_from)
    if query.issued_to is not None:
        stmt = stmt.where(_DOC.issue_date <= query.issued_to)
    if query.due_from is not None:
        stmt = stmt.where(_DOC.due_date >= query.due_from)
    if query.due_to is not None:
        stmt = stmt.where(_DOC.due_date <= query.due_to)
    if query.overdue_before is not None:  # overdue by the clock even if the cron sweep has not marked it yet
        stmt = stmt.where(_DOC.status.in_(OPEN_STATUSES), _DOC.due_date < query.overdue_before)
    return stmt


def documents(conn: Connection | Session, query: DocumentQuery) -> Rows:
    """The documents of ``query`` as rows of :data:`FIELDS`, fetched ``BATCH`` at a time."""
    result = conn.execute(statement(query).execution_options(yield_per=BATCH))
    return Rows(FIELDS, _each(result))


def _each(result: Result[Any]) -> Iterator[Sequence[Any]]:
    """Every row; closing this generator (the renderer does, even when the reader went away)
    closes the cursor while its connection is still open."""
    with result:
        yield from chain.from_iterable(result.partitions())


def customer_id(conn: Connection | Session, *, id: int | None = None, email: str | None = None) -> int | None:
    """The id of the customer with this id or this (lower-case) e-mail address, or None."""
    where = _CUSTOMERS.c.id == id if id is not None else _CUSTOMERS.c.email == email
    found = conn.execute(select(_CUSTOMERS.c.id).where(where)).scalar()
    return int(found) if found is not None else None


def balance_of(conn: Connection | Session, document_id: int) -> int:
    """One document's open balance, by the same :data:`BALANCE` expression as every list: the one
    place praho computes what is still to be paid (flush pending changes before asking)."""
    found = conn.execute(select(BALANCE).select_from(_DOCUMENTS).where(_DOC.id == document_id)).scalar()
    return int(found or 0)


def balance_column(document_id: Any) -> Any:
    """:data:`BALANCE` of the document whose id is ``document_id`` (a column of another query), as a
    correlated scalar subquery: how a query over other rows (payments) selects a document's balance."""
    return (select(BALANCE).select_from(_DOCUMENTS).where(_DOC.id == document_id)
            .correlate_except(_DOCUMENTS).scalar_subquery())
