"""The audit trail proves the ledger rows (docs/audit.md), on SQLite and PostgreSQL: an issued document,
payment or refund edited in the database, a row inserted past praho, or events cut from the end with
audit_head rewritten are all caught by `audit verify` (exit 7, one line)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from praho_cli.ledger.engine import open_database
from tests.cli.test_refunds import ACME, invoice


def _sql(cli: Any, *statements: str) -> None:
    engine = open_database(cli.database_url).engine
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _ledger(cli: Any) -> dict[str, Any]:
    """A customer, an invoice issued and paid, a partial refund (with its credit note), a second invoice."""
    assert cli(*ACME).exit_code == 0
    doc = invoice(cli, "Hosting|1|100", "Book|3|3.33|reduced", tax_point="2025-07-15")
    r = cli("refunds", "create", "--invoice", doc["number"], "--amount", "50", "--reason", "Part", "-o", "json")
    assert r.exit_code == 0, r.stderr
    invoice(cli, "Domain|1|10", pay=None)
    return doc


def test_an_untouched_ledger_verifies_and_prints_its_head(cli_any):
    _ledger(cli_any)
    r = cli_any("audit", "verify", "-o", "json")
    assert r.exit_code == 0, r.stderr
    report = r.json()
    anchor = cli_any("audit", "anchor", "-o", "json").json()
    assert (report["ok"], report["changed"], report["unproven"]) == (True, [], [])
    # two invoices and a credit note, one payment, one refund
    assert report["proven"] == 5
    assert (report["head_seq"], report["head_hash"]) == (anchor["seq"], anchor["hash"])
    assert r.stderr == (f"✓ Audit chain intact: {report['checked']} events verified, 5 ledger row(s) proven; "
                        f"head {anchor['seq']} {anchor['hash']}\n")
    proofs = [e["proof"] for e in cli_any("audit", "list", "-o", "json").json() if e["proof"]]
    assert sorted(p.split(":")[0] for p in proofs) == ["document", "document", "document", "payment", "refund"]
    ok = cli_any("audit", "verify", "--expect-seq", str(anchor["seq"]), "--expect-head", anchor["hash"])
    assert ok.exit_code == 0, ok.stderr


def test_an_edited_total_is_named_with_exit_7(cli_any):
    doc = _ledger(cli_any)
    _sql(cli_any, f"UPDATE billing_documents SET total_minor = total_minor + 100 WHERE id = {doc['id']}")
    r = cli_any("audit", "verify", "-o", "json")
    assert r.exit_code == 7
    assert r.json()["changed"] == [f"invoice {doc['number']} (id {doc['id']})"]
    assert r.stderr == (f"error: audit verification failed: 1 ledger row(s) differ from the audit event that "
                        f"created them: invoice {doc['number']} (id {doc['id']})\n")


def test_edited_lines_payments_and_refunds_are_caught_but_status_changes_are_not(cli_any):
    doc = _ledger(cli_any)
    # what legitimately changes after issue is outside the proof
    _sql(cli_any, f"UPDATE billing_documents SET status = 'overdue', paid_minor = 1 WHERE id = {doc['id']}",
         "UPDATE refunds SET status = 'failed', attempts = 3")
    assert cli_any("audit", "verify").exit_code == 0
    _sql(cli_any, "UPDATE document_lines SET description = 'Other' WHERE position = 1 AND document_id = "
         f"{doc['id']}", "UPDATE payments SET amount_minor = 1", "UPDATE refund_allocations SET amount_minor = 2")
    r = cli_any("audit", "verify", "-o", "json")
    assert r.exit_code == 7
    assert r.json()["changed"] == [f"invoice {doc['number']} (id {doc['id']})", "payment 1", "refund 1"]


def test_a_row_inserted_past_praho_is_unproven_until_proved(cli_any):
    doc = _ledger(cli_any)
    _sql(cli_any, "INSERT INTO payments (document_id, amount_minor, currency, method, reference, paid_at, "
         f"created_at) VALUES ({doc['id']}, 500, 'RON', 'bank', 'X', '2026-11-26', '2026-11-26 10:00:00')")
    r = cli_any("audit", "verify", "-o", "json")
    assert r.exit_code == 7
    assert r.json()["unproven"] == ["payment 2"]
    assert r.stderr == ("error: audit verification failed: 1 ledger row(s) have no audit event proving them: "
                        "payment 2 (rows older than proofs: run `praho audit prove-existing` once)\n")
    proved = cli_any("audit", "prove-existing", "-o", "json")
    assert proved.exit_code == 0, proved.stderr
    assert [(p["kind"], p["id"], p["label"]) for p in proved.json()] == [("payment", 2, "payment 2")]
    assert proved.stderr == "✓ Proved 1 ledger row(s)\n"
    event = cli_any("audit", "list", "--action", "payment.prove", "-o", "json").json()
    assert [(e["entity_id"], e["after"]) for e in event] == [("2", {"proved": "payment 2"})]
    assert cli_any("audit", "verify").exit_code == 0
    assert cli_any("audit", "prove-existing", "-o", "json").json() == []


def test_prove_existing_refuses_a_broken_chain(cli_any):
    _ledger(cli_any)
    _sql(cli_any, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    r = cli_any("audit", "prove-existing")
    assert (r.exit_code, r.stderr) == (7, "error: audit chain broken at event 2: event 2 was modified after it "
                                          "was written\n")


def test_a_cut_tail_with_a_rewritten_head_fails_against_the_anchor(cli_any):
    _ledger(cli_any)
    anchor = cli_any("audit", "anchor", "-o", "json").json()
    seq = anchor["seq"]
    # The newest events cut and audit_head rewritten to the new last event: the chain itself still holds.
    _sql(cli_any, f"DELETE FROM audit_events WHERE seq > {seq - 2}",
         f"UPDATE audit_head SET seq = {seq - 2}, hash = (SELECT hash FROM audit_events WHERE seq = {seq - 2})")
    # (the refund's credit note and the last invoice lose their proving events, so they are unproven too)
    plain = cli_any("audit", "verify", "-o", "json")
    assert plain.exit_code == 7 and plain.json()["broken_seq"] is None
    by_seq = cli_any("audit", "verify", "--expect-seq", str(seq))
    assert (by_seq.exit_code, by_seq.stderr) == (
        7, f"error: audit verification failed: the chain ends at event {seq - 2} but the anchor says {seq} "
           "events were written: events were cut from the end\n")
    by_head = cli_any("audit", "verify", "--expect-head", anchor["hash"])
    assert (by_head.exit_code, by_head.stderr) == (
        7, f"error: audit verification failed: the chain no longer holds the anchor hash {anchor['hash'][:16]}… "
           f"(it ends at event {seq - 2}): events were cut from the end or rewritten\n")
    both = cli_any("audit", "verify", "--expect-seq", str(seq), "--expect-head", anchor["hash"])
    assert both.exit_code == 7 and len(both.stderr.splitlines()) == 1


def test_a_bad_anchor_is_a_usage_error(cli_any):
    assert cli_any(*ACME).exit_code == 0
    r = cli_any("audit", "verify", "--expect-head", "xyz")
    assert (r.exit_code, r.stderr) == (2, "error: --expect-head must be a sha256 hash (64 hex digits)\n")
