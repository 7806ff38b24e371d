"""Shared fixtures: an in-process CLI runner, per-test ledgers on SQLite and PostgreSQL, subprocesses.

PostgreSQL comes from PRAHO_TEST_PG_URL (an admin URL such as
postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Each test gets a database of its own, cloned
from a migrated template, and dropped afterwards. Without the variable, PostgreSQL tests skip — except
when CI=true, where a missing service is a failure, never a skip.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXED_NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
# Every process a test starts runs on the same clock as the in-process CLI: praho starts its clock
# at PRAHO_NOW (praho_cli/calendar.py). Each test sets it in this process's environment, anchored at
# the test's start (FIXED_NOW was "now" then), so every spawning helper and every child that inherits
# the environment gets it, and the processes of one test share one timeline. Cli.env() carries it too.
_FIXED_TEXT = FIXED_NOW.isoformat().replace("+00:00", "Z")


def process_clock() -> dict[str, str]:
    return {"PRAHO_NOW": os.environ.get("PRAHO_NOW") or _FIXED_TEXT}


os.environ["PRAHO_NOW"] = f"{_FIXED_TEXT}@{time.time():.6f}"


@pytest.fixture(autouse=True)
def _process_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRAHO_NOW", f"{_FIXED_TEXT}@{time.time():.6f}")
# Every ledger the tests bill from has a seller: praho refuses to issue a document without one.
SELLER_ENV = {"PRAHO_SELLER_NAME": "Praho Test SRL", "PRAHO_SELLER_VAT_ID": "RO18547290",
              "PRAHO_SELLER_ADDRESS": "Str. Testului 1, Cluj-Napoca"}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(available: bool, what: str) -> None:
    """Skip locally, fail in CI: a tier that needs a service never silently skips there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required when CI=true but is not available")
    pytest.skip(f"{what} not available")


# --- PostgreSQL ---------------------------------------------------------------------------------
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str | None:
    """PRAHO_TEST_PG_URL, or a local PostgreSQL with trust auth when one answers."""
    if os.environ.get("PRAHO_TEST_PG_URL"):
        return os.environ["PRAHO_TEST_PG_URL"]
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:  # no local server: the tier skips (or fails in CI)
        return None
    return LOCAL_PG


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Any]:
    url = _pg_admin_url()
    require_service(url is not None, "PostgreSQL (PRAHO_TEST_PG_URL)")
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        require_service(False, f"PostgreSQL at PRAHO_TEST_PG_URL ({type(exc).__name__})")
    template = f"praho_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{template}"'))
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.schema import upgrade

    tpl_db = open_database(_db_url(url, template))
    upgrade(tpl_db)
    tpl_db.engine.dispose()
    yield engine, url, template
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    engine.dispose()


def _db_url(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_url(pg_admin: Any) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    from sqlalchemy import text

    engine, admin_url, template = pg_admin
    name = f"praho_t_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _db_url(admin_url, name)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_empty_url(pg_admin: Any) -> Iterator[str]:
    """A fresh PostgreSQL database with no schema at all."""
    from sqlalchemy import text

    engine, admin_url, _template = pg_admin
    name = f"praho_e_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _db_url(admin_url, name)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite ledger for one test."""
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.schema import upgrade

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    db = open_database(url)
    upgrade(db)
    db.engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db(ledger_url: str) -> Iterator[Any]:
    from praho_cli.ledger.engine import open_database

    database = open_database(ledger_url)
    yield database
    database.engine.dispose()


# --- the CLI, in process ------------------------------------------------------------------------
@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)

    def jsonl(self) -> list[Any]:
        import json

        # JSON lines end at "\n" only: str.splitlines() would also cut at U+2028 and friends,
        # which JSON strings may hold unescaped.
        return [json.loads(line) for line in self.stdout.split("\n") if line.strip()]


class _FakeStdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@dataclass
class Cli:
    """Runs praho in-process with separate stdout/stderr, TTY flags and a fixed clock."""

    home: Path
    database_url: str | None
    clock: Callable[[], datetime]
    extra_env: dict[str, str]

    def env(self, **overrides: str) -> dict[str, str]:
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "PATH": os.environ.get("PATH", ""),
            "PRAHO_ACTOR": "tester",
            **SELLER_ENV,
            **process_clock(),
        }
        if self.database_url:
            env["PRAHO_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        env.update(overrides)
        return {k: v for k, v in env.items() if v is not None}

    def __call__(
        self,
        *args: str,
        tty: bool = False,
        stdin: str = "",
        env: Mapping[str, str] | None = None,
        width: int = 200,
        transport_factory: Any = None,
    ) -> CliResult:
        from praho_cli.cli.main import run
        from praho_cli.output.streams import Environment

        out, err = io.StringIO(), io.StringIO()
        environment = Environment(
            stdin=_FakeStdin(stdin, tty),
            stdout=out,
            stderr=err,
            environ=self.env(**(env or {})),
            stdin_isatty=tty,
            stdout_isatty=tty,
            stderr_isatty=tty,
            clock=self.clock,
            terminal_width=width,
            transport_factory=transport_factory,
        )
        code = run(list(args), environment)
        return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str) -> Cli:
    """The CLI on a fresh, migrated SQLite ledger."""
    return Cli(home=tmp_path / "home", database_url=sqlite_url, clock=lambda: FIXED_NOW, extra_env={})


@pytest.fixture
def cli_any(tmp_path: Path, ledger_url: str) -> Cli:
    """The CLI on each backend in turn."""
    return Cli(home=tmp_path / "home", database_url=ledger_url, clock=lambda: FIXED_NOW, extra_env={})


# --- the hosting set-up most hosting tests start from ---------------------------------------------
ACME_EMAIL = "billing@acme.ro"
SetUpHosting = Callable[[Callable[..., Any], Mapping[str, Sequence[str]]], list[dict[str, Any]]]


@pytest.fixture
def acme_with_servers() -> SetUpHosting:
    """``acme_with_servers(run, servers)`` registers customer Acme SRL (ACME_EMAIL, id 1), then each
    server of ``servers`` (name → its ``servers add`` options), then health-checks them all, since
    placement only uses servers with a fresh check. ``run`` is the test's way of calling the CLI (its
    environment, its transport); the check's rows are returned."""

    def set_up(run: Callable[..., Any], servers: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        r = run("customers", "add", "--name", "Acme SRL", "--email", ACME_EMAIL)
        assert r.exit_code == 0, r.stderr
        for name, options in servers.items():
            r = run("servers", "add", name, *options)
            assert r.exit_code == 0, r.stderr
        r = run("servers", "check", "--all", "-o", "json")
        assert r.exit_code == 0, r.stderr
        return list(r.json())

    return set_up


# --- praho as a real process --------------------------------------------------------------------
def praho_process(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 120, **popen: Any
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "praho_cli", *args], env=full_env, capture_output=True, text=True,
        timeout=timeout, check=False, **popen,
    )


def praho_popen(args: Sequence[str], env: Mapping[str, str], **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "praho_cli", *args], env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, **popen,
    )


def table_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a failed command changed nothing."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            dump[name] = sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
    engine.dispose()
    return dump
