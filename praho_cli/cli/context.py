"""The application context: everything a command needs, built only when first asked for.

Settings, the ledger engine, the clock and the renderer arrive here, lazily, so that ``praho --help``
imports none of SQLAlchemy, httpx or paramiko, and tests can hand in an Environment with their
own streams and clock.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from praho_cli.output.messages import Messenger
from praho_cli.output.streams import Environment, Streams
from praho_cli.result import Err, ErrorCode, PrahoFailure

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlmodel import Session

    from praho_cli.config.settings import Settings
    from praho_cli.ledger.engine import Database
    from praho_cli.output.render import Renderer
    from praho_cli.records import RecordType
    from praho_cli.result import Result
    from praho_cli.services.context import ServiceContext

T = TypeVar("T")


class AppContext:
    def __init__(
        self,
        env: Environment,
        *,
        config: str | None = None,
        profile: str | None = None,
        no_input: bool | None = None,
        quiet: bool = False,
        verbose: bool = False,
        debug: bool = False,
        log_format: str | None = None,
        actor: str | None = None,
    ) -> None:
        self.env = env
        self.config_flag = config
        self.profile_flag = profile
        self.no_input_flag = no_input
        self.quiet = quiet
        self.verbose = verbose
        self.debug = debug
        self.log_format_flag = log_format
        self.actor_flag = actor
        self.run_id = uuid.uuid4().hex[:12]
        self._database: Database | None = None
        self._schema_checked = False
        self._ledger_privacy_checked = False
        self._warned = False

    # --- settings and streams -----------------------------------------------------------------
    @cached_property
    def settings(self) -> Settings:
        from praho_cli.config.settings import load

        flags: dict[str, Any] = {"log_format": self.log_format_flag, "actor": self.actor_flag}
        if self.no_input_flag:
            flags["no_input"] = True
        settings = load(self.env.environ, self.config_flag, self.profile_flag, flags)
        if settings.warnings and not self._warned:
            self._warned = True
            for warning in settings.warnings:
                self.messages.warning(warning)
        return settings

    @cached_property
    def streams(self) -> Streams:
        # Streams must work before (and without) a valid config file: error messages need them.
        env = self.env.environ
        log_json = (self.log_format_flag or env.get("PRAHO_LOG_FORMAT", "")).lower() == "json"
        no_input = bool(self.no_input_flag) or env.get("PRAHO_NO_INPUT", "").lower() in ("1", "true", "yes", "on")
        return Streams(self.env, no_input=no_input, quiet=self.quiet, verbose=self.verbose, log_json=log_json)

    def apply_settings_to_streams(self) -> None:
        """Once settings load, the file may also say log_format/no_input."""
        settings = self.settings
        if settings.get("log_format") == "json":
            self.streams.log_json = True
        if settings.get("no_input"):
            self.streams.no_input = True

    @cached_property
    def messages(self) -> Messenger:
        from praho_cli.output.messages import install_log_handler

        messenger = Messenger(self.streams, self.run_id)
        install_log_handler(messenger)
        return messenger

    def now(self) -> Any:
        return self.env.clock()

    @cached_property
    def zone(self) -> tzinfo:
        """The business's time zone (business.timezone), validated when settings load."""
        from praho_cli import calendar

        return calendar.zone(str(self.settings.get("business.timezone")))

    def today(self) -> date:
        """Today in the business's time zone."""
        from praho_cli import calendar

        return calendar.local_date(self.now(), self.zone)

    @cached_property
    def actor(self) -> str:
        configured = self.settings.get("actor")
        if configured:
            return str(configured)
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"

    def service_context(self) -> ServiceContext:
        from praho_cli.services.context import ServiceContext

        return ServiceContext(
            now=self.env.clock,
            actor=self.actor,
            default_currency=str(self.settings.get("billing.default_currency")),
            setting=self.settings.get,
            run_id=self.run_id,
            zone=self.zone,
        )

    # --- the ledger ---------------------------------------------------------------------------
    def database_url(self) -> str:
        from praho_cli.config.settings import default_data_dir
        from praho_cli.ledger.engine import sqlite_url_for

        url = str(self.settings.get("database_url") or "")
        if url:
            return url
        return sqlite_url_for(default_data_dir(self.env.environ) / "ledger.db")

    def database(self, check_schema: bool = True) -> Database:
        from praho_cli.ledger.engine import open_database

        self.apply_settings_to_streams()
        if self._database is None:
            self._database = open_database(self.database_url(), int(self.settings.get("sqlite_busy_timeout_ms")))
            if self._database.is_sqlite and self._database.url.database:
                self._warn_if_ledger_is_open_to_others(self._database.url.database)
        if check_schema and not self._schema_checked:
            from praho_cli.ledger.schema import require_current

            require_current(self._database)
            self._schema_checked = True
        return self._database

    def _warn_if_ledger_is_open_to_others(self, path: str) -> None:
        """Once per process: an SQLite ledger (or its -wal/-shm) that other users can read."""
        from praho_cli.private_files import open_to_others

        if self._ledger_privacy_checked or path == ":memory:":
            return
        self._ledger_privacy_checked = True
        exposed = open_to_others(path)
        if exposed:
            import shlex

            files = ", ".join(f"{name} (mode {mode:04o})" for name, mode in exposed)
            self.messages.warning(f"the ledger holds personal data (CNPs, addresses) but other users can read "
                                  f"{files}; make it private with: chmod go= "
                                  f"{' '.join(shlex.quote(name) for name, _ in exposed)}", event="ledger.exposed")

    def close(self) -> None:
        """Release the ledger's connections (a long-lived process may run many commands)."""
        if self._database is not None:
            self._database.engine.dispose()
            self._database = None
            self._schema_checked = False

    def transact(self, work: Callable[[Session], Result[T]]) -> T:
        """Run one service call in the command's unit of work; commit on Ok, roll back on Err."""
        from praho_cli.ledger.uow import run_in_transaction

        result = run_in_transaction(self.database(), work)
        if isinstance(result, Err):
            raise PrahoFailure(result.error)
        return result.value

    @contextmanager
    def reading(self) -> Iterator[Session]:
        from praho_cli.ledger.uow import read_session

        with read_session(self.database()) as session:
            yield session

    @contextmanager
    def reading_rows(self) -> Iterator[Connection]:
        """A read connection for lists that stream Core rows: no ORM session, no models imported."""
        from praho_cli.ledger.engine import read_connection

        with read_connection(self.database()) as conn:
            yield conn

    # --- output -------------------------------------------------------------------------------
    def renderer(
        self, rtype: RecordType, output: Any = None, fields: str | None = None, json_flag: bool = False
    ) -> Renderer:
        from praho_cli.output.render import Renderer

        self.apply_settings_to_streams()
        fmt = output.value if hasattr(output, "value") else output
        if fmt is None and self.settings.get("output"):
            fmt = str(self.settings.get("output"))
        return Renderer(self.streams, rtype, fmt, fields, json_flag)

    def confirm(self, question: str, yes: bool) -> None:
        """Ask before a destructive step; refuse (exit 3) when asking is impossible."""
        self.apply_settings_to_streams()
        if yes:
            return
        if not self.streams.can_prompt:
            raise PrahoFailure.of(ErrorCode.REFUSED, f"{question} — needs confirmation; pass --yes to proceed")
        self.env.stderr.write(f"{question} [y/N] ")
        self.env.stderr.flush()
        answer = self.env.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            raise PrahoFailure.of(ErrorCode.REFUSED, "cancelled: nothing was changed")

    def read_text_file(self, path: str, what: str) -> str:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PrahoFailure.of(ErrorCode.INVALID, f"{what}: cannot read {path}: {exc.strerror}") from None

    def environ(self) -> Mapping[str, str]:
        return self.env.environ
