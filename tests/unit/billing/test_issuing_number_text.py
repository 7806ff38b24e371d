"""ledger.issuing.number_text: which number templates SQL renders exactly, and how."""

from __future__ import annotations

import pytest

from praho_cli.ledger.issuing import NUMBER_MARK, NumberText, number_text


@pytest.mark.parametrize(("template", "expected"), [
    ("{series}{year}-{number:06}", NumberText("INV2026-", 6, "")),
    ("{series}{year}-{number:06d}", NumberText("INV2026-", 6, "")),
    ("{number}", NumberText("", 0, "")),
    ("{number:d}/{year}", NumberText("", 0, "/2026")),
    ("F-{series}/{year:04}/{number:010}", NumberText("F-INV/2026/", 10, "")),
    ("{year}{series}{number:03}X", NumberText("2026INV", 3, "X")),
])
def test_templates_sql_renders(template, expected):
    assert number_text(template, "INV", 2026) == expected


@pytest.mark.parametrize("template", [
    "{series}-{number:6}",        # space padding
    "{series}-{number:>6}",       # alignment
    "{series}-{number:,}",        # grouping
    "{series}-{number!r}",        # conversion
    "{number}-{number:03}",       # the number twice
    '{series}"{number}',          # a quote JSON would escape
    "{series}\\{number}",         # a backslash JSON would escape
    "{series}\t{number}",         # a control character
    "{series}-{number:0100}",     # absurd width
])
def test_templates_left_to_python(template):
    assert number_text(template, "INV", 2026) is None


def test_the_mark_is_plain_json():
    import json

    assert json.dumps(NUMBER_MARK) == f'"{NUMBER_MARK}"'
