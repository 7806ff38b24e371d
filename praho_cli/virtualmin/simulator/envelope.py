"""Turning a program's text output and exit code into what remote.cgi (or ``virtualmin --json``) sends.

The simulator renders every program as the CLI text first and converts that text exactly the way
Virtualmin's ``json-lib.pl`` does (docs/virtualmin-protocol.md §1.4-1.5). That keeps the quirks for free:
``json=1`` without ``multiline=`` parses the table lines as record names (http_list-domains.json),
``name-only=`` gives records with empty ``values`` (http_list-domains_name-only.json).
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

_LINE_SPLIT = re.compile(r"\r?\n")
_TOP_PAIR = re.compile(r"^([^:\s][^:]+):\s*(.*)$")
_FIELD = re.compile(r"^\s+([^:]+?):\s*(.*)$")
_WS = re.compile(r"\s")


def parse_multiline(text: str) -> list[dict[str, Any]]:
    """Virtualmin's generic multiline parser: headers become ``{"name", "values"}`` records and
    indented ``Key: value`` lines become lower-cased, ``_``-joined keys with list values."""
    records: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for line in _LINE_SPLIT.split(text):
        if not line:
            continue
        if not line[0].isspace():
            pair = _TOP_PAIR.match(line)
            if pair is not None and current is None:
                records.append({"name": pair.group(1), "value": pair.group(2)})
                continue
            current = {"name": line, "values": {}}
            records.append(current)
            continue
        if current is None:
            continue
        field_match = _FIELD.match(line)
        if field_match is None:
            continue
        key = _WS.sub("_", field_match.group(1).strip().lower())
        current["values"].setdefault(key, []).append(field_match.group(2))
    return records


def first_nonblank_line(text: str) -> str | None:
    for line in _LINE_SPLIT.split(text):
        if line.strip():
            return line
    # A script that dies prints nothing; json-lib.pl then sends "error" : null.
    return None


def convert(
    program: str,
    output: str,
    exit_code: int,
    *,
    command_name: str,
    multiline: bool,
    name_only: bool = False,
) -> dict[str, Any]:
    """The envelope ``json-lib.pl`` builds from one program run."""
    if exit_code != 0:
        return {
            "command": command_name,
            "status": "failure",
            "error": first_nonblank_line(output),
            "full_error": output,
        }
    if (program.startswith("list-") or program == "get-dns") and multiline:
        return {"command": command_name, "status": "success", "data": parse_multiline(output)}
    if program.startswith("list-") and name_only:
        lines = [line for line in _LINE_SPLIT.split(output) if line]
        return {"command": command_name, "status": "success", "data": lines}
    # A program that printed nothing gets "output" : null, Perl's undef, not ""
    # (http_list-domains_simple-multiline_empty.json: list-domains --simple-multiline of an empty server).
    return {"command": command_name, "status": "success", "output": output or None}


def shuffled(value: Any, rng: random.Random) -> Any:
    """Every hash in a new random key order, as Perl's hash order varies between calls."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def encode_json(envelope: dict[str, Any], *, minified: bool = False, rng: random.Random | None = None) -> str:
    """JSON::PP output as remote.cgi sends it: 3-space pretty printing, ``"key" : value``, non-ASCII
    unescaped, then one extra newline, so every body ends with ``}\\n\\n`` (all http_*.json captures)."""
    data = shuffled(envelope, rng) if rng is not None else envelope
    if minified:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(data, ensure_ascii=False, indent=3, separators=(",", " : ")) + "\n\n"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _ordered_keys(mapping: dict[str, Any]) -> list[str]:
    # XML::Simple writes its key attributes (name, key, id) first, then the rest sorted; the id field
    # leads the sorted fields in http_list-domains_multiline_xml.json.
    first = [k for k in ("name", "key", "id") if k in mapping]
    return first + sorted(k for k in mapping if k not in first)


def _xml_element(tag: str, value: Any, indent: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{indent}<{tag}>{_xml_escape(str(value))}</{tag}>"]
    attrs = "".join(
        f' {k}="{_xml_escape(str(v))}"'
        for k in _ordered_keys(value)
        if not isinstance((v := value[k]), dict | list) and v is not None
    )
    children: list[str] = []
    for key in _ordered_keys(value):
        child = value[key]
        if isinstance(child, list):
            for item in child:
                children.extend(_xml_element(key, item, indent + "  "))
        elif isinstance(child, dict):
            children.extend(_xml_element(key, child, indent + "  "))
    if not children:
        return [f"{indent}<{tag}{attrs}></{tag}>"] if indent else [f"{indent}<{tag}{attrs} />"]
    return [f"{indent}<{tag}{attrs}>", *children, f"{indent}</{tag}>"]


def encode_xml(envelope: dict[str, Any]) -> str:
    """XML::Simple's rendering with root ``api``: scalars as attributes, lists as repeated elements
    (http_list-domains_multiline_xml.json, cli_list-domains_xml.txt)."""
    return "\n".join(_xml_element("api", envelope, "")) + "\n"


def text_body(output: str, exit_code: int) -> str:
    """Plain mode: the output, a blank line, and the raw Perl wait status, so exit 1 reads
    ``Exit status: 256`` (http_delete-domain_not-found_text.json)."""
    return f"{output}\nExit status: {exit_code * 256}\n"
