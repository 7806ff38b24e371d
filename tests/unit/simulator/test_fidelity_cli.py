"""Fidelity: the `virtualmin` command reproduces every cli_* and ssh_* capture (stdout and exit code).

Legitimately different (masked, see captures.VARYING_FIELDS): ID, File, Hashed password, Created on,
Created Unix time, Disabled at; `info`'s machine figures (only its section list is compared); the
JSON key order (Perl's hash order varies, so JSON is compared parsed)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from praho_cli.virtualmin.simulator.command import execute

from .captures import CAPTURES, assert_envelope_matches, index, info_sections, mask, seed_state

CLI_CAPTURES = [entry for entry in index() if entry["kind"] in ("cli", "ssh")]


def test_every_cli_and_ssh_capture_is_covered() -> None:
    files = {p.name for p in CAPTURES.glob("cli_*.txt")} | {p.name for p in CAPTURES.glob("ssh_*.txt")}
    assert {entry["file"] for entry in CLI_CAPTURES} == files
    assert len(files) == 37


@pytest.mark.parametrize("entry", CLI_CAPTURES, ids=[e["file"] for e in CLI_CAPTURES])
def test_cli_capture(entry: dict[str, object], tmp_path: Path) -> None:
    state = seed_state(tmp_path / "vm.json", str(entry["state_before"]))
    words = shlex.split(str(entry["command"]))
    argv = words[words.index("virtualmin") + 1:]
    stdout, code = execute(state.path, argv)
    real = (CAPTURES / str(entry["file"])).read_text(encoding="utf-8")
    ours = stdout.decode("utf-8")
    assert code == entry["exit_code"]
    if real.startswith("{"):
        # JSON output ends with an empty line, like remote.cgi's (cli_list-domains_json_empty.txt).
        assert ours.endswith("}\n\n")
        assert_envelope_matches(json.loads(ours), json.loads(real), program=argv[0])
    elif argv[0] == "info" and real:
        assert info_sections(ours) == info_sections(real)
    else:
        assert mask(ours) == mask(real)


def test_varying_fields_really_vary_only_where_listed(tmp_path: Path) -> None:
    state = seed_state(tmp_path / "vm.json", "example.test exists (unix+dir, enabled)")
    stdout, _ = execute(state.path, ["list-domains", "--multiline"])
    domain = state.domain("example.test")
    assert domain is not None
    text = stdout.decode()
    assert f"    ID: {domain['id']}\n" in text
    assert len(domain["id"]) == 15 and domain["id"].startswith(str(domain["created"]))
    assert "    User ID: 1005\n" in text
