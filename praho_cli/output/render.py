"""The one renderer behind ``-o table|json|jsonl|csv|tsv``.

Rows arrive as JSON-ready mappings (ints, strings, bools, None, lists, dicts) shaped by a
:class:`RecordType`, which is also the documented public contract (docs/json-schemas/), or as
:class:`~praho_cli.records.Rows` (tuples of named fields, as large lists stream them from the
ledger). Machine formats are written with ``json``/``csv`` directly, never through Rich; json and
jsonl stream row by row so a list of any size never sits in memory. Rich is imported only to draw a
table.
"""

from __future__ import annotations

import csv
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from json.encoder import encode_basestring
from typing import Any

from praho_cli.output.streams import Streams
from praho_cli.records import Field, RecordType, Rows
from praho_cli.result import ErrorCode, PrahoFailure

FORMATS = ("table", "json", "jsonl", "csv", "tsv")
COMPACT = (",", ":")  # rows of json and jsonl are compact, as `jq -c` writes them
_dumps = json.JSONEncoder(ensure_ascii=False, separators=COMPACT).encode


def parse_fields(rtype: RecordType, fields: str | None) -> tuple[str, ...] | None:
    if fields is None or fields.strip() == "":
        return None
    wanted = tuple(f.strip() for f in fields.split(",") if f.strip())
    unknown = [f for f in wanted if f not in rtype.names]
    if unknown:
        raise PrahoFailure.of(
            ErrorCode.INVALID,
            f"unknown field {', '.join(repr(u) for u in unknown)} for {rtype.name}; "
            f"valid fields: {', '.join(rtype.names)}",
        )
    return wanted


def resolve_format(explicit: str | None, json_flag: bool, streams: Streams) -> str:
    if json_flag:
        return "json"
    fmt = explicit or streams.env.environ.get("PRAHO_OUTPUT") or None
    if fmt is None:
        return "table" if streams.env.stdout_isatty else "tsv"
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise PrahoFailure.of(
            ErrorCode.INVALID, f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}"
        )
    return fmt


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _json_value(value: Any) -> str:
    """``value`` as json.dumps(..., ensure_ascii=False, separators=COMPACT) writes it."""
    cls = value.__class__
    if cls is str:
        return encode_basestring(value)
    if cls is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _dumps(value)


def _json_string_or_null(value: Any) -> str:
    return "null" if value is None else encode_basestring(value)


# By the field's declared type, the cheapest exact encoder; a value of another type makes it raise
# TypeError and the row is written by json.dumps instead (see _row_encoder).
_ENCODERS: dict[str, Callable[[Any], str]] = {"string": encode_basestring, "string|null": _json_string_or_null}


def _row_encoder(fields: Sequence[Field]) -> Callable[[Sequence[Any]], str]:
    """The compact JSON object of one row given as the values of ``fields``, in order.

    The bytes are json.dumps's for the same dict: each value is encoded by its field's type into a
    template holding the encoded keys, so a row costs one string per value and no dict."""
    template = "{" + ",".join(encode_basestring(f.name).replace("%", "%%") + ":%s" for f in fields) + "}"
    encoders = [_ENCODERS.get(f.type, _json_value) for f in fields]
    names = [f.name for f in fields]
    call = operator.call

    def encode(values: Sequence[Any]) -> str:
        try:
            return template % tuple(map(call, encoders, values))
        except TypeError:  # a value unlike its declared type: json.dumps decides
            return _dumps(dict(zip(names, values, strict=True)))

    return encode


def _tsv_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def format_minor(amount: int, currency: str | None) -> str:
    """12100, "RON" -> "121.00 RON" for tables (money's digits, grouped); JSON keeps the integer."""
    from praho_cli.money import format_minor as digits

    try:
        text = digits(amount, currency or "")
    except PrahoFailure:  # no currency, or one outside ISO 4217: two decimals
        text = digits(amount, "EUR")
    whole, _, fraction = text.lstrip("-").partition(".")
    grouped = ("-" if amount < 0 else "") + f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return f"{grouped} {currency}" if currency else grouped


SHRINK_TO = 12  # free text is cut no shorter than this (or its header) before columns are left out
GAP = 3  # between two columns of a SIMPLE_HEAD table without edges: padding, divider, padding


