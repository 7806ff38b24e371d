"""Billing-document statements that travel with another ledger call (see audit.Alongside)."""

from __future__ import annotations

from praho_cli.ledger.audit import Alongside

_NUMBER_SQL = (
    "UPDATE billing_documents SET fiscal_year = :doc_fiscal_year, number = :doc_number, "
    "number_text = :doc_number_text WHERE id = :doc_id"
)


def write_number(document_id: int, fiscal_year: int, number: int, number_text: str) -> Alongside:
    """The UPDATE that gives an issued document its number, to run with the issuing audit event."""
    return Alongside(_NUMBER_SQL, {"doc_id": document_id, "doc_fiscal_year": fiscal_year, "doc_number": number,
                                   "doc_number_text": number_text})
