"""Public record types: the field names and JSON types every output format shows.

A service declares the record type of what it returns; the renderer validates ``--fields`` against
it and docs/json-schemas/ is generated from it (a test keeps the files current). Changing a field's
name or type is a breaking change for scripts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # JSON Schema type: string, integer, boolean, array, object; "T|null" when nullable
    description: str
    table: bool = True  # part of the default table columns
    money_currency: str | None = None  # the name of the field holding this minor-units amount's currency
    enum: tuple[str, ...] = ()
    format: str | None = None  # JSON Schema format (date-time, date, email)


@dataclass(frozen=True)
class RecordType:
    name: str
    title: str
    fields: tuple[Field, ...]
    description: str = ""
    extra_schema: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def json_schema(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for f in self.fields:
            types = f.type.split("|")
            prop: dict[str, Any] = {"type": types[0] if len(types) == 1 else types, "description": f.description}
            if f.enum:
                prop["enum"] = sorted(f.enum) + ([None] if "null" in types else [])  # stable across runs
            if f.format:
                prop["format"] = f.format
            if f.name in self.extra_schema:
                prop.update(self.extra_schema[f.name])
            props[f.name] = prop
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://praho.dev/schemas/{self.name}.json",
            "title": self.title,
            "description": self.description,
            "type": "object",
            "properties": props,
            "required": [f.name for f in self.fields],
            "additionalProperties": False,
        }


@dataclass(frozen=True)
class Rows:
    """Records streamed as tuples: every item of ``values`` holds the fields ``names``, in that order.

    Lists that read many rows return this, so that the renderer writes each tuple without building
    a dict per record; iterating a ``Rows`` gives one dict per record, for every other reader."""

    names: tuple[str, ...]
    values: Iterable[Sequence[Any]]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self.names
        return (dict(zip(names, value, strict=True)) for value in self.values)
