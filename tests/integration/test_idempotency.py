"""services.idempotency.idempotent: its work may return a Result or a plain value, or raise; only a
value is stored under the key, and the caller always gets a Result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from praho_cli.ledger.uow import run_in_transaction
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, fail
from praho_cli.services.context import ServiceContext
from praho_cli.services.idempotency import idempotent
from tests.conftest import FIXED_NOW

CTX = ServiceContext(now=lambda: FIXED_NOW, actor="tester")


def _keys(db: Any) -> list[str]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT key FROM idempotency_keys ORDER BY key"))]


def test_work_returning_a_value_a_result_or_raising(db):
    from praho_cli.ledger import schema

    schema.upgrade(db)
    calls: list[str] = []

    def plain() -> dict[str, Any]:
        calls.append("plain")
        return {"n": 1}

    first = run_in_transaction(db, lambda s: idempotent(s, CTX, "k-plain", "t.plain", {"a": 1}, plain))
    again = run_in_transaction(db, lambda s: idempotent(s, CTX, "k-plain", "t.plain", {"a": 1}, plain))
    assert (first, again, calls) == (Ok({"n": 1}), Ok({"n": 1}), ["plain"])
    wrapped = run_in_transaction(db, lambda s: idempotent(s, CTX, "k-ok", "t.ok", {}, lambda: Ok({"n": 2})))
    assert wrapped == Ok({"n": 2})

    refused = run_in_transaction(db, lambda s: idempotent(s, CTX, "k-err", "t.err", {},
                                                          lambda: Err(PrahoError(ErrorCode.INVALID, "no"))))

    def raising() -> dict[str, Any]:
        raise fail(ErrorCode.CONFLICT, "taken")

    raised = run_in_transaction(db, lambda s: idempotent(s, CTX, "k-raise", "t.raise", {}, raising))
    assert (refused.error.code, refused.error.message) == (ErrorCode.INVALID, "no")
    assert (raised.error.code, raised.error.message) == (ErrorCode.CONFLICT, "taken")
    other = run_in_transaction(db, lambda s: idempotent(s, CTX, "k-plain", "t.plain", {"a": 2}, plain))
    assert other.error.exit_code == 5 and "with different parameters" in other.error.message
    assert _keys(db) == ["k-ok", "k-plain"]
