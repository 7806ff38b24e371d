"""Issuing on PostgreSQL takes its locked part in one statement (ledger/issuing.py) when SQL can
render the number; otherwise, on SQLite, and for the first number of a year, the general path.
Both must give the same documents, the same numbers and an audit chain that verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import issuing
from praho_cli.ledger.issuing import NUMBER_MARK
from praho_cli.ledger.uow import commit_with, read_session, run_in_transaction
from praho_cli.result import Ok
from praho_cli.services import audit as audit_service
from praho_cli.services import invoices, series
from praho_cli.services.context import ServiceContext
from praho_cli.services.customers import CustomerInput, add_customer

SETTINGS: dict[str, Any] = {"billing.due_days": 14, "billing.rounding": "half_up", "seller.country": "RO",
                            "seller.vat_payer": True, "seller.name": "Praho Test SRL", "seller.vat_id": "RO18547290",
                            "seller.address": "Str. Testului 1", "billing.invoice_series": "INV"}
CTX = ServiceContext(now=lambda: datetime(2026, 11, 26, 10, 0, tzinfo=UTC), actor="tester", setting=SETTINGS.get)

TEMPLATES = [  # (code, template, start, expected first two numbers)
    ("INV", None, 1, ["INV2026-000001", "INV2026-000002"]),
    ("PL", "{number}", 1, ["1", "2"]),
    ("SH", "{series}-{number:03}", 998, ["SH-998", "SH-999", "SH-1000", "SH-1001"]),
    ("SP", "{series}-{number:4}", 1, ["SP-   1", "SP-   2"]),  # space padding: Python renders it
]


def _draft(session: Any, code: str, customer: str = "1") -> int:
    made = invoices.create_draft(session, CTX, DocumentKind.INVOICE, invoices.DraftInput(
        customer=customer, series=None if code == "INV" else code, lines=("Hosting|1|100", "Backup|2|9.99|standard"))).unwrap()
    return int(made["id"])


@pytest.fixture(autouse=True)
def _unproven(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no number format proven (the proof is one statement, once per process)."""
    monkeypatch.setattr(invoices, "_PROVEN", set())


