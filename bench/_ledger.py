"""A fresh, migrated ledger for one benchmark run (SQLite file or PostgreSQL database)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any


def fresh_ledger(backend: str, pg_url: str | None, tmp: Path) -> tuple[str, Any]:
    """A migrated, empty ledger: a SQLite file in ``tmp``, or a new PostgreSQL database next to
    ``pg_url``; (its URL, a function that drops it, or None)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.schema import upgrade

    cleanup = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}"
    else:
        assert pg_url
        name = f"praho_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    db = open_database(url)
    upgrade(db)
    db.engine.dispose()
    return url, cleanup
