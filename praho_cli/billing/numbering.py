"""Document number templates such as ``{series}{year}-{number:06}``.

The number itself comes from a locked counter row in the issuing transaction (services/billing/series.py);
this module only validates templates and renders numbers.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from praho_cli.result import ErrorCode, PrahoFailure

DEFAULT_TEMPLATE = "{series}{year}-{number:06}"
TEMPLATE_FIELDS = frozenset({"series", "year", "number"})
NO_YEAR = 0  # the counter key of a series whose numbers never restart


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    PROFORMA = "proforma"
    CREDIT_NOTE = "credit_note"


def _invalid(message: str) -> PrahoFailure:
    return PrahoFailure.of(ErrorCode.INVALID, message)


def validate_template(template: str, *, yearly_reset: bool) -> str:
    """Refuse templates that could render two documents alike or fail to render at all."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise _invalid(f"Invalid number template {template!r}: {exc}") from None
    fields = {name for _, name, _, _ in parsed if name is not None}
    unknown = fields - TEMPLATE_FIELDS
    if unknown:
        raise _invalid(
            f"Invalid number template {template!r}: unknown field(s) {', '.join(sorted(unknown))} "
            f"(valid: {{series}}, {{year}}, {{number}})"
        )
    if "number" not in fields:
        raise _invalid(f"Invalid number template {template!r}: it must contain {{number}}")
    if yearly_reset and "year" not in fields:
        # Counters that restart each year would produce the same text twice without the year.
        raise _invalid(f"Invalid number template {template!r}: a yearly series must contain {{year}}")
    try:
        template.format(series="X", year=2025, number=1)
    except (ValueError, IndexError, KeyError) as exc:
        raise _invalid(f"Invalid number template {template!r}: {exc}") from None
    return template


def validate_series_code(code: str) -> str:
    if not code or len(code) > 16 or not all(c.isalnum() or c in "-_/" for c in code):
        raise _invalid(f"Invalid series code {code!r}: 1-16 letters, digits, '-', '_' or '/'")
    return code


def counter_year(issue_date: date, yearly_reset: bool) -> int:
    """The fiscal year that keys the counter: the calendar year in Romania, or NO_YEAR."""
    return issue_date.year if yearly_reset else NO_YEAR


@dataclass(frozen=True, slots=True)
class NumberParts:
    series: str
    year: int
    number: int


def render_number(template: str, parts: NumberParts) -> str:
    return template.format(series=parts.series, year=parts.year, number=parts.number)


def find_gaps(numbers: list[int], start: int) -> tuple[list[int], list[int]]:
    """(missing numbers, duplicated numbers) in one series and year, counted from ``start``."""
    seen: dict[int, int] = {}
    for n in numbers:
        seen[n] = seen.get(n, 0) + 1
    duplicates = sorted(n for n, count in seen.items() if count > 1)
    if not seen:
        return [], duplicates
    missing = [n for n in range(start, max(seen) + 1) if n not in seen]
    return missing, duplicates