def _issue(db: Any, doc_id: int, key: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Issue one draft; the statements sent, in order, those committed in their round trip marked
    ``COMMITTED:`` (the transaction was over when the statement came back)."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    def committing(session: Any, statement: Any, params: Any) -> Any:
        row = commit_with(session, statement, params)
        raw = session.connection().connection.driver_connection
        over = raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        statements.append(("COMMITTED:" if over else "OPEN:") + statement.text)
        return row

    event.listen(db.engine, "before_cursor_execute", seen)
    patch = pytest.MonkeyPatch()
    patch.setattr(issuing, "commit_with", committing)
    try:
        issued = run_in_transaction(db, lambda s: invoices.issue_document(s, CTX, DocumentKind.INVOICE,
                                                                          str(doc_id), key)).unwrap()
    finally:
        patch.undo()
        event.remove(db.engine, "before_cursor_execute", seen)
    return issued, statements


def test_every_template_numbers_alike_on_both_paths(db):
    def setup(session: Any) -> Any:
        add_customer(session, CTX, CustomerInput(name="Acme SRL", email="a@acme.ro")).unwrap()
        for code, template, start, _numbers in TEMPLATES:
            if template is not None:
                series.add_series(session, CTX, series.SeriesInput(
                    code=code, kind="invoice", template=template, yearly_reset=False, start_number=start)).unwrap()
        return Ok(None)

    run_in_transaction(db, setup).unwrap()
    for code, _template, _start, numbers in TEMPLATES:
        drafts = run_in_transaction(db, lambda s, c=code, n=len(numbers): Ok([_draft(s, c) for _ in range(n)])).unwrap()
        results = [_issue(db, d) for d in drafts]
        assert [r[0]["number"] for r in results] == numbers, code
        for position, (issued, statements) in enumerate(results):
            assert issued["status"] == "issued" and issued["fiscal_year"] in (0, 2026)
            if not db.is_postgres:
                assert not any("WITH counter AS" in s for s in statements)
                continue
            if code == "SP":  # a template SQL does not render: the general path, every time
                assert any("WITH alongside AS" in s for s in statements), code
                assert not any(s.startswith("COMMITTED:") for s in statements)
                continue
            # The draft read with its lines and rates; the first time, the format's proof (sample
            # numbers rendered by the statement's SQL); then the counter (created by the first
            # issue of the year), the frozen draft, its number and the audit event in one statement,
            # committed in the same round trip.
            proof = ["unnest"] if position == 0 else []
            assert len(statements) == 2 + len(proof), (code, statements)
            assert "json_agg" in statements[0]
            assert all(p in s for p, s in zip(proof, statements[1:-1], strict=True)), (code, statements)
            assert statements[-1].startswith("COMMITTED:WITH counter AS (INSERT INTO series_counters"), statements
            assert "UPDATE billing_documents SET status = " in statements[-1], statements[-1]
        with read_session(db) as s:  # what the issue returned is what the ledger holds, on either path
            for issued, _statements in results:
                stored_doc = invoices.show_document(s, DocumentKind.INVOICE, issued["id"]).unwrap()
                for key in ("status", "tax_point", "issue_date", "due_date", "net_cents", "vat_cents", "total_cents",
                            "vat_regime", "number", "seller", "customer"):
                    assert stored_doc[key] == issued[key], (code, key, stored_doc[key], issued[key])
                assert stored_doc["status"] == "issued" and stored_doc["total_cents"] > 0
    with read_session(db) as s:
        report = audit_service.verify_chain(s).unwrap()
        stored = s.execute(text("SELECT number_text, after_json FROM billing_documents d JOIN audit_events e "
                                "ON e.entity_id = CAST(d.id AS VARCHAR) AND e.action = 'invoice.issue' "
                                "ORDER BY d.id")).all()
        shown = invoices.show_document(s, DocumentKind.INVOICE, "INV2026-000002").unwrap()
        audit_rows = [r for r in series.audit_series(s, CTX.zone).unwrap() if r.get("gaps") or r.get("duplicates")]
    assert report["ok"] is True, report
    assert all(f'"number":"{number}"' in after for number, after in stored)
    assert all(NUMBER_MARK not in after for _number, after in stored)
    assert shown["number"] == "INV2026-000002" and shown["seller"]["name"] == "Praho Test SRL"
    assert audit_rows == []


def test_a_record_holding_the_mark_takes_the_general_path(db):
    def setup(session: Any) -> Any:
        add_customer(session, CTX, CustomerInput(name=f"Mark {NUMBER_MARK} SRL", email="m@mark.ro")).unwrap()
        return Ok([_draft(session, "INV"), _draft(session, "INV")])

    first, second = run_in_transaction(db, setup).unwrap()
    _issue(db, first)
    issued, statements = _issue(db, second)
    assert issued["number"] == "INV2026-000002"
    assert not any("WITH counter AS" in s for s in statements)
    with read_session(db) as s:
        assert audit_service.verify_chain(s).unwrap()["ok"] is True


def test_an_idempotency_key_is_stored_by_the_same_statement_and_replays_the_same_result(db):
    def setup(session: Any) -> Any:
        add_customer(session, CTX, CustomerInput(name="Acme SRL", email="a@acme.ro")).unwrap()
        add_customer(session, CTX, CustomerInput(name=f"Mark {NUMBER_MARK} SRL", email="m@mark.ro")).unwrap()
        return Ok([_draft(session, "INV"), _draft(session, "INV", customer="2")])

    plain, marked = run_in_transaction(db, setup).unwrap()
    for doc_id, key, number in ((plain, "k-plain", "INV2026-000001"), (marked, "k-marked", "INV2026-000002")):
        issued, statements = _issue(db, doc_id, key=key)
        assert issued["number"] == number
        one_statement = db.is_postgres and doc_id == plain  # the marked record takes the general path
        kept = [s for s in statements if "INSERT INTO idempotency_keys" in s]
        assert kept and kept[0].startswith("COMMITTED:WITH counter AS") is one_statement, statements
        replayed, again = _issue(db, doc_id, key=key)
        assert replayed == issued
        assert not any("WITH counter AS" in s or "INSERT INTO" in s for s in again), again
        with read_session(db) as s:
            stored = s.execute(text("SELECT command, result_json FROM idempotency_keys WHERE key = :k"),
                               {"k": key}).one()
        assert stored.command == "invoices.issue" and json.loads(stored.result_json) == issued
    with read_session(db) as s:
        assert audit_service.verify_chain(s).unwrap()["ok"] is True


def test_a_number_text_that_differs_after_the_commit_is_reported_as_committed(db, monkeypatch):
    """Unreachable for a proven format; if the database's text ever differed from Python's, the
    issue has committed with the statement, and the error says so instead of claiming a rollback."""
    from praho_cli.result import ErrorCode, PrahoFailure

    def setup(session: Any) -> Any:
        add_customer(session, CTX, CustomerInput(name="Acme SRL", email="a@acme.ro")).unwrap()
        return Ok(_draft(session, "INV"))

    doc_id = run_in_transaction(db, setup).unwrap()
    if not db.is_postgres:  # the general path renders in Python only
        return
    real = invoices.render_number
    monkeypatch.setattr(invoices, "_sql_renders", lambda *_args: True)
    monkeypatch.setattr(invoices, "render_number", lambda *args: real(*args) + "-python")
    with pytest.raises(PrahoFailure) as failure:
        _issue(db, doc_id)
    assert failure.value.error.code is ErrorCode.INTERNAL
    assert failure.value.error.message == ("number text 'INV2026-000001' rendered by the database differs from "
                                           "'INV2026-000001-python' (series INV); it was committed: "
                                           "see `praho invoices series-audit`")
    with read_session(db) as s:
        shown = invoices.show_document(s, DocumentKind.INVOICE, str(doc_id)).unwrap()
    assert (shown["number"], shown["status"]) == ("INV2026-000001", "issued")
