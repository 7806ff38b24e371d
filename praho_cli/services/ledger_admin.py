"""Schema administration: init, upgrade, current, check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from praho_cli.ledger import schema
from praho_cli.ledger.engine import Database, ping
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, Result, fail, returns_result

if TYPE_CHECKING:
    from sqlmodel import Session

SCHEMA_STATUS = RecordType(
    name="schema_status",
    title="Schema status",
    fields=(
        Field("database", "string", "The ledger URL, password hidden."),
        Field("backend", "string", "sqlite or postgresql."),
        Field("current", "string|null", "The revision the ledger is at (null: no schema)."),
        Field("head", "string", "The revision this praho needs."),
        Field("up_to_date", "boolean", "current == head."),
        Field("previous", "string|null", "Revision before this command ran (upgrade, init).", table=False),
        Field("differences", "array", "Where the live schema differs from praho's models (db check).", table=False),
    ),
)


def _status(db: Database, previous: str | None = None, differences: list[str] | None = None) -> dict[str, Any]:
    current = schema.current_revision(db)
    head = schema.head_revision()
    return {
        "database": db.display_url,
        "backend": db.url.get_backend_name(),
        "current": current,
        "head": head,
        "up_to_date": current == head,
        "previous": previous,
        "differences": differences or [],
    }


@returns_result
def upgrade(db: Database) -> dict[str, Any]:
    ping(db)
    before, _after = schema.upgrade(db)
    return _status(db, previous=before)


@returns_result
def current(db: Database) -> dict[str, Any]:
    ping(db)
    return _status(db)


@returns_result
def check(db: Database) -> dict[str, Any]:
    """Exit 7 (differences) when the ledger is behind, or its tables differ from the models."""
    ping(db)
    status = _status(db)
    if status["current"] is None:
        raise fail(ErrorCode.DIFFERENCES, "the ledger has no schema; run `praho init`", **status)
    if not status["up_to_date"]:
        raise fail(ErrorCode.DIFFERENCES, f"the ledger is at {status['current']}, praho needs {status['head']}; "
                   "run `praho db upgrade`", **status)
    diffs = schema.diff_against_models(db)
    if diffs:
        status["differences"] = diffs
        raise fail(ErrorCode.DIFFERENCES, f"the ledger's tables differ from praho's models: {'; '.join(diffs)}",
                   **status)
    return status


# Steps that fill a new ledger with default data, as "module:function" taking (session, ctx) and
# returning a Result; each feature adds its own (billing: the default document series).
INIT_STEPS: list[str] = [
    "praho_cli.services.billing.series:ensure_default_series",
]


def ensure_config_file(path: Any) -> str | None:
    from praho_cli.services.config import init_file

    result = init_file(path, force=False)
    return str(path) if result.ok else None


@returns_result
def initialize(db: Database, make_ctx: Any) -> dict[str, Any]:
    import importlib

    from praho_cli.ledger.uow import run_in_transaction

    ping(db)
    before, _ = schema.upgrade(db)
    ctx = make_ctx()
    for step in INIT_STEPS:
        module_name, func_name = step.split(":")
        func = getattr(importlib.import_module(module_name), func_name)

        def work(session: Session, f: Any = func) -> Result[Any]:
            return f(session, ctx)

        run_in_transaction(db, work).unwrap()
    return _status(db, previous=before)
