"""Finding a billing document by number or id, and the not-found message that names a document of
another kind when the reference is one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import documents as ledger
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.billing import BillingDocument, DocumentSeries
from praho_cli.result import ErrorCode, PrahoFailure, fail, returns_result

_NOUNS = {DocumentKind.INVOICE: "invoices", DocumentKind.PROFORMA: "proformas",
          DocumentKind.CREDIT_NOTE: "credit-notes"}


def kind_label(kind: DocumentKind) -> str:
    return {DocumentKind.INVOICE: "invoice", DocumentKind.PROFORMA: "proforma",
            DocumentKind.CREDIT_NOTE: "credit note"}[kind]


def _refs(ref: str) -> list[dict[str, Any]]:
    """How to look ``ref`` up, in order: digits are an id first (drafts have nothing else), a number
    from a "{number}" template next; anything else is a number."""
    if not ref.lstrip("#").isdigit():
        return [{"number": ref}]
    return [{"id": int(ref.lstrip("#"))}, {"number": ref}]


def _not_found(session: Session, kind: DocumentKind, ref: str) -> PrahoFailure:
    """Not found; when the reference names a document of another kind, say which and how to see it."""
    for other in DocumentKind:
        if other is kind:
            continue
        for how in _refs(ref):
            found = ledger.get(session, other.value, **how)
            if found is not None:
                what = f"{found.number_text} is" if found.number_text == ref else f"document {found.id} is"
                label = kind_label(other)
                article = "an" if label[0] in "aeiou" else "a"
                return fail(ErrorCode.NOT_FOUND, f"no {kind_label(kind)} {ref!r}: {what} {article} {label} "
                            f"(praho {_NOUNS[other]} show {ref})", kind=other.value)
    return fail(ErrorCode.NOT_FOUND, f"no {kind_label(kind)} {ref!r} (give its number or id)")


def get_document(session: Session, kind: DocumentKind, ref: str) -> BillingDocument:
    """By number (``INV2026-000042``) or ledger id; raises ``not_found``."""
    ref = ref.strip()
    for how in _refs(ref):
        found = ledger.get(session, kind.value, **how)
        if found is not None:
            return found
    raise _not_found(session, kind, ref)


def lock_document(
    session: Session, kind: DocumentKind, ref: str
) -> tuple[BillingDocument, Customer, DocumentSeries]:
    """The document, locked (FOR UPDATE) and read fresh, with its customer and series in the same
    round trip (only the document's row is locked). Holding the three keeps them in the session's
    identity map, so later ``session.get`` calls for them cost no query. Raises ``not_found``."""
    ref = ref.strip()
    for how in _refs(ref):
        found = ledger.get_locked(session, kind.value, **how)
        if found is not None:
            return found
    raise _not_found(session, kind, ref)


@returns_result
def find_document(session: Session, kind: DocumentKind, ref: str, *, lock: bool = False) -> BillingDocument:
    """By number (``INV2026-000042``) or ledger id; ``lock`` takes the row lock (FOR UPDATE)."""
    return lock_document(session, kind, ref)[0] if lock else get_document(session, kind, ref)

