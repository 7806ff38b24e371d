"""Test helpers: simulated Virtualmin servers reached in-process (no network) or over loopback HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from praho_cli.virtualmin.envelope import interpret_exit
from praho_cli.virtualmin.simulator import SimState
from praho_cli.virtualmin.simulator.command import execute
from praho_cli.virtualmin.transport import Params, RemoteReply, program_returns_records, secret_values


class LocalSimTransport:
    """Runs the simulator's `virtualmin` command in-process and reads its result through the same
    interpretation code as the SSH transport."""

    def __init__(self, server: str, state_path: Path, calls: list[tuple[str, bool]] | None = None) -> None:
        self.server = server
        self.state_path = state_path
        self.calls: list[tuple[str, bool]] = [] if calls is None else calls

    def call(self, program: str, params: Params, *, mutating: bool) -> RemoteReply:
        argv = [program]
        for name, value in params:
            argv.append(f"--{name}")
            if value is not None:
                argv.append(value)
        if program_returns_records(program):
            argv.append("--multiline")
        self.calls.append((program, mutating))
        data, code = execute(self.state_path, argv)
        return interpret_exit(self.server, program, code, data.decode("utf-8"), "", mutating=mutating,
                              secrets=secret_values(params))

    def close(self) -> None:
        pass


class LocalFleet:
    """State files for named servers, each with a Gold plan and a Web template, and a transport
    factory for the CLI's Environment."""

    def __init__(self, root: Path, names: Sequence[str] = ("vm1", "vm2")) -> None:
        self.states: dict[str, SimState] = {}
        self.calls: dict[str, list[tuple[str, bool]]] = {name: [] for name in names}
        for name in names:
            state = SimState(root / f"{name}.json")
            state.add_plan("Gold", plan_id="100", quota=4194304)
            state.add_template("Web", template_id="200")
            self.states[name] = state

    def factory(self, conn: Any) -> LocalSimTransport:
        return LocalSimTransport(conn.name, self.states[conn.name].path, self.calls[conn.name])

    def domains(self, name: str) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.states[name].domains()}

    def mutations(self, name: str) -> list[str]:
        return [program for program, mutating in self.calls[name] if mutating]
