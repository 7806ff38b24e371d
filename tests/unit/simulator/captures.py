"""Helpers shared by the simulator's fidelity tests: the captures, their states, and masking of the
values that differ by nature between the real server and the simulator."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from praho_cli.virtualmin.simulator.programs import run_program
from praho_cli.virtualmin.simulator.state import SimState

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"
PASSWORD = "Xy9-test-Pass"

# Values that legitimately differ from the captures: ids are time-based, dates are "now", the
# hashed password is salted. Everything else must match exactly.
VARYING_FIELDS = ("ID", "File", "Hashed password", "Created on", "Created Unix time", "Disabled at")
VARYING_KEYS = frozenset({"id", "file", "hashed_password", "created_on", "created_unix_time", "disabled_at"})
_VARYING_LINE = re.compile(r"^(\s+)(" + "|".join(re.escape(f) for f in VARYING_FIELDS) + r"): .*$", re.M)
_VARYING_XML = re.compile(r"<(" + "|".join(sorted(VARYING_KEYS)) + r")>[^<]*</\1>")
_ID_LINE = re.compile(r"^\d{15}$", re.M)


def index() -> list[dict[str, Any]]:
    return list(json.loads((CAPTURES / "index.json").read_text(encoding="utf-8")))


def load(name: str) -> dict[str, Any]:
    """A capture; a JSON reply recorded without its parsed ``body_json`` gets it from ``body``."""
    capture = dict(json.loads((CAPTURES / name).read_text(encoding="utf-8")))
    response = capture.get("response")
    if isinstance(response, dict) and "body_json" not in response and \
            dict(response.get("headers") or []).get("Content-type") == "application/json":
        response["body_json"] = json.loads(response["body"])
    return capture


def mask(text: str) -> str:
    text = _VARYING_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)}: <varies>", text)
    text = _VARYING_XML.sub(lambda m: f"<{m.group(1)}>&lt;varies&gt;</{m.group(1)}>", text)
    return _ID_LINE.sub("<id>", text)


def info_sections(text: str) -> list[str]:
    """Top-level section names of `virtualmin info` (its figures are the machine's, not comparable).
    ips/ips6 are left out: the captured server answered from a stale collector cache that still
    listed a deleted domain (cli_info.txt has doms: 1 and an ips block while no domain existed; the
    fresh https_info.json has neither), while the simulator's info is always current."""
    return [name for line in text.splitlines() if line and not line[0].isspace()
            if (name := line.split(":")[0]) not in ("ips", "ips6")]


def seed_state(path: Path, state_before: str) -> SimState:
    """Recreate a capture's ``state_before`` through the simulator's own programs, in the captured
    order, so uids (1005, 1006) match."""
    state = SimState(path)

    def create(domain: str, *extra: str) -> None:
        run = run_program(state, "create-domain", ["--domain", domain, "--pass", PASSWORD, *extra, "--unix", "--dir"])
        assert run.exit_code == 0, run.output

    def disable(domain: str, *extra: str) -> None:
        assert run_program(state, "disable-domain", ["--domain", domain, *extra]).exit_code == 0

    if state_before in ("no virtual servers exist", "no virtual servers"):
        return state
    if state_before.startswith("example3.test"):
        create("example3.test")
        return state
    create("example.test", "--desc", "Example test server")
    if state_before == "example.test exists (disabled)":
        disable("example.test", "--why", "captured test")
    elif state_before == "example.test exists (disabled via CLI)":
        disable("example.test")
    elif state_before.startswith("example.test and example2.test") or state_before.startswith(
        "example.test enabled, example2.test"
    ):
        create("example2.test")
        if "example2.test disabled" in state_before:
            disable("example2.test")
    return state


def assert_envelope_matches(ours: dict[str, Any], real: dict[str, Any], *, program: str) -> None:
    """Same keys and values, except the varying record values and info's machine figures."""
    assert set(ours) == set(real)
    for key in ("command", "status", "error"):
        assert ours.get(key) == real.get(key), key
    if "full_error" in real:
        assert mask(ours["full_error"]) == mask(real["full_error"])
    if "output" in real:
        if real["output"] is None or ours["output"] is None:
            assert ours["output"] == real["output"]  # "output" : null when the program printed nothing
        elif program == "info":
            assert info_sections(ours["output"]) == info_sections(real["output"])
        else:
            assert mask(ours["output"]) == mask(real["output"])
    if "data" in real:
        assert len(ours["data"]) == len(real["data"])
        for mine, theirs in zip(ours["data"], real["data"], strict=True):
            if isinstance(theirs, str):
                assert mask(mine) == mask(theirs)
                continue
            assert set(mine) == set(theirs)
            assert mask(mine["name"]) == mask(theirs["name"])
            assert set(mine["values"]) == set(theirs["values"])
            for key, value in theirs["values"].items():
                if key not in VARYING_KEYS:
                    assert mine["values"][key] == value, key
