"""The ledger on SQLite and PostgreSQL: migrations, customers, the audit chain, idempotency."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import text

from praho_cli.ledger import schema
from praho_cli.ledger.engine import open_database
from praho_cli.ledger.uow import run_in_transaction
from praho_cli.services import audit as audit_service
from praho_cli.services import ledger_admin
from praho_cli.services.billing import customers
from praho_cli.services.context import ServiceContext
from tests.conftest import FIXED_NOW, Cli, table_dump

CTX = ServiceContext(now=lambda: FIXED_NOW, actor="tester")


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("pg_empty_url")


def test_migrations_from_empty_reach_head_and_match_the_models(empty_url):
    db = open_database(empty_url)
    assert schema.current_revision(db) is None
    before, after = schema.upgrade(db)
    assert (before, after) == (None, schema.head_revision())
    assert ledger_admin.check(db).ok, ledger_admin.check(db)
    assert schema.diff_against_models(db) == []
    again = schema.upgrade(db)  # idempotent
    assert again == (schema.head_revision(), schema.head_revision())
    db.engine.dispose()


def test_head_revision_agrees_with_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert heads == [schema.head_revision()]


def test_db_commands(cli_any):
    current = cli_any("db", "current", "--json").json()
    assert current["up_to_date"] is True and current["current"] == schema.head_revision()
    assert cli_any("db", "check").exit_code == 0
    assert cli_any("db", "upgrade", "--json").json()["previous"] == schema.head_revision()


def test_init_on_a_fresh_machine(empty_url, tmp_path):
    cli = Cli(home=tmp_path / "h", database_url=empty_url, clock=lambda: FIXED_NOW, extra_env={})
    r = cli("init", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["current"] == schema.head_revision() and r.json()["previous"] is None
    assert (tmp_path / "h" / "config" / "praho" / "config.toml").exists()
    assert cli("customers", "list", "--json").json() == []
    assert cli("init").exit_code == 0  # a second init changes nothing and succeeds


def add(db, name, email, **extra):
    data = customers.CustomerInput(name=name, email=email, **extra)
    return run_in_transaction(db, lambda s: customers.add_customer(s, CTX, data))


def test_customers_crud_and_audit_on_both_backends(db):
    created = add(db, "Acme SRL", "a@acme.ro", cui="RO18547290").unwrap()
    updated = run_in_transaction(
        db, lambda s: customers.update_customer(s, CTX, created["id"], customers.CustomerInput(city="Cluj"))
    ).unwrap()
    assert updated["version"] == 2 and updated["city"] == "Cluj"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
    from praho_cli.ledger.uow import read_session

    with read_session(db) as s:
        assert audit_service.verify_chain(s).unwrap()["ok"] is True


def _chain_ok(db):
    from praho_cli.ledger.uow import read_session

    with read_session(db) as s:
        return audit_service.verify_chain(s).unwrap()


@pytest.fixture
def chained(db):
    for i in range(5):
        add(db, f"C{i}", f"c{i}@x.ro")
    assert _chain_ok(db)["ok"] is True
    return db


def test_audit_detects_an_edited_event(chained):
    with chained.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"))
    report = _chain_ok(chained)
    assert (report["ok"], report["broken_seq"]) == (False, 3)
    assert report["problem"] == "event 3 was modified after it was written"


def test_audit_detects_a_deleted_event(chained):
    with chained.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    report = _chain_ok(chained)
    assert (report["ok"], report["broken_seq"]) == (False, 3)
    assert "an earlier event was deleted" in report["problem"]


def test_audit_detects_swapped_events(chained):
    with chained.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 4"))
        conn.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = -1"))
    report = _chain_ok(chained)
    assert report["ok"] is False and report["broken_seq"] in (2, 4)


def test_audit_detects_events_cut_from_the_end(chained):
    with chained.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    report = _chain_ok(chained)
    assert report["ok"] is False and "removed from the end" in report["problem"]


def test_audit_verify_cli_exit_7(cli_any):
    cli_any("customers", "add", "--name", "A", "--email", "a@a.ro")
    cli_any("customers", "add", "--name", "B", "--email", "b@b.ro")
    assert cli_any("audit", "verify").exit_code == 0
    engine = open_database(cli_any.database_url).engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET after_json = '{}' WHERE seq = 1"))
    engine.dispose()
    r = cli_any("audit", "verify", "--json")
    assert r.exit_code == 7
    assert r.json()["broken_seq"] == 1
    assert r.stderr == "error: audit chain broken at event 1: event 1 was modified after it was written\n"


def test_idempotency_replay_and_mismatch(db):
    data = customers.CustomerInput(name="Acme", email="a@acme.ro")
    first = run_in_transaction(db, lambda s: customers.add_customer(s, CTX, data, "key-1")).unwrap()
    dump = table_dump(str(db.url.render_as_string(hide_password=False)))
    replay = run_in_transaction(db, lambda s: customers.add_customer(s, CTX, data, "key-1")).unwrap()
    assert replay == first
    assert table_dump(str(db.url.render_as_string(hide_password=False))) == dump
    other = customers.CustomerInput(name="Acme 2", email="a2@acme.ro")
    mismatch = run_in_transaction(db, lambda s: customers.add_customer(s, CTX, other, "key-1"))
    assert not mismatch.ok and mismatch.error.exit_code == 5


def test_append_hashes_awkward_payloads_as_verify_does(db):
    """PostgreSQL computes each event's hash in the append statement; verify recomputes it in Python."""
    from datetime import UTC, datetime

    from praho_cli.ledger import audit
    from praho_cli.ledger.uow import read_session, run_in_transaction
    from praho_cli.result import Ok

    awkward = [
        {"seq": -1, "ts": "x", "note": 'a,"seq":-1,"ts":b'},  # the splice marker, escaped inside the payload
        {"name": "Șoimii Țării ăîâ", "emoji": "😀", "ctl": "\x01\t\n", "back": "\\\"", "sep": "\u2028"},
        None,
    ]

    def write(session):
        for i, after in enumerate(awkward):
            event = audit.append(session, ts=datetime(2026, 11, 26, 10, i, 0, 123456, tzinfo=UTC), actor="tëst",
                                 action="test.awkward", entity_type="test", entity_id=i, after=after,
                                 before={"password": "hunter2", "n": i})
            assert event["hash"] == audit.compute_hash(event["prev_hash"], event)
        return Ok(None)

    run_in_transaction(db, write).unwrap()
    with read_session(db) as s:
        report = audit_service.verify_chain(s).unwrap()
        rows = s.execute(text("SELECT before_json FROM audit_events WHERE action = 'test.awkward'")).scalars().all()
    assert report["ok"] is True, report
    assert rows and all("hunter2" not in r and "[redacted]" in r for r in rows)


