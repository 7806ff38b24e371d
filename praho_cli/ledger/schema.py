"""Schema versions: upgrade, current, check, and the fast guard every command passes.

The guard compares the ``alembic_version`` row with the newest revision file's id without importing
Alembic (revision files are named ``NNNN_slug.py`` and their id is ``NNNN``; a test keeps that in
step with Alembic's own idea of the head), so ordinary commands stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from praho_cli.ledger.engine import Database, translate_db_error
from praho_cli.result import ErrorCode, PrahoFailure

__all__ = ["MIGRATIONS", "current_revision", "head_revision", "require_current", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")


def head_revision() -> str:
    names = sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
    return names[-1]


def mismatch(current: str | None, display_url: str) -> PrahoFailure | None:
    """Why a ledger at revision ``current`` cannot be used by this praho (exit 78), or None."""
    head = head_revision()
    if current is None:
        return PrahoFailure.of(
            ErrorCode.CONFIG,
            f"the ledger at {display_url} has no schema yet; run `praho init` (or `praho db upgrade`)",
        )
    if current != head:
        older = current < head
        return PrahoFailure.of(
            ErrorCode.CONFIG,
            f"the ledger schema is at {current} but this praho needs {head}; "
            + ("run `praho db upgrade`" if older else "this praho is older than the ledger: upgrade praho"),
            current=current,
            head=head,
        )
    return None


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    except Exception as exc:
        failure = translate_db_error(exc, db.display_url)
        if failure:
            raise failure from None
        raise


def require_current(db: Database) -> None:
    failure = mismatch(current_revision(db), db.display_url)
    if failure is not None:
        raise failure


def _alembic_config(conn: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(db: Database, target: str = "head") -> tuple[str | None, str]:
    from alembic import command

    before = current_revision(db)
    try:
        with db.writer().begin() as conn:
            command.upgrade(_alembic_config(conn), target)
    except Exception as exc:
        failure = translate_db_error(exc, db.display_url)
        if failure:
            raise failure from None
        raise
    return before, current_revision(db) or ""


def diff_against_models(db: Database) -> list[str]:
    """What differs between the live schema and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import praho_cli.ledger.models  # noqa: F401

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(ctx, SQLModel.metadata)
        reusable = _reusable_ids(conn, SQLModel.metadata)
    return [_describe_diff(d) for d in diffs] + [f"ids reusable {name}" for name in reusable]


def _reusable_ids(conn: Any, metadata: Any) -> list[str]:
    """Tables whose models promise ids that are never reused but whose live table does not keep it.

    Alembic's comparison sees neither SQLite's AUTOINCREMENT nor PostgreSQL's identity against serial.
    """
    wanted = [t.name for t in metadata.sorted_tables if t.dialect_options["sqlite"].get("autoincrement")]
    if conn.dialect.name == "sqlite":
        sql = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
        return [name for name in wanted if name in sql and "AUTOINCREMENT" not in (sql[name] or "").upper()]
    identity = {row[0] for row in conn.exec_driver_sql(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'id' AND is_identity = 'YES'").all()}
    present = set(inspect(conn).get_table_names())
    return [name for name in wanted if name in present and name not in identity]


def _describe_diff(diff: Any) -> str:
    if isinstance(diff, tuple) and diff:
        op = diff[0]
        target = diff[1] if len(diff) > 1 else ""
        name = getattr(target, "name", None) or (diff[3] if len(diff) > 3 and isinstance(diff[3], str) else "")
        return f"{op} {name}".strip()
    if isinstance(diff, list) and diff:
        return _describe_diff(diff[0])
    return str(diff)
