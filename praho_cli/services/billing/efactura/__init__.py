"""RO e-Factura: the UBL 2.1 (CIUS-RO 1.0.1) of an issued invoice or credit note, and its validation.

- :func:`export_document` reads an issued document (``praho_cli.ledger.fiscal``) and builds its UBL
  (:mod:`.ubl`); it changes nothing.
- :func:`validate_document` checks a UBL file: safe parsing and the UBL 2.1 XSD (:mod:`.xml_input`),
  praho's CIUS-RO checks (:mod:`.rules`) and, with ``efactura.rules_dir``, ANAF's schematron
  (:mod:`.schematron`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import fiscal
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing.efactura import rules, schematron, ubl, xml_input
from praho_cli.services.context import ServiceContext

VALIDATION = RecordType(
    name="efactura_validation",
    title="e-Factura validation",
    description="What `praho efactura validate` found in one UBL file.",
    fields=(
        Field("file", "string", "The file validated (- for stdin)."),
        Field("document", "string", "Invoice or CreditNote."),
        Field("number", "string|null", "The document's number (BT-1)."),
        Field("valid", "boolean", "No XSD error and no fatal rule broken."),
        Field("xsd", "array", "UBL 2.1 XSD errors, 'line N: message'.", table=False),
        Field("cius_ro", "array", "praho's CIUS-RO checks broken, '[RULE] message'.", table=False),
        Field("schematron", "array|null", "ANAF's fatal asserts and reports, '[RULE] message'; null when "
              "efactura.rules_dir is not set.", table=False),
        Field("errors", "integer", "How many problems in all."),
    ),
)

FISCAL_KINDS = {"invoice": "invoice", "credit_note": "credit note"}


@returns_result
def export_document(session: Session, ctx: ServiceContext, ref: str) -> dict[str, Any]:
    """The UBL of the issued invoice or credit note ``ref`` (number or id): ``number``, ``kind``,
    ``xml`` (bytes). A read: the document is not changed."""
    document = fiscal.find(session, ref)
    if document is None:
        raise fail(ErrorCode.NOT_FOUND, f"no invoice or credit note {ref!r} (give its number or ledger id)")
    if document.kind not in FISCAL_KINDS:
        raise fail(ErrorCode.INELIGIBLE, f"{document.number_text or ref} is a {document.kind}, not a fiscal "
                   "document: e-Factura takes invoices and credit notes", kind=document.kind)
    label = FISCAL_KINDS[document.kind]
    if document.number_text is None or document.status == "draft":
        raise fail(ErrorCode.INELIGIBLE, f"{label} {ref} is a draft: only an issued document goes to e-Factura "
                   f"(praho invoices issue {ref})")
    xml = ubl.build(fiscal.load(session, document), ctx.setting)
    return {"number": document.number_text, "kind": document.kind, "xml": xml}


@returns_result
def validate_document(data: bytes, name: str, rules_dir: str | None = None,
                      cache: Path | None = None) -> dict[str, Any]:
    """Check a UBL file; a file that is not a safe UBL 2.1 document at all is INVALID (exit 2).
    ``cache``: where ANAF's compiled rules are kept (:func:`schematron.cache_dir`)."""
    root = xml_input.parse(data, name)
    xsd = xml_input.xsd_errors(root)
    cius = rules.check(root) if not xsd else []
    found: list[str] | None = None
    if rules_dir and not xsd:
        findings = schematron.run(data, Path(rules_dir).expanduser(), cache or schematron.cache_dir({}))
        found = [f"[{f.rule}] {f.text}" for f in findings]
    number = root.findtext(f"{{{rules.CBC}}}ID")
    errors = len(xsd) + len(cius) + len(found or [])
    return {"file": name, "document": xml_input.ROOTS[root.tag], "number": number, "valid": errors == 0,
            "xsd": xsd, "cius_ro": cius, "schematron": found, "errors": errors}