def fit_columns(natural: Sequence[int], minimum: Sequence[int], width: int,
                drop_order: Sequence[int] | None = None) -> tuple[list[int], list[int]]:
    """Which columns (indices, in order) fit ``width``, and each one's width.

    Columns are left out in ``drop_order`` (default: the last first; the first column always stays)
    while even the minimum widths of the rest cannot fit. The columns kept get their natural width,
    the widest cuttable ones cut (with an ellipsis) towards their minimum until the table fits."""
    keep = list(range(len(natural)))
    order = [i for i in (drop_order if drop_order is not None else range(len(natural) - 1, 0, -1)) if i != 0]

    def total(widths: Sequence[int]) -> int:
        return sum(widths[i] for i in keep) + GAP * (len(keep) - 1)

    for i in order:
        if total(minimum) <= width:
            break
        keep.remove(i)
    widths = list(natural)
    while total(widths) > width:
        cuttable = [i for i in keep if widths[i] > minimum[i]]
        if not cuttable:
            break
        widest = max(cuttable, key=lambda i: widths[i])
        widths[widest] -= min(total(widths) - width, widths[widest] - minimum[widest])
    return keep, widths


def _close(rows: Iterable[Any]) -> None:
    close = getattr(rows, "close", None)
    if callable(close):
        close()


