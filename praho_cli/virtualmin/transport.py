"""The seam between the typed client and the wire: one protocol, two implementations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from praho_cli.result import ErrorCode, PrahoFailure
from praho_cli.virtualmin.connection import ServerConnection
from praho_cli.virtualmin.records import RawRecord

Params = Sequence[tuple[str, str | None]]

# Flags whose values are secrets: never logged, never in messages, scrubbed from error text.
SECRET_PARAMS = frozenset({"pass", "password", "mysql-pass", "postgres-pass", "passfile"})


@dataclass(frozen=True)
class RemoteReply:
    """A successful program run.

    ``output`` is the program's text (HTTP ``output`` or SSH stdout); it is empty when remote.cgi
    answered with parsed ``data``. ``records`` are the parsed multiline records of list programs.
    The text is kept out of the repr: a master admin's listing can contain passwords (docs/virtualmin-protocol.md §2.1).
    """

    program: str
    output: str = field(default="", repr=False)
    records: tuple[RawRecord, ...] = field(default=(), repr=False)


class VirtualminTransport(Protocol):
    server: str

    def call(self, program: str, params: Params, *, mutating: bool) -> RemoteReply:
        """Run one program. Raises only PrahoFailure."""
        ...

    def close(self) -> None: ...


def secret_values(params: Params) -> list[str]:
    return [v for k, v in params if k in SECRET_PARAMS and v]


def check_params(server: str, program: str, params: Params) -> None:
    """Refuse parameters that Virtualmin would silently misread (docs/virtualmin-protocol.md §1.3, §4.4)."""
    for name, value in params:
        if not name or name.startswith("-") or any(c.isspace() for c in name):
            raise PrahoFailure.of(ErrorCode.INVALID, f"{server}: invalid flag name for {program}")
        if value == "":
            # an empty value makes `--flag` swallow the next flag as its value
            raise PrahoFailure.of(ErrorCode.INVALID, f"{server}: --{name} needs a value; omit it instead of sending ''")
        if value is not None and "\0" in value:
            raise PrahoFailure.of(ErrorCode.INVALID, f"{server}: --{name} contains a NUL byte")


def program_returns_records(program: str) -> bool:
    """remote.cgi parses multiline output into records for these programs (docs/virtualmin-protocol.md §1.4)."""
    return program.startswith("list-") or program == "get-dns"


# The one request option beside the program's own flags. By default a list program is asked for
# ``multiline`` records (HTTP ``multiline=``, SSH ``--multiline``) and they come back parsed in
# ``RemoteReply.records``. A request that carries this flag asks for the program's text instead:
# remote.cgi then neither forces nor parses multiline and returns the text in ``output``
# (docs/virtualmin-protocol.md §1.5, http_list-domains_simple-multiline.json), so the transports add no
# ``multiline`` flag and parse nothing; the caller reads ``RemoteReply.output``.
TEXT_FLAG = "simple-multiline"


def wants_text(params: Params) -> bool:
    """True when the caller asked for the program's text rather than parsed records."""
    return any(name == TEXT_FLAG for name, _ in params)


def open_transport(conn: ServerConnection) -> VirtualminTransport:
    """Build the transport for a connection. httpx and paramiko are imported only here."""
    if conn.kind == "http":
        from praho_cli.virtualmin.http import HttpTransport

        return HttpTransport(conn)
    from praho_cli.virtualmin.ssh import SshTransport

    return SshTransport(conn)
