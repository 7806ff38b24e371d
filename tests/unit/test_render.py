from __future__ import annotations

import io
import json
from enum import IntEnum, StrEnum

import pytest

from praho_cli.output.render import COMPACT, FORMATS, Renderer, format_minor
from praho_cli.output.streams import Environment, Streams
from praho_cli.records import Field, RecordType, Rows
from praho_cli.result import PrahoFailure

RT = RecordType("thing", "Thing", (
    Field("id", "string", "Id."),
    Field("name", "string", "Name."),
    Field("total_cents", "integer", "Total.", money_currency="currency"),
    Field("currency", "string", "Currency."),
    Field("note", "string|null", "Note.", table=False),
))
ROWS = [
    {"id": "1", "name": "Acme", "total_cents": 12100, "currency": "RON", "note": "tab\there"},
    {"id": "2", "name": "Zeta, \"Inc\"", "total_cents": -5, "currency": "EUR", "note": None},
]


def render(fmt=None, fields=None, tty=False, environ=None, rows=ROWS, one=False, rtype=RT):
    out = io.StringIO()
    env = Environment(stdout=out, stderr=io.StringIO(), environ=environ or {}, stdout_isatty=tty,
                      stderr_isatty=tty, stdin_isatty=False, terminal_width=120)
    r = Renderer(Streams(env), rtype, fmt, fields)
    if one:
        r.one(rows[0])
    else:
        r.many(rows if isinstance(rows, Rows) else iter(rows))
    return r, out.getvalue()


def test_default_is_table_on_a_tty_and_tsv_when_piped():
    assert render(tty=True)[0].format == "table"
    assert render(tty=False)[0].format == "tsv"
    assert render(tty=False, environ={"PRAHO_OUTPUT": "jsonl"})[0].format == "jsonl"


def test_tsv_has_no_header_and_escapes_tabs():
    _, text = render("tsv")
    assert text == "1\tAcme\t12100\tRON\ttab\\there\n2\tZeta, \"Inc\"\t-5\tEUR\t\n"


def test_csv_has_a_header_and_quotes():
    _, text = render("csv", fields="name,total_cents")
    assert text == 'name,total_cents\nAcme,12100\n"Zeta, ""Inc""",-5\n'


def test_json_array_keeps_types_and_streams():
    _, text = render("json")
    assert json.loads(text) == ROWS
    _, empty = render("json", rows=[])
    assert json.loads(empty) == []


def test_jsonl_one_object_per_line_with_selected_fields():
    _, text = render("jsonl", fields="currency,id")
    assert [json.loads(x) for x in text.splitlines()] == [{"currency": "RON", "id": "1"}, {"currency": "EUR", "id": "2"}]
    assert list(json.loads(text.splitlines()[0])) == ["currency", "id"]


def test_unknown_field_lists_the_valid_ones():
    with pytest.raises(PrahoFailure) as info:
        render("json", fields="id,bogus")
    assert info.value.error.message == "unknown field 'bogus' for thing; valid fields: id, name, total_cents, currency, note"
    assert info.value.error.exit_code == 2


def test_unknown_format_is_a_usage_error():
    with pytest.raises(PrahoFailure, match="unknown output format 'xml'"):
        render("xml")


def test_table_formats_money_and_hides_non_default_columns():
    _, text = render("table", tty=False)
    assert "121.00 RON" in text and "-0.05 EUR" in text
    assert "note" not in text
    assert "\x1b[" not in text  # no ANSI codes when not a terminal


def test_one_record_as_json_object():
    _, text = render("json", one=True)
    assert json.loads(text) == ROWS[0]


def test_format_minor_uses_the_currency_exponent():
    assert format_minor(123456, "RON") == "1,234.56 RON"
    assert format_minor(1234, "JPY") == "1,234 JPY"


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    BIG = 3


TRICKY = 'Quote " back\\slash\ttab\nnewline\r\x01\x08\x0c\x1f\x7f ăîșțâ ß € 😀 \u2028 \ufeff </script>'
MIXED = RecordType("mixed", "Mixed", (
    Field("s", "string", "."), Field("sn", "string|null", "."), Field("i", "integer", "."),
    Field("inull", "integer|null", "."), Field("b", "boolean", "."), Field("a", "array", "."),
    Field("o", "object|null", "."), Field("n", "number|null", "."), Field("100%s", "string", "A key with %s."),
))


def test_json_rows_are_the_bytes_json_dumps_writes_for_every_value():
    strings = [chr(c) for c in range(0x80)] + [TRICKY, "", "ţ", "\U0001f600", "\u2029", Colour.RED]
    rows = [{"s": v, "sn": v, "i": n, "inull": None, "b": True, "a": [v, 1], "o": {"k": v}, "n": 1.5, "100%s": v}
            for n, v in enumerate(strings)]
    # A value unlike its field's declared type is written as json.dumps writes it, too (one per row).
    well_typed = rows[0]
    for name, value in (("s", None), ("s", 5), ("s", ["x"]), ("sn", 7), ("sn", {"k": None}), ("i", True),
                        ("i", Size.BIG), ("i", -(2**70)), ("inull", 2.5), ("b", None), ("a", ()), ("o", "text"),
                        ("n", 0), ("100%s", None)):
        rows.append({**well_typed, name: value})
    expected = [json.dumps(r, ensure_ascii=False, separators=COMPACT) for r in rows]
    assert render("jsonl", rows=rows, rtype=MIXED)[1] == "".join(line + "\n" for line in expected)
    as_rows = Rows(MIXED.names, [tuple(r.values()) for r in rows])
    assert render("jsonl", rows=as_rows, rtype=MIXED)[1] == "".join(line + "\n" for line in expected)
    assert render("json", rows=rows, rtype=MIXED)[1] == "[\n" + ",\n".join(expected) + "\n]\n"


@pytest.mark.parametrize("fields", [None, "currency,id", "note", "total_cents,note,name,id,currency"])
@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "table"] + ["table"])
def test_rows_render_as_the_same_records_given_as_mappings(fmt, fields):
    as_rows = Rows(RT.names, [tuple(r.values()) for r in ROWS])
    assert render(fmt, fields, rows=as_rows)[1] == render(fmt, fields)[1]
    assert list(Rows(RT.names, [tuple(r.values()) for r in ROWS])) == ROWS