def _insert(db, table_name, **fixed):
    """Insert one row through the live table (whatever revision it is at): every NOT NULL column gets
    a value of its type, ``fixed`` the rest. Returns the id the database gave it."""
    import sqlalchemy as sa

    with db.engine.begin() as conn:
        table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
        row = {}
        for col in table.columns:
            if col.name == "id" or col.nullable or col.name in fixed:
                continue
            kind = col.type.python_type
            row[col.name] = (FIXED_NOW if kind is datetime else FIXED_NOW.date() if kind is date
                             else False if kind is bool else 1 if kind is int else "{}" if col.type.__class__.__name__
                             in ("Text", "TEXT") else "x")
        result = conn.execute(table.insert().values(**row, **fixed).returning(table.c.id))
        return result.scalar_one()


def test_0006_keeps_the_data_and_ids_are_never_reused_after_it(empty_url):
    """A ledger written at 0005 upgrades with every row kept; then no id is handed out twice."""
    db = open_database(empty_url)
    schema.upgrade(db, "0005")
    _insert(db, "customers", email="a@acme.ro", name="Acme SRL", country="RO")
    _insert(db, "document_series", code="INV")
    docs = [_insert(db, "billing_documents", customer_id=1, series_id=1) for _ in range(3)]
    for position, doc in enumerate(docs, start=1):
        _insert(db, "document_lines", document_id=doc, position=position)
    _insert(db, "payments", document_id=1)
    assert docs == [1, 2, 3]
    with db.engine.begin() as conn:  # the newest draft deleted: at 0005 SQLite would hand its id out again
        conn.execute(text("DELETE FROM document_lines WHERE document_id = 3"))
        conn.execute(text("DELETE FROM billing_documents WHERE id = 3"))
    before = table_dump(empty_url)
    schema.upgrade(db, "0006")
    after = table_dump(empty_url)
    after.pop("alembic_version"), before.pop("alembic_version")
    after.pop("sqlite_sequence", None)
    assert after == before
    schema.upgrade(db)
    assert schema.diff_against_models(db) == []
    assert ledger_admin.check(db).ok
    # PostgreSQL's identity starts where the serial sequence stopped (3 was handed out); SQLite had no
    # record of the deleted 3, so it starts after the highest id left.
    fourth = _insert(db, "billing_documents", customer_id=1, series_id=1)
    assert fourth == (4 if db.url.get_backend_name() == "postgresql" else 3)
    assert _insert(db, "document_lines", document_id=1, position=9) == fourth
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM billing_documents WHERE id = :id"), {"id": fourth})
    assert _insert(db, "billing_documents", customer_id=1, series_id=1) == fourth + 1
    db.engine.dispose()


def test_db_check_names_a_table_whose_ids_can_be_reused(empty_url):
    """A ledger that claims head but has 0005's tables: `db check` names every table left reusable."""
    db = open_database(empty_url)
    schema.upgrade(db, "0005")
    with db.engine.connect() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": schema.head_revision()})
        conn.commit()
    diffs = schema.diff_against_models(db)
    assert "ids reusable customers" in diffs and "ids reusable billing_documents" in diffs
    db.engine.dispose()


def test_0010_makes_numbers_unique_per_kind_unless_the_ledger_already_repeats_one(empty_url):
    """0010 adds the unique index on (kind, number_text); a ledger already holding one number in two
    series of a kind keeps its rows and goes without the index, which `db check` then names."""
    db = open_database(empty_url)
    schema.upgrade(db, "0009")
    _insert(db, "customers", email="a@acme.ro", name="Acme SRL", country="RO")
    _insert(db, "document_series", code="X1")
    _insert(db, "document_series", code="X7")
    for series_id in (1, 2):
        _insert(db, "billing_documents", customer_id=1, series_id=series_id, kind="invoice", number_text="1")
    before = table_dump(empty_url)
    schema.upgrade(db)
    after = table_dump(empty_url)
    after.pop("alembic_version"), before.pop("alembic_version")
    assert after == before
    assert schema.diff_against_models(db) == ["add_index uq_billing_documents_kind_number_text"]
    with db.engine.begin() as conn:  # once the number is unique again, running 0010 again adds the index
        conn.execute(text("UPDATE billing_documents SET number_text = '2' WHERE series_id = 2"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    schema.upgrade(db)
    assert schema.diff_against_models(db) == []
    db.engine.dispose()
