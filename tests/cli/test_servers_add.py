"""servers add tests the connection before storing anything (issue 19 item 17): unreachable, refused
credentials and a missing CA file change nothing; --no-check skips the test; http:// draws a warning.
Against the simulator over loopback HTTP."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from praho_cli.virtualmin.simulator import SimState, serve_many

PASSWORD = "sim-Pass-42"


@pytest.fixture
def sim(tmp_path: Path) -> Any:
    SimState(tmp_path / "sim" / "vm1.json")
    with serve_many(["vm1"], tmp_path / "sim", password=PASSWORD) as sims:
        yield sims["vm1"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nothing_stored(cli: Any) -> None:
    assert cli("servers", "list", "-o", "json").json() == []
    assert "[servers." not in "".join(p.read_text() for p in cli.home.rglob("*.toml"))


def test_add_tests_the_connection_and_warns_that_http_sends_the_password_in_clear(cli: Any, sim: Any,
                                                                                  tmp_path: Path) -> None:
    secret = tmp_path / "vm1.pw"
    secret.write_text(PASSWORD + "\n")
    r = cli("servers", "add", "vm1", "--url", sim.url, "--password-file", str(secret))
    assert r.exit_code == 0, r.stderr
    assert r.stderr.startswith(f"warning: vm1: {sim.url} is plain http://: the Webmin password travels in clear; "
                               "use https:// (with --ca-file or --pin)\n")
    assert sim.stats()["by_program"]["info"] == 1
    assert PASSWORD not in r.stdout + r.stderr


def test_refused_credentials_exit_77_and_store_nothing(cli: Any, sim: Any) -> None:
    r = cli("servers", "add", "vm1", "--url", sim.url, env={"PRAHO_SERVERS_VM1_PASSWORD": "not-the-password"})
    assert r.exit_code == 77
    assert r.stderr.endswith("error: servers add vm1: the connection test failed: vm1: Webmin refused the "
                             "credentials (HTTP 401); nothing was stored (--no-check adds it without the test)\n")
    assert "not-the-password" not in r.stderr
    _nothing_stored(cli)


def test_an_unreachable_server_exits_69_and_stores_nothing_unless_no_check(cli: Any) -> None:
    url = f"https://127.0.0.1:{_closed_port()}"
    r = cli("servers", "add", "vmgone", "--url", url, env={"PRAHO_SERVERS_VMGONE_PASSWORD": PASSWORD})
    assert r.exit_code == 69
    assert r.stderr.startswith("error: servers add vmgone: the connection test failed: ")
    assert r.stderr.endswith("; nothing was stored (--no-check adds it without the test)\n")
    _nothing_stored(cli)
    r = cli("servers", "add", "vmgone", "--url", url, "--no-check")
    assert r.exit_code == 0, r.stderr
    assert [s["name"] for s in cli("servers", "list", "-o", "json").json()] == ["vmgone"]


def test_a_missing_ca_file_is_refused_before_anything(cli: Any, sim: Any, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    for extra in ((), ("--no-check",)):
        r = cli("servers", "add", "vm1", "--url", "https://vm1.hosting.ro:10000", "--ca-file", str(missing), *extra)
        assert (r.exit_code, r.stderr) == (2, f"error: ca-file: {missing} does not exist or is not a file (give "
                                              "the CA bundle that signed Webmin's certificate)\n")
        _nothing_stored(cli)
    assert sim.stats()["by_program"].get("info", 0) == 0