class Renderer:
    """Bound to one record type, one format and one field selection, validated up front."""

    def __init__(
        self,
        streams: Streams,
        rtype: RecordType,
        fmt: str | None = None,
        fields: str | None = None,
        json_flag: bool = False,
    ) -> None:
        self.streams = streams
        self.rtype = rtype
        self.format = resolve_format(fmt, json_flag, streams)
        selected = parse_fields(rtype, fields)
        self.explicit_fields = selected is not None
        self.fields: tuple[str, ...] = selected or rtype.names
        self.table_fields: tuple[str, ...] = selected or tuple(f.name for f in rtype.fields if f.table)
        self._by_name = {f.name: f for f in rtype.fields}

    @property
    def out(self) -> Any:
        return self.streams.env.stdout

    def _project(self, row: Mapping[str, Any], names: Sequence[str]) -> Mapping[str, Any]:
        if not self.explicit_fields and isinstance(row, dict) and list(row) == list(names):
            return row
        return {n: row.get(n) for n in names}

    def one(self, row: Mapping[str, Any]) -> None:
        fmt = self.format
        if fmt == "json":
            self.out.write(json.dumps(self._project(row, self.fields), ensure_ascii=False, indent=2) + "\n")
        elif fmt == "table":
            self._table_vertical(row)
        else:
            self.many([row])
            return
        self.out.flush()

    def many(self, rows: Iterable[Mapping[str, Any]] | Rows) -> int:
        """Write every row (mappings, or :class:`Rows`) in the chosen format; the number written.

        The rows' iterator is closed when this returns or fails (a reader that closed the pipe), so
        a generator's cursor is released while its connection is still open."""
        try:
            return self._many(rows)
        finally:
            _close(rows.values if isinstance(rows, Rows) else rows)

    def _many(self, rows: Iterable[Mapping[str, Any]] | Rows) -> int:
        fmt = self.format
        count = 0
        out = self.out
        if fmt in ("json", "jsonl"):
            return self._json_rows(map(_row_encoder([self._by_name[n] for n in self.fields]), self._values(rows)))
        if fmt == "table":
            return self._table(rows)
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(self.fields)
            for row in rows:
                writer.writerow([_cell(row.get(n)) for n in self.fields])
                count += 1
        else:  # tsv: no header, so `cut -f1` and `while read` work on it directly
            for row in rows:
                out.write("\t".join(_tsv_escape(_cell(row.get(n))) for n in self.fields) + "\n")
                count += 1
        out.flush()
        return count

    def _values(self, rows: Iterable[Mapping[str, Any]] | Rows) -> Iterator[Sequence[Any]]:
        """Each row as the values of ``self.fields``, in order."""
        fields = self.fields
        if not isinstance(rows, Rows):
            return ([row.get(n) for n in fields] for row in rows)
        if rows.names == fields:
            return iter(rows.values)
        index = {name: i for i, name in enumerate(rows.names)}
        pick = operator.itemgetter(*(index[n] for n in fields))
        if len(fields) == 1:
            return ((pick(values),) for values in rows.values)
        return map(pick, rows.values)

    def _json_rows(self, lines: Iterator[str]) -> int:
        out = self.out
        count = 0
        if self.format == "jsonl":
            # Written a thousand lines at a time: one write per row costs more than reading it.
            while chunk := list(islice(lines, 1000)):
                out.write("\n".join(chunk) + "\n")
                count += len(chunk)
        else:
            out.write("[")
            for line in lines:
                out.write(("\n" if count == 0 else ",\n") + line)
                count += 1
            out.write("\n]\n" if count else "]\n")
        out.flush()
        return count

    def _display(self, name: str, row: Mapping[str, Any]) -> str:
        value = row.get(name)
        spec = self._by_name[name]
        if spec.money_currency and isinstance(value, int) and not isinstance(value, bool):
            return format_minor(value, row.get(spec.money_currency))
        return _cell(value)

    def _console(self) -> Any:
        from rich.console import Console

        env = self.streams.env
        plain = "NO_COLOR" in env.environ or not env.stdout_isatty
        return Console(
            file=env.stdout,
            force_terminal=bool(env.stdout_isatty),
            color_system=None if plain else "auto",  # None: no escape codes at all, not even bold
            width=env.terminal_width or (None if env.stdout_isatty else 200),
            highlight=False,
            soft_wrap=False,
        )

    def _header(self, name: str) -> str:
        """A column's title: an amount is shown formatted with its currency, so not as ``*_cents``."""
        spec = self._by_name.get(name)
        return name.removesuffix("_cents") if spec is not None and spec.money_currency else name

    def _shrinkable(self, name: str) -> bool:
        """Free text may be cut with an ellipsis to fit; numbers, ids, amounts, dates and enums never."""
        spec = self._by_name[name]
        return (spec.type in ("string", "string|null") and spec.format is None and not spec.enum
                and not spec.money_currency and name != "id" and not name.endswith(("_id", "number")))

    def _drop_order(self, names: Sequence[str]) -> list[int]:
        """Columns to leave out first when a table is too wide: the last ones, amounts after all others."""
        money = [i for i, n in enumerate(names) if self._by_name[n].money_currency]
        return [i for i in range(len(names) - 1, 0, -1) if i not in money] + money[::-1]

    def _table(self, rows: Iterable[Mapping[str, Any]]) -> int:
        from rich import box
        from rich.cells import cell_len
        from rich.table import Table

        names = self.table_fields
        cells = [[self._display(n, row) for n in names] for row in rows]
        if not cells:
            if not self.streams.quiet:
                self.streams.env.stderr.write(f"No {self.rtype.title.lower()}s.\n")
            return 0
        console = self._console()
        headers = [self._header(n) for n in names]
        natural = [max(cell_len(headers[i]), *(cell_len(row[i]) for row in cells)) for i in range(len(names))]
        keep, widths = fit_columns(natural, [
            min(natural[i], max(cell_len(headers[i]), SHRINK_TO)) if self._shrinkable(n) else natural[i]
            for i, n in enumerate(names)], console.width, self._drop_order(names))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for i in keep:
            table.add_column(headers[i], no_wrap=True, overflow="ellipsis", min_width=widths[i], max_width=widths[i])
        for row in cells:
            table.add_row(*(row[i] for i in keep))
        console.print(table)
        hidden = [names[i] for i in range(len(names)) if i not in keep]
        if hidden and not self.streams.quiet:
            self.streams.env.stderr.write(f"{len(hidden)} column(s) left out to fit {console.width} columns: "
                                          f"{', '.join(hidden)} (--fields or -o json shows them)\n")
        return len(cells)

    def _table_vertical(self, row: Mapping[str, Any]) -> None:
        from rich import box
        from rich.table import Table

        table = Table(box=box.SIMPLE, show_header=False, show_edge=False, pad_edge=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for name in self.fields:
            table.add_row(self._header(name), self._display(name, row))
        self._console().print(table)
