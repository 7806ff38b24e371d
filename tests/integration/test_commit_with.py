"""uow.commit_with: a transaction's last statement and its COMMIT in one round trip (PostgreSQL),
a plain statement left to the unit of work's commit elsewhere (SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from praho_cli.ledger.uow import MAX_ATTEMPTS, commit_with, run_in_transaction
from praho_cli.result import ErrorCode, Ok, PrahoFailure, err

PROBE = text("INSERT INTO probe (id, note) VALUES (:id, :note) RETURNING id, note")


@pytest.fixture
def probe_db(db: Any) -> Any:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, note VARCHAR(40) NOT NULL)"))
    return db


def _notes(db: Any) -> list[tuple[int, str]]:
    """What another connection sees (on PostgreSQL a separate engine: committed rows only)."""
    engine = create_engine(db.engine.url) if db.is_postgres else db.engine
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT id, note FROM probe ORDER BY id"))]
    finally:
        if engine is not db.engine:
            engine.dispose()


def test_the_statement_and_the_work_before_it_are_committed_together(probe_db):
    seen_before_the_unit_of_work_commits: list[Any] = []

    def work(session: Any) -> Any:
        session.execute(text("INSERT INTO probe (id, note) VALUES (1, 'earlier')"))
        row = commit_with(session, PROBE, {"id": 2, "note": "last"})
        seen_before_the_unit_of_work_commits.extend(_notes(probe_db) if probe_db.is_postgres else [])
        return Ok(row)

    assert run_in_transaction(probe_db, work).unwrap() == (2, "last")
    assert _notes(probe_db) == [(1, "earlier"), (2, "last")]
    if probe_db.is_postgres:  # committed in the statement's own round trip
        assert seen_before_the_unit_of_work_commits == [(1, "earlier"), (2, "last")]


def test_a_failing_statement_rolls_everything_back_and_the_unit_of_work_replays(probe_db):
    with probe_db.engine.begin() as conn:
        conn.execute(text("INSERT INTO probe (id, note) VALUES (7, 'taken')"))
    attempts = []

    def work(session: Any) -> Any:
        attempts.append(1)
        session.execute(text("INSERT INTO probe (id, note) VALUES (8, 'earlier')"))
        return Ok(commit_with(session, PROBE, {"id": 7, "note": "duplicate"}))

    result = run_in_transaction(probe_db, work)
    assert not result.ok and result.error.code is ErrorCode.CONFLICT  # a unique violation, replayed each time
    assert len(attempts) == MAX_ATTEMPTS
    assert _notes(probe_db) == [(7, "taken")]


def test_a_service_that_fails_after_committing_is_an_internal_error(probe_db):
    def work(session: Any) -> Any:
        commit_with(session, PROBE, {"id": 3, "note": "committed"})
        return err(ErrorCode.INVALID, "too late")

    if not probe_db.is_postgres:  # nothing committed yet: an ordinary rollback
        assert run_in_transaction(probe_db, work).error.code is ErrorCode.INVALID
        assert _notes(probe_db) == []
        return
    with pytest.raises(PrahoFailure) as failure:
        run_in_transaction(probe_db, work)
    assert failure.value.error.code is ErrorCode.INTERNAL and "too late" in failure.value.error.message
    assert _notes(probe_db) == [(3, "committed")]


def test_without_pipeline_mode_the_unit_of_work_commits(probe_db, monkeypatch):
    """A libpq older than 14 has no pipeline mode: the statement runs alone, COMMIT follows as usual."""
    import praho_cli.ledger.uow as uow

    monkeypatch.setattr(uow, "_pipelines", lambda _dbapi: False)
    seen: list[Any] = []

    def work(session: Any) -> Any:
        row = commit_with(session, PROBE, {"id": 4, "note": "later"})
        seen.extend(_notes(probe_db) if probe_db.is_postgres else [])
        return Ok(row)

    assert run_in_transaction(probe_db, work).unwrap() == (4, "later")
    assert seen == [] and _notes(probe_db) == [(4, "later")]
