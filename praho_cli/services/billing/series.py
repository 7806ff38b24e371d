"""Document series and gapless numbering (docs/billing.md, "Numbering").

A number is taken from the series' counter row for the fiscal year, locked and incremented inside
the transaction that issues the document. If that transaction rolls back (or its process is
killed), the increment rolls back with it: the next issuer gets the same number, so no gap can
appear. PostgreSQL locks the row with ``SELECT … FOR UPDATE``; on SQLite the unit of work already
opened the transaction with ``BEGIN IMMEDIATE``, which holds the database's single write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, tzinfo
from itertools import pairwise
from typing import Any

from sqlmodel import Session

from praho_cli import calendar
from praho_cli.billing.numbering import (
    DEFAULT_TEMPLATE,
    DocumentKind,
    NumberParts,
    counter_year,
    find_gaps,
    render_number,
    validate_series_code,
    validate_template,
)
from praho_cli.ledger import audit
from praho_cli.ledger import series as ledger
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import DocumentSeries
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.context import ServiceContext

SERIES = RecordType(
    name="series",
    title="Document series",
    description="A numbering series for invoices, proformas or credit notes.",
    fields=(
        Field("code", "string", "Series code, printed in the number."),
        Field("kind", "string", "Documents numbered by this series.", enum=tuple(k.value for k in DocumentKind)),
        Field("template", "string", "Number format; fields {series}, {year}, {number}."),
        Field("yearly_reset", "boolean", "Whether the counter restarts at start_number each fiscal year."),
        Field("start_number", "integer", "First number of the series (of each year when yearly_reset)."),
        Field("is_default", "boolean", "Whether new documents of this kind use this series."),
        Field("counters", "array", "Last number given, per fiscal year (year 0: a series that never restarts).",
              table=False),
        Field("created_at", "string", "When the series was added (UTC).", table=False, format="date-time"),
    ),
    extra_schema={"counters": {"items": {
        "type": "object", "additionalProperties": False, "required": ["year", "last_number"],
        "properties": {"year": {"type": "integer"}, "last_number": {"type": "integer"}},
    }}},
)

SERIES_AUDIT = RecordType(
    name="series_audit",
    title="Series audit finding",
    description="Gaps and duplicates of one series in one fiscal year (`invoices series-audit`).",
    fields=(
        Field("series", "string", "Series code."),
        Field("year", "integer", "Fiscal year (0: a series that never restarts)."),
        Field("issued", "integer", "Documents carrying a number in this series and year."),
        Field("first_number", "integer|null", "Lowest number issued."),
        Field("last_number", "integer|null", "Highest number issued."),
        Field("counter", "integer|null", "The counter's last number; must equal last_number."),
        Field("missing", "array", "Numbers never issued between the start number and last_number."),
        Field("duplicates", "array", "Numbers issued more than once, in this series or (the same text) by another "
              "series of its kind."),
        Field("out_of_order", "array", "Numbers (text) dated before the number preceding them in the series."),
        Field("misdated", "array", "Numbers (text) whose issue date is not the business-zone date of their issue "
              "timestamp: documents issued late in the evening by a praho that dated them in UTC."),
        Field("ok", "boolean", "True when there is no gap, no duplicate, no number out of date order, no "
              "misdated document and the counter agrees."),
    ),
    extra_schema={"missing": {"items": {"type": "integer"}}, "duplicates": {"items": {"type": "integer"}},
                  "misdated": {"items": {"type": "string"}}, "out_of_order": {"items": {"type": "string"}}},
)

DEFAULT_SETTING = {
    DocumentKind.INVOICE: "billing.invoice_series",
    DocumentKind.PROFORMA: "billing.proforma_series",
    DocumentKind.CREDIT_NOTE: "billing.credit_note_series",
}
FALLBACK_CODES = {DocumentKind.INVOICE: "INV", DocumentKind.PROFORMA: "PRO", DocumentKind.CREDIT_NOTE: "CN"}


@dataclass(frozen=True)
class SeriesInput:
    code: str
    kind: str
    template: str = DEFAULT_TEMPLATE
    yearly_reset: bool = True
    start_number: int = 1


def default_code(ctx: ServiceContext, kind: DocumentKind) -> str:
    return str(ctx.setting(DEFAULT_SETTING[kind]) or FALLBACK_CODES[kind])


def _counters(session: Session, series_id: int) -> list[dict[str, int]]:
    return [{"year": c.year, "last_number": c.last_number} for c in ledger.counters(session, series_id)]


def to_public(session: Session, ctx: ServiceContext, series: DocumentSeries) -> dict[str, Any]:
    return {
        "code": series.code,
        "kind": series.kind,
        "template": series.template,
        "yearly_reset": series.yearly_reset,
        "start_number": series.start_number,
        "is_default": default_code(ctx, DocumentKind(series.kind)) == series.code,
        "counters": _counters(session, series.id or 0),
        "created_at": iso(series.created_at),
    }


def _find(session: Session, code: str, kind: DocumentKind | None = None) -> DocumentSeries:
    series = ledger.get(session, code)
    if series is None:
        raise fail(ErrorCode.NOT_FOUND, f"no series {code!r} (see `praho series list`)")
    if kind is not None and series.kind != kind.value:
        raise fail(ErrorCode.INVALID, f"series {code} numbers {series.kind} documents, not {kind.value}")
    return series


find_series = returns_result(_find)


def _insert(session: Session, ctx: ServiceContext, data: SeriesInput) -> DocumentSeries:
    code = validate_series_code(data.code.strip())
    try:
        kind = DocumentKind(data.kind)
    except ValueError:
        raise fail(ErrorCode.INVALID, f"kind: must be one of {', '.join(k.value for k in DocumentKind)}, "
                   f"not {data.kind!r}", field="kind") from None
    template = validate_template(data.template, yearly_reset=data.yearly_reset)
    if data.start_number < 1:
        raise fail(ErrorCode.INVALID, "start number must be 1 or more", field="start_number")
    if ledger.get(session, code) is not None:
        raise fail(ErrorCode.CONFLICT, f"series {code} already exists")
    now = ctx.now()
    series = DocumentSeries(code=code, kind=kind.value, template=template, yearly_reset=data.yearly_reset,
                            start_number=data.start_number, created_at=now, updated_at=now)
    session.add(series)
    session.flush()
    audit.append(session, ts=now, actor=ctx.actor, action="series.create", entity_type="series",
                 entity_id=code, after={"code": code, "kind": kind.value, "template": template,
                                        "yearly_reset": data.yearly_reset, "start_number": data.start_number})
    return series


@returns_result
def add_series(session: Session, ctx: ServiceContext, data: SeriesInput) -> dict[str, Any]:
    return to_public(session, ctx, _insert(session, ctx, data))


@returns_result
def list_series(session: Session, ctx: ServiceContext, kind: str | None = None) -> Iterator[dict[str, Any]]:
    rows = ledger.all_series(session, kind=kind)
    return (to_public(session, ctx, s) for s in rows)


@returns_result
def show_series(session: Session, ctx: ServiceContext, code: str) -> dict[str, Any]:
    return to_public(session, ctx, _find(session, code))


def _ensure_defaults(session: Session, ctx: ServiceContext) -> list[str]:
    """Create the configured default series of each kind that does not exist yet (a `praho init` step).

    Returns the codes created; running it again creates nothing.
    """
    created = []
    for kind in DocumentKind:
        code = default_code(ctx, kind)
        if ledger.get(session, code) is None:
            _insert(session, ctx, SeriesInput(code=code, kind=kind.value))
            created.append(code)
    return created


ensure_default_series = returns_result(_ensure_defaults)


def _for_new_document(session: Session, ctx: ServiceContext, kind: DocumentKind, code: str | None) -> DocumentSeries:
    """The series a new document uses: the one named, or the configured default (created on first use)."""
    if code:
        return _find(session, code, kind)
    found = ledger.get(session, default_code(ctx, kind))
    if found is None:
        _ensure_defaults(session, ctx)
        found = ledger.get(session, default_code(ctx, kind))
    if found is None or found.kind != kind.value:
        raise fail(ErrorCode.CONFIG, f"{DEFAULT_SETTING[kind]} names series {default_code(ctx, kind)!r}, "
                   f"which is not a {kind.value} series")
    return found


series_for_new_document = returns_result(_for_new_document)


def take_number(session: Session, series: DocumentSeries, issue_date: date) -> tuple[NumberParts, str]:
    """Lock the counter of ``series`` for ``issue_date``'s fiscal year and take the next number.

    Call it as late as possible in the issuing transaction: the row stays locked until commit, and
    every other issuer in the series waits for it. One statement where the database can return the
    updated row (``UPDATE ... RETURNING``: PostgreSQL, SQLite 3.35+), which locks, increments and
    reads in one step; two elsewhere.
    """
    year = counter_year(issue_date, series.yearly_reset)
    number = ledger.bump_counter(session, series.id or 0, year)
    if number is None:
        # First document of the year. A concurrent first issuer inserting the same key makes this
        # insert fail with an IntegrityError; the unit of work replays the transaction, which then
        # finds (and locks) the row.
        number = series.start_number
        ledger.insert_counter(session, series.id or 0, year, number)
    parts = NumberParts(series.code, issue_date.year, int(number))
    text = render_number(series.template, parts)
    checks = ledger.numbering_checks(session, series.id or 0, year, series.kind, text)
    _require_chronological(series, year, issue_date, checks)
    _require_unique(series, text, checks)
    return parts, text


def _require_unique(series: DocumentSeries, text: str, checks: ledger.NumberingChecks) -> None:
    """A number is unique across every series of a kind: two series whose templates render the same
    text (``{number}`` in both) must not both issue it. The unique index on (kind, number_text) backs
    this up against two series issuing the same text at the same moment."""
    other = checks.holder
    if other is not None:
        raise fail(ErrorCode.CONFLICT, f"series {series.code}: number {text} is already used by series {other}: "
                   "numbers must be unique across the series of a kind (give the series' templates "
                   "different prefixes)", series=series.code, number=text, other_series=other)


def _require_chronological(series: DocumentSeries, year: int, issue_date: date, checks: ledger.NumberingChecks) -> None:
    """Numbers follow the calendar: refuse a document dated before the series' last issued one (the
    counter is locked, so no other issuer of the series can slip in between). A host whose clock runs
    behind must not issue."""
    last_text, last_date, later = checks.last_text, checks.last_date, checks.later_year
    if (last_date is None or last_date <= issue_date) and later is None:
        return
    after = (f"{last_text} of {last_date.isoformat()}" if last_date and last_date > issue_date
             else f"the series' numbers of {later if later else year}")
    raise fail(
        ErrorCode.INELIGIBLE,
        f"series {series.code}: a document dated {issue_date.isoformat()} cannot be numbered after {after}: "
        "numbers follow the calendar (check this host's clock and business.timezone)",
        series=series.code, issue_date=issue_date.isoformat())


@returns_result
def audit_series(session: Session, zone: tzinfo, code: str | None = None,
                 year: int | None = None) -> list[dict[str, Any]]:
    """Gaps, duplicates and misdated documents per series and fiscal year, and whether each counter
    agrees. A number is a duplicate when the series issued it twice or when another series of the
    same kind issued the same text. A document is misdated when
    its issue date is not the date, in the business's time zone ``zone``, of the moment it was issued."""
    if code:
        _find(session, code)
    shared = {kind.value: ledger.shared_numbers(session, kind.value) for kind in DocumentKind}
    findings = []
    for series in sorted(ledger.all_series(session, code=code), key=lambda s: s.code):
        counters = {c["year"]: c["last_number"] for c in _counters(session, series.id or 0)}
        keys = set(counters) | ledger.numbered_years(session, series.id or 0)
        for key in sorted(keys):
            if year is not None and key not in (year, 0):
                continue
            rows = ledger.numbered(session, series.id or 0, key)
            numbers = [row.number for row in rows]
            missing, duplicates = find_gaps(numbers, series.start_number)
            others = {row.number: [c for c in shared[series.kind].get(row.number_text, ()) if c != series.code]
                      for row in rows}
            duplicates = sorted(set(duplicates) | {n for n, codes in others.items() if codes})
            out_of_order = [row.number_text for previous, row in pairwise(rows)
                            if previous.issue_date and row.issue_date and row.issue_date < previous.issue_date]
            misdated = [row.number_text for row in rows if row.issued_at is not None
                        and calendar.local_date(row.issued_at, zone) != row.issue_date]
            counter = counters.get(key)
            highest = numbers[-1] if numbers else None
            counter_ok = counter == highest or (counter == series.start_number - 1 and highest is None)
            findings.append({
                "series": series.code, "year": key, "issued": len(numbers),
                "first_number": numbers[0] if numbers else None, "last_number": highest,
                "counter": counter, "missing": missing, "duplicates": duplicates,
                "out_of_order": out_of_order, "misdated": misdated,
                "ok": not missing and not duplicates and not out_of_order and not misdated and counter_ok,
            })
    return findings
