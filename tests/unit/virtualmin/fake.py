"""A scripted VirtualminTransport for tests, answering from real captures.

Expectations are consumed in order. A call that does not match the next expectation raises
AssertionError at once, and :meth:`FakeTransport.assert_all_used` fails when an expectation was
never called. Capture replies go through the same interpretation code as the real transports, so
a capture of a failure raises the same PrahoFailure the real server would cause::

    fake = FakeTransport("vm1", captures_dir=Path("tests/fixtures/captures"))
    fake.expect("list-domains", [("domain", "example.test")], capture="http_list-domains_domain.json")
    client = VirtualminClient(fake)
    ...
    fake.assert_all_used()
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from praho_cli.result import PrahoFailure
from praho_cli.virtualmin.envelope import interpret_exit, interpret_http
from praho_cli.virtualmin.records import RawRecord
from praho_cli.virtualmin.transport import Params, RemoteReply, secret_values, wants_text


@dataclass
class Expectation:
    program: str
    params: list[tuple[str, str | None]] | None
    mutating: bool | None
    capture: Path | None = None
    reply: RemoteReply | None = None
    failure: PrahoFailure | None = None
    exit_code: int | None = None
    used: bool = False

    def describe(self) -> str:
        shown = "any params" if self.params is None else _show(self.params)
        return f"{self.program} {shown}"


def _show(params: Sequence[tuple[str, str | None]]) -> str:
    return " ".join(f"--{k}" + ("" if v is None else f" {v!r}") for k, v in params)


@dataclass
class FakeCall:
    program: str
    params: list[tuple[str, str | None]]
    mutating: bool


@dataclass
class FakeTransport:
    server: str = "fake"
    captures_dir: Path | None = None
    expectations: list[Expectation] = field(default_factory=list)
    calls: list[FakeCall] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    closed: bool = False

    def expect(
        self,
        program: str,
        params: Params | None = None,
        *,
        mutating: bool | None = None,
        capture: str | Path | None = None,
        reply: RemoteReply | None = None,
        output: str | None = None,
        records: Sequence[RawRecord] | None = None,
        failure: PrahoFailure | None = None,
        exit_code: int | None = None,
    ) -> FakeTransport:
        """Script the next call. Give exactly one answer: ``capture`` (a file name in
        captures_dir, or a path), ``reply``, ``output``/``records``, or ``failure``.
        ``params=None`` accepts any parameters; otherwise they must match exactly, in order."""
        answers = [
            capture is not None,
            reply is not None,
            output is not None or records is not None,
            failure is not None,
        ]
        if sum(answers) != 1:
            raise ValueError("give exactly one of capture, reply, output/records, failure")
        path: Path | None = None
        if capture is not None:
            path = Path(capture)
            if not path.is_absolute() and not path.exists():
                if self.captures_dir is None:
                    raise ValueError(f"capture {capture} given by name but no captures_dir")
                path = self.captures_dir / path
            if not path.exists():
                raise ValueError(f"no capture file {path}")
        if output is not None or records is not None:
            reply = RemoteReply(program=program, output=output or "", records=tuple(records or ()))
        self.expectations.append(
            Expectation(
                program=program,
                params=None if params is None else list(params),
                mutating=mutating,
                capture=path,
                reply=reply,
                failure=failure,
                exit_code=exit_code,
            )
        )
        return self

    def call(self, program: str, params: Params, *, mutating: bool) -> RemoteReply:
        params = list(params)
        self.calls.append(FakeCall(program, params, mutating))
        pending = next((e for e in self.expectations if not e.used), None)
        problem = None
        if pending is None:
            problem = f"unexpected call {program} {_show(params)}: no more expectations"
        elif pending.program != program or (pending.params is not None and pending.params != params):
            problem = f"unexpected call {program} {_show(params)}; expected {pending.describe()}"
        elif pending.mutating is not None and pending.mutating != mutating:
            problem = f"call {program} had mutating={mutating}, expected {pending.mutating}"
        if problem or pending is None:
            self.problems.append(problem or "")
            raise AssertionError(f"FakeTransport[{self.server}]: {problem}")
        pending.used = True
        if pending.failure is not None:
            raise pending.failure
        if pending.reply is not None:
            return pending.reply
        assert pending.capture is not None
        return self._from_capture(pending, program, params, mutating)

    def _from_capture(
        self, pending: Expectation, program: str, params: list[tuple[str, str | None]], mutating: bool
    ) -> RemoteReply:
        path = pending.capture
        assert path is not None
        secrets = secret_values(params)
        if path.suffix == ".json":
            capture = json.loads(path.read_text(encoding="utf-8"))
            response = capture["response"]
            headers = {name.lower(): value for name, value in response["headers"]}
            return interpret_http(
                self.server,
                program,
                response["status"],
                headers,
                response["body"],
                mutating=mutating,
                secrets=secrets,
            )
        text = path.read_text(encoding="utf-8")
        exit_code = pending.exit_code
        if exit_code is None:
            exit_code = _indexed_exit_code(path)
        return interpret_exit(self.server, program, exit_code, text, "", mutating=mutating, secrets=secrets,
                              records=not wants_text(params))

    def close(self) -> None:
        self.closed = True

    def assert_all_used(self) -> None:
        unused = [e.describe() for e in self.expectations if not e.used]
        messages = list(self.problems)
        if unused:
            messages.append("expected calls never made: " + "; ".join(unused))
        if messages:
            raise AssertionError(f"FakeTransport[{self.server}]: " + " | ".join(messages))

    def __enter__(self) -> FakeTransport:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.assert_all_used()


def _indexed_exit_code(path: Path) -> int:
    """A CLI capture's exit code from the index.json beside it."""
    index_path = path.parent / "index.json"
    if not index_path.exists():
        raise ValueError(f"{path.name}: no exit_code given and no index.json beside it")
    entries: list[dict[str, Any]] = json.loads(index_path.read_text(encoding="utf-8"))
    for entry in entries:
        if entry.get("file") == path.name and "exit_code" in entry:
            return int(entry["exit_code"])
    raise ValueError(f"{path.name}: not in index.json; pass exit_code")


def capture_params(path: Path) -> list[tuple[str, str | None]]:
    """The parameters a captured HTTP request sent (without program/json/multiline), e.g. to
    replay a capture's request against a simulator."""
    capture = json.loads(path.read_text(encoding="utf-8"))
    request = capture["request"]
    query = urlsplit(request["url"]).query
    body = request.get("body") or ""
    pairs = parse_qsl("&".join(p for p in (body, query) if p), keep_blank_values=True)
    return [(k, v or None) for k, v in pairs if k not in ("program", "json", "multiline")]
