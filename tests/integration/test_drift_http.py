"""drift scan over loopback HTTP against several simulated servers with injected faults, on SQLite and
PostgreSQL: one unreachable, one slow, one answering garbage; resolve, then a clean rescan."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from praho_cli.virtualmin.simulator import Fault, SimState, serve_many
from tests.conftest import SetUpHosting

PASSWORD = "sim-Pass-42"
NAMES = ("vm1", "vm2", "vm3", "vm4")
ENV = {f"PRAHO_SERVERS_{n.upper()}_PASSWORD": PASSWORD for n in NAMES} | {"PRAHO_VIRTUALMIN_TIMEOUT_SECONDS": "3"}


@pytest.fixture
def fleet(tmp_path: Path) -> Any:
    state_dir = tmp_path / "sim"
    for name in NAMES:
        SimState(state_dir / f"{name}.json").add_plan("Gold", plan_id="100")
    with serve_many(list(NAMES), state_dir, password=PASSWORD) as sims:
        yield sims


@pytest.fixture
def h(cli_any: Any, fleet: Any, acme_with_servers: SetUpHosting) -> Any:
    def run(*args: str, **kw: Any) -> Any:
        return cli_any(*args, env=ENV, **kw)

    acme_with_servers(run, {sim.name: ["--url", sim.url] for sim in fleet})
    for sim in fleet:
        for i in (1, 2):
            r = run("accounts", "create", f"site{i}-{sim.name}.ro", "--customer", "1", "--server", sim.name, "--show-password",
                    "--plan", "Gold")
            assert r.exit_code == 0, r.stderr
    return run


def test_faulty_servers_are_unreachable_not_everything_missing(h: Any, fleet: Any) -> None:
    fleet["vm2"].set_faults([Fault("drop")])
    fleet["vm3"].set_faults([Fault("latency", seconds=1.0)])
    fleet["vm4"].set_faults([Fault("truncate", keep_bytes=30)])
    fleet["vm3"].state.seed_domains(["stray.ro"])
    started = time.monotonic()
    r = h("--log-format", "json", "drift", "scan", "--exit-code", "-o", "json")
    elapsed = time.monotonic() - started
    assert r.exit_code == 69, r.stderr
    rows = r.json()
    assert [(x["kind"], x["domain"], x["server"]) for x in rows] == [
        ("unreachable", None, "vm2"), ("missing_in_ledger", "stray.ro", "vm3"), ("unreachable", None, "vm4")]
    assert rows[0]["virtualmin_state"]["error"].startswith("vm2: ")
    logs = [json.loads(line) for line in r.stderr.splitlines()]
    progress = [x for x in logs if x["event"] == "drift.progress"]
    assert sorted(x["server"] for x in progress) == list(NAMES)
    assert [x["done"] for x in progress] == [1, 2, 3, 4] and {x["total"] for x in progress} == {4}
    assert {x["server"] for x in logs if x["event"] == "drift.unreachable"} == {"vm2", "vm4"}
    assert logs[-1]["event"] == "failed" and logs[-1]["message"].startswith("2 server(s) could not be read")
    # The slow server was read while the others were: the scan took about its latency, not a sum.
    assert elapsed < 6
    # The faults go away: the unreachable records close, the stray domain stays until resolved.
    for sim in fleet:
        sim.set_faults([])
    again = h("drift", "scan", "--exit-code", "-o", "json")
    assert again.exit_code == 7
    assert [x["kind"] for x in again.json()] == ["missing_in_ledger"]
    assert again.stderr.startswith("✓ Scanned 4 server(s): 1 drift(s), 0 new, 2 closed\n")


def test_push_and_adopt_end_to_end_then_rescan_is_clean(h: Any, fleet: Any) -> None:
    with fleet["vm1"].state.mutate() as doc:
        doc["domains"][0]["disabled"] = {"why": "abuse desk", "at": 1}
        doc["domains"][1]["plan_id"] = "0"
    fleet["vm2"].state.seed_domains(["legacy.ro"])
    rows = h("drift", "scan", "-o", "json").json()
    assert sorted(x["kind"] for x in rows) == ["missing_in_ledger", "plan_mismatch", "status_mismatch"]
    pushed = h("drift", "resolve", "--all", "--kind", "status_mismatch", "--push", "--yes", "-o", "json")
    assert pushed.exit_code == 0, pushed.stderr
    assert fleet["vm1"].state.domain("site1-vm1.ro")["disabled"] is None
    pushed = h("drift", "resolve", "--all", "--kind", "plan_mismatch", "--push", "--yes", "-o", "json")
    assert pushed.exit_code == 0, pushed.stderr
    assert fleet["vm1"].state.domain("site2-vm1.ro")["plan_id"] == "100"
    adopted = h("drift", "resolve", "--all", "--adopt", "--customer", "billing@acme.ro", "--yes", "-o", "json")
    assert adopted.exit_code == 0, adopted.stderr
    legacy = h("accounts", "show", "legacy.ro", "-o", "json").json()
    assert (legacy["server"], legacy["status"], legacy["customer_id"]) == ("vm2", "active", "1")
    clean = h("drift", "scan", "--exit-code", "-o", "json")
    assert (clean.exit_code, clean.json()) == (0, [])
    assert h("audit", "verify").exit_code == 0


BIG = tuple(f"vm{i:02d}" for i in range(1, 17))


def test_a_larger_fleet_over_http_with_a_narrow_pool_finds_the_same_as_a_wide_one(cli_any: Any, tmp_path: Path) -> None:
    env = {f"PRAHO_SERVERS_{n.upper()}_PASSWORD": PASSWORD for n in BIG} | {"PRAHO_VIRTUALMIN_TIMEOUT_SECONDS": "5"}
    with serve_many(list(BIG), tmp_path / "sim", password=PASSWORD) as sims:
        for sim in sims:
            sim.state.seed_domains([f"a-{sim.name}.ro", f"b-{sim.name}.ro"])
        sims["vm05"].set_faults([Fault("drop")])
        assert cli_any("customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro", env=env).exit_code == 0
        for sim in sims:
            assert cli_any("servers", "add", sim.name, "--url", sim.url, "--no-check", env=env).exit_code == 0

        def scan(*extra: str) -> list[tuple[str, str | None, str]]:
            r = cli_any("drift", "scan", "-o", "json", *extra, env=env)
            assert r.exit_code == 0, r.stderr
            return [(x["kind"], x["domain"], x["server"]) for x in r.json()]

        wide = scan()
        narrow = scan("--parallel", "3")
    assert wide == narrow
    assert ("unreachable", None, "vm05") in wide
    assert sorted(d for kind, d, _s in wide if kind == "missing_in_ledger") == sorted(
        f"{p}-{n}.ro" for n in BIG if n != "vm05" for p in ("a", "b"))


def test_an_empty_server_is_read_as_empty_not_unreachable(cli_any: Any, tmp_path: Path) -> None:
    # A real Virtualmin 8.1.0 with no domains answers simple-multiline with "output" : null
    # (http_list-domains_simple-multiline_empty.json); the simulator answers the same.
    env = {"PRAHO_SERVERS_VM1_PASSWORD": PASSWORD, "PRAHO_VIRTUALMIN_TIMEOUT_SECONDS": "5"}
    with serve_many(["vm1"], tmp_path / "sim", password=PASSWORD) as sims:
        assert cli_any("servers", "add", "vm1", "--url", sims["vm1"].url, env=env).exit_code == 0
        r = cli_any("drift", "scan", "--exit-code", "-o", "json", env=env)
    assert (r.exit_code, r.json()) == (0, []), r.stderr
    assert r.stderr == "✓ Scanned 1 server(s): 0 drift(s), 0 new, 0 closed\n"
