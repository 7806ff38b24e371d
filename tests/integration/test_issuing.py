"""Issuing through the service on each backend: every number template, what the issue returns is
what the ledger holds, the audit event carries the number, an idempotency key replays the same
result, and the service never commits (its unit of work does, or rolls everything back)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.result import Err, ErrorCode, Ok, PrahoError
from praho_cli.services import audit as audit_service
from praho_cli.services.billing import series
from praho_cli.services.billing.customers import CustomerInput, add_customer
from praho_cli.services.billing.documents import detail, drafts, issuing
from praho_cli.services.context import ServiceContext

SETTINGS: dict[str, Any] = {"billing.due_days": 14, "billing.rounding": "half_up", "seller.country": "RO",
                            "seller.vat_payer": True, "seller.name": "Praho Test SRL", "seller.vat_id": "RO18547290",
                            "seller.address": "Str. Testului 1", "billing.invoice_series": "INV"}
CTX = ServiceContext(now=lambda: datetime(2026, 11, 26, 10, 0, tzinfo=UTC), actor="tester", setting=SETTINGS.get)

TEMPLATES = [  # (code, template, start, expected numbers)
    ("INV", None, 1, ["INV2026-000001", "INV2026-000002"]),
    ("PL", "{number}", 1, ["1", "2"]),
    ("SH", "{series}-{number:03}", 998, ["SH-998", "SH-999", "SH-1000", "SH-1001"]),
    ("SP", "{series}-{number:4}", 1, ["SP-   1", "SP-   2"]),
    ("QT", '{series}"{number}\\\\', 1, ['QT"1\\\\', 'QT"2\\\\']),  # JSON escapes these in the audit record
]


def _draft(session: Any, code: str, customer: str = "1") -> int:
    made = drafts.create_draft(session, CTX, DocumentKind.INVOICE, drafts.DraftInput(
        customer=customer, series=None if code == "INV" else code, lines=("Hosting|1|100", "Backup|2|9.99|standard"))).unwrap()
    return int(made["id"])


def _issue(db: Any, doc_id: int, key: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Issue one draft in its own unit of work; the statements sent, in order."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        issued = run_in_transaction(db, lambda s: issuing.issue_document(s, CTX, DocumentKind.INVOICE,
                                                                          str(doc_id), key)).unwrap()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return issued, statements


def _setup(db: Any) -> None:
    def setup(session: Any) -> Any:
        add_customer(session, CTX, CustomerInput(name="Acme SRL", email="a@acme.ro")).unwrap()
        for code, template, start, _numbers in TEMPLATES:
            if template is not None:
                series.add_series(session, CTX, series.SeriesInput(
                    code=code, kind="invoice", template=template, yearly_reset=False, start_number=start)).unwrap()
        return Ok(None)

    run_in_transaction(db, setup).unwrap()


def test_every_template_numbers_as_rendered_and_the_ledger_holds_what_the_issue_returned(db):
    _setup(db)
    for code, _template, _start, numbers in TEMPLATES:
        drafts = run_in_transaction(db, lambda s, c=code, n=len(numbers): Ok([_draft(s, c) for _ in range(n)])).unwrap()
        results = [_issue(db, d) for d in drafts]
        assert [r[0]["number"] for r in results] == numbers, code
        for issued, statements in results:
            assert issued["status"] == "issued" and issued["fiscal_year"] in (0, 2026)
            assert not any(s.strip().upper().startswith("COMMIT") for s in statements)  # the unit of work commits
        with read_session(db) as s:
            for issued, _statements in results:
                stored = detail.show_document(s, DocumentKind.INVOICE, issued["id"]).unwrap()
                for key in ("status", "tax_point", "issue_date", "due_date", "net_cents", "vat_cents", "total_cents",
                            "vat_regime", "number", "fiscal_year", "seller", "customer", "lines"):
                    assert stored[key] == issued[key], (code, key, stored[key], issued[key])
    with read_session(db) as s:
        report = audit_service.verify_chain(s).unwrap()
        stored_events = s.execute(text(
            "SELECT number_text, after_json FROM billing_documents d JOIN audit_events e "
            "ON e.entity_id = CAST(d.id AS VARCHAR) AND e.action = 'invoice.issue' ORDER BY d.id")).all()
        findings = series.audit_series(s, CTX.zone).unwrap()
    assert report["ok"] is True, report
    assert [json.loads(after)["number"] for _number, after in stored_events] == [n for n, _a in stored_events]
    assert all(f["ok"] for f in findings), findings


def test_an_idempotency_key_replays_the_stored_result(db):
    _setup(db)
    doc_id = run_in_transaction(db, lambda s: Ok(_draft(s, "INV"))).unwrap()
    issued, _statements = _issue(db, doc_id, key="k-1")
    assert issued["number"] == "INV2026-000001"
    replayed, again = _issue(db, doc_id, key="k-1")
    assert replayed == issued
    assert not any("INSERT INTO" in s or "UPDATE series_counters" in s for s in again), again
    with read_session(db) as s:
        stored = s.execute(text("SELECT command, result_json FROM idempotency_keys WHERE key = 'k-1'")).one()
        assert audit_service.verify_chain(s).unwrap()["ok"] is True
    assert stored.command == "invoices.issue" and json.loads(stored.result_json) == issued


def test_a_failure_after_the_number_rolls_the_whole_issue_back(db):
    """The service writes and never commits: when the unit of work it runs in fails afterwards,
    nothing of the issue stays (number, counter, audit event), and the next issue takes number 1."""
    _setup(db)
    first, second = run_in_transaction(db, lambda s: Ok([_draft(s, "INV"), _draft(s, "INV")])).unwrap()

    def issue_then_fail(session: Any) -> Any:
        issuing.issue_document(session, CTX, DocumentKind.INVOICE, str(first)).unwrap()
        return Err(PrahoError(ErrorCode.CONFLICT, "something after the issue failed"))

    failed = run_in_transaction(db, issue_then_fail)
    assert isinstance(failed, Err)
    with read_session(db) as s:
        shown = detail.show_document(s, DocumentKind.INVOICE, str(first)).unwrap()
        events = s.execute(text("SELECT count(*) FROM audit_events WHERE action = 'invoice.issue'")).scalar_one()
    assert (shown["status"], shown["number"], events) == ("draft", None, 0)
    issued, _statements = _issue(db, second)
    assert issued["number"] == "INV2026-000001"
