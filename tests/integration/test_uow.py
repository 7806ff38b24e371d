"""The unit of work replays only the unique violations of the races it knows, on each backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert

from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.core import IdempotencyRecord
from praho_cli.ledger.uow import run_in_transaction
from praho_cli.result import ErrorCode, Ok, PrahoFailure

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _customer(session: Any, email: str) -> None:
    session.execute(insert(Customer).values(kind="company", name="Acme SRL", email=email, country="RO",
                                            currency="RON", created_at=NOW, updated_at=NOW))


def _key(session: Any, key: str) -> None:
    session.execute(insert(IdempotencyRecord).values(key=key, command="customers.add", params_hash="x",
                                                     result_json="{}", created_at=NOW))


def test_a_known_race_is_replayed(db):
    run_in_transaction(db, lambda s: Ok(_key(s, "k-1"))).unwrap()
    attempts: list[int] = []

    def work(session: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:  # as if a concurrent writer had stored the key between look-up and insert
            _key(session, "k-1")
        return Ok("replayed")

    assert run_in_transaction(db, work).unwrap() == "replayed"
    assert len(attempts) == 2


def test_any_other_unique_violation_is_a_conflict_at_once(db):
    run_in_transaction(db, lambda s: Ok(_customer(s, "a@acme.ro"))).unwrap()
    attempts: list[int] = []

    def work(session: Any) -> Any:
        attempts.append(1)
        _customer(session, "a@acme.ro")
        return Ok(None)

    with pytest.raises(PrahoFailure) as caught:
        run_in_transaction(db, work)
    assert len(attempts) == 1  # never replayed
    error = caught.value.error
    assert error.code is ErrorCode.CONFLICT and error.exit_code == 5
    constraint = "uq_customers_email" if db.is_postgres else "customers.email"
    assert error.message == (f"a concurrent change already wrote the same value ({constraint}); nothing was "
                             "changed: run the command again to see the ledger as it is now")
