"""Series and counter queries: the series rows, their counters (locked and incremented when a number
is taken) and the numbered documents a series audit reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session, col

from praho_cli.ledger.models.billing import BillingDocument, DocumentSeries, SeriesCounter


def get(session: Session, code: str) -> DocumentSeries | None:
    return session.execute(select(DocumentSeries).where(col(DocumentSeries.code) == code)).scalar_one_or_none()


def all_series(session: Session, *, kind: str | None = None, code: str | None = None) -> list[DocumentSeries]:
    """Series by kind and code (optionally one kind, or one code)."""
    stmt = select(DocumentSeries).order_by(DocumentSeries.kind, DocumentSeries.code)
    if kind:
        stmt = stmt.where(col(DocumentSeries.kind) == kind)
    if code:
        stmt = stmt.where(col(DocumentSeries.code) == code)
    return list(session.execute(stmt).scalars())


def counters(session: Session, series_id: int) -> list[SeriesCounter]:
    return list(session.execute(
        select(SeriesCounter).where(col(SeriesCounter.series_id) == series_id).order_by(col(SeriesCounter.year))
    ).scalars())


_COUNTERS = SeriesCounter.__table__  # type: ignore[attr-defined]
_KEY = (_COUNTERS.c.series_id == bindparam("key_series"), _COUNTERS.c.year == bindparam("key_year"))
_BUMP = update(_COUNTERS).where(*_KEY).values(last_number=_COUNTERS.c.last_number + 1)
_BUMP_RETURNING = _BUMP.returning(_COUNTERS.c.last_number)
_READ = select(_COUNTERS.c.last_number).where(*_KEY)


def bump_counter(session: Session, series_id: int, year: int) -> int | None:
    """Lock the counter row of (series, year), increment it and return the new last number; None
    when the row does not exist yet. One statement where the database can return the updated row
    (``UPDATE ... RETURNING``: PostgreSQL, SQLite 3.35+), which locks, increments and reads in one
    step; two elsewhere."""
    key = {"key_series": series_id, "key_year": year}
    if session.get_bind().dialect.update_returning:
        found = session.execute(_BUMP_RETURNING, key).scalar_one_or_none()
        return int(found) if found is not None else None
    # SQLite before 3.35. sqlmodel's Session.execute is typed Result; an UPDATE's result is a
    # CursorResult, which has rowcount.
    bumped = session.execute(_BUMP, key).rowcount  # type: ignore[attr-defined]
    return int(session.execute(_READ, key).scalar_one()) if bumped else None


def insert_counter(session: Session, series_id: int, year: int, last_number: int) -> None:
    """The first counter row of (series, year). A concurrent first issuer inserting the same key makes
    this fail with a unique violation of ``pk_series_counters``, which the unit of work replays."""
    session.execute(insert(_COUNTERS).values(series_id=series_id, year=year, last_number=last_number))


_SERIES_YEAR = (col(BillingDocument.series_id) == bindparam("key_series"),
                col(BillingDocument.fiscal_year) == bindparam("key_year"), col(BillingDocument.number).is_not(None))


def _last_issued(column: Any) -> Any:
    return (select(column).where(*_SERIES_YEAR).order_by(col(BillingDocument.number).desc()).limit(1)
            .scalar_subquery())


# What issuing checks once the counter is locked, in one round trip: the series' last issued number
# of the year and its date, a later year the series has numbered (none for a series without yearly
# reset, whose year is 0), and the series of the same kind that already carries the new number's text.
_NUMBERING_CHECKS = select(
    _last_issued(col(BillingDocument.number_text)),
    _last_issued(col(BillingDocument.issue_date)),
    select(col(SeriesCounter.year)).where(
        col(SeriesCounter.series_id) == bindparam("key_series"), col(SeriesCounter.year) > bindparam("key_year"),
        bindparam("key_year") != 0,
    ).limit(1).scalar_subquery(),
    select(col(DocumentSeries.code)).select_from(BillingDocument)
    .join(DocumentSeries, col(DocumentSeries.id) == col(BillingDocument.series_id))
    .where(col(BillingDocument.kind) == bindparam("kind"), col(BillingDocument.number_text) == bindparam("text"))
    .limit(1).scalar_subquery(),
)


@dataclass(frozen=True)
class NumberingChecks:
    last_text: str | None  # the series' highest number of the year, and its issue date
    last_date: date | None
    later_year: int | None  # a fiscal year after this one that the series has a counter for
    holder: str | None  # the code of the series whose document of this kind already carries the text


def numbering_checks(session: Session, series_id: int, year: int, kind: str, text: str) -> NumberingChecks:
    """The facts :func:`praho_cli.services.billing.series.take_number` checks, read in one statement."""
    row = session.execute(_NUMBERING_CHECKS, {"key_series": series_id, "key_year": year, "kind": kind,
                                               "text": text}).one()
    return NumberingChecks(row[0], row[1], int(row[2]) if row[2] is not None else None,
                           str(row[3]) if row[3] is not None else None)


def numbered_years(session: Session, series_id: int) -> set[int]:
    """The fiscal years of the series' numbered documents."""
    stmt = select(col(BillingDocument.fiscal_year)).where(
        col(BillingDocument.series_id) == series_id, col(BillingDocument.number).is_not(None)
    ).distinct()
    return {y for (y,) in session.execute(stmt) if y is not None}


def numbered(session: Session, series_id: int, year: int) -> Sequence[Any]:
    """The numbered documents of (series, year) by number: rows of number, number_text, issue_date,
    issued_at."""
    return session.execute(
        select(col(BillingDocument.number), col(BillingDocument.number_text), col(BillingDocument.issue_date),
               col(BillingDocument.issued_at)).where(
            col(BillingDocument.series_id) == series_id, col(BillingDocument.fiscal_year) == year,
            col(BillingDocument.number).is_not(None),
        ).order_by(col(BillingDocument.number))
    ).all()


def shared_numbers(session: Session, kind: str) -> dict[str, list[str]]:
    """Numbers carried by more than one document of ``kind``: number text → the series codes
    carrying it (in code order, one entry per document)."""
    twice = (select(col(BillingDocument.number_text))
             .where(col(BillingDocument.kind) == kind, col(BillingDocument.number_text).is_not(None))
             .group_by(col(BillingDocument.number_text)).having(func.count() > 1))
    rows = session.execute(
        select(col(BillingDocument.number_text), col(DocumentSeries.code))
        .join(DocumentSeries, col(DocumentSeries.id) == col(BillingDocument.series_id))
        .where(col(BillingDocument.kind) == kind, col(BillingDocument.number_text).in_(twice))
        .order_by(col(BillingDocument.number_text), col(DocumentSeries.code))
    ).all()
    shared: dict[str, list[str]] = {}
    for text, code in rows:
        shared.setdefault(text, []).append(code)
    return shared
