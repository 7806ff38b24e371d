"""Envelope rendering, fault rules, state file safety, the virtualmin wrapper and program quirks."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from praho_cli.virtualmin.simulator import Fault, SimState, write_virtualmin_wrapper
from praho_cli.virtualmin.simulator.command import execute
from praho_cli.virtualmin.simulator.envelope import convert, encode_json, parse_multiline, text_body
from praho_cli.virtualmin.simulator.faults import FaultBook
from praho_cli.virtualmin.simulator.programs import run_program


def test_multiline_parser_keys_lists_and_table_garbage() -> None:
    text = "a.test\n    Home directory: /home/a\n    IPv6 address: fd00::2\n    Plugins: \n" \
           "    SSL cert used by: web\n    SSL cert used by: mail\nb.test\n    ID: 1\n"
    assert parse_multiline(text) == [
        {"name": "a.test", "values": {"home_directory": ["/home/a"], "ipv6_address": ["fd00::2"],
                                      "plugins": [""], "ssl_cert_used_by": ["web", "mail"]}},
        {"name": "b.test", "values": {"id": ["1"]}},
    ]
    assert parse_multiline("top: level\nrec\n    k: v\n") == [
        {"name": "top", "value": "level"}, {"name": "rec", "values": {"k": ["v"]}}]


def test_json_encoding_is_json_pp_pretty_with_trailing_blank_line() -> None:
    body = encode_json({"command": "x", "status": "success", "data": []})
    assert body == '{\n   "command" : "x",\n   "status" : "success",\n   "data" : []\n}\n\n'
    assert encode_json({"a": "é"}, minified=True) == '{"a":"é"}\n'


def test_failure_envelope_uses_first_nonblank_line_and_text_mode_raw_wait_status() -> None:
    envelope = convert("create-domain", "\nMissing password\n\nusage\n", 1, command_name="create-domain",
                       multiline=True)
    assert envelope == {"command": "create-domain", "status": "failure", "error": "Missing password",
                        "full_error": "\nMissing password\n\nusage\n"}
    assert convert("x", "", 255, command_name="x", multiline=False)["error"] is None
    assert text_body("out\n", 1) == "out\n\nExit status: 256\n"
    assert text_body("", 5) == "\nExit status: 1280\n"


def test_fault_parse_and_windows() -> None:
    fault = Fault.parse("http_error:status=503,after=2,times=1,programs=create-domain+info")
    assert fault == Fault("http_error", programs=("create-domain", "info"), status=503, after=2, times=1)
    book = FaultBook([fault, Fault("latency", seconds=0.5)])
    hits = [book.effects_for("info") for _ in range(4)]
    assert [h.http_error for h in hits] == [None, None, 503, None]
    assert [h.latency for h in hits] == [0.5] * 4
    assert book.effects_for("list-domains").http_error is None
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault.parse("explode")
    with pytest.raises(ValueError, match="unknown fault option"):
        Fault.parse("latency:sekonds=1")


def test_state_survives_reload_and_stores_only_a_password_hash(tmp_path: Path) -> None:
    path = tmp_path / "vm.json"
    state = SimState(path)
    run = run_program(state, "create-domain", ["--domain", "Keep.Test", "--pass", "s3cret!", "--desc", "d"])
    assert run.exit_code == 0
    again = SimState(path)
    assert [d["name"] for d in again.domains()] == ["keep.test"]  # create-domain lower-cases
    assert again.password_matches("keep.test", "s3cret!") and not again.password_matches("keep.test", "s3cret")
    assert "s3cret!" not in path.read_text()
    listing = run_program(again, "list-domains", ["--multiline"]).output
    assert "s3cret!" not in listing and "    Hashed password: $y$j9T$" in listing


def test_concurrent_creates_from_threads_lose_nothing(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")

    def create(i: int) -> int:
        return run_program(SimState(state.path), "create-domain",
                           ["--domain", f"t{i}.test", "--pass", "x"]).exit_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(create, range(40)))
    assert codes == [0] * 40
    domains = state.domains()
    assert len(domains) == 40
    assert sorted(d["uid"] for d in domains) == list(range(1005, 1045))


def test_wrapper_keeps_shell_metacharacters_verbatim_across_processes(tmp_path: Path) -> None:
    state_path = tmp_path / "vm.json"
    SimState(state_path).configure(strict_domain_names=False)
    script = write_virtualmin_wrapper(tmp_path / "bin", state_path)
    assert script.name == "virtualmin" and script.stat().st_mode & 0o111
    odd_desc = "x; rm -rf / $(id) `uname` 'q' \"dq\"\nsecond line"
    odd_pass = "p;$(whoami)`id`'\"\n&|<>"
    odd_domain = "a;b$(c).test"
    procs = [subprocess.run([str(script), "create-domain", "--domain", f"{i}{odd_domain}", "--pass", odd_pass,
                             "--desc", odd_desc], capture_output=True, timeout=60) for i in range(2)]
    assert [p.returncode for p in procs] == [0, 0], [p.stdout for p in procs]
    state = SimState(state_path)
    record = state.domain(f"0{odd_domain}")
    assert record is not None and record["desc"] == odd_desc
    assert state.password_matches(f"1{odd_domain}", odd_pass)
    missing = subprocess.run([str(script), "delete-domain", "--domain", "$(touch pwned)"], capture_output=True,
                             timeout=60, cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stdout.startswith(b"Virtual server $(touch pwned) does not exist\n\n")
    assert not (tmp_path / "pwned").exists()


def test_strict_names_reject_odd_domains_like_virtualmin(tmp_path: Path) -> None:
    out, code = execute(tmp_path / "vm.json", ["create-domain", "--domain", "a;b.test", "--pass", "x"])
    assert code == 1
    assert out.startswith(b"Domain names cannot include anything other than letters, numbers, dots, and dashes\n\n")


def test_cli_fault_counters_live_in_the_state_file(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    state.set_faults([Fault("lost_reply", programs=("create-domain",), times=1)])
    first = execute(state.path, ["create-domain", "--domain", "a.test", "--pass", "x"])
    second = execute(state.path, ["create-domain", "--domain", "a.test", "--pass", "x"])
    assert first == (b"", 255)
    assert state.domain("a.test") is not None
    assert second[1] == 1 and second[0].startswith(b"You are already hosting this domain\n")


def test_cli_json_and_unknown_parameter_for_non_list_programs(tmp_path: Path) -> None:
    path = tmp_path / "vm.json"
    out, code = execute(path, ["delete-domain", "--domain", "x.test", "--json"])
    assert code == 1 and out.startswith(b"Unknown parameter --json\n\n")
    out, code = execute(path, ["list-plans", "--id-only", "--json"])
    assert code == 0 and json.loads(out)["data"] == ["0"] and json.loads(out)["command"] == "list-plans.pl"
    assert execute(path, ["nope"]) == (b"Command nope.pl was not found\n", 1)


def test_modify_domain_quirks(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    state.add_plan("Gold", plan_id="7", quota=1024)
    state.seed_domains(["m.test"], password="old")
    silent = run_program(state, "modify-domain", ["--domain", "m.test", "--apply-plan", "No Such Plan"])
    assert silent.exit_code == 0 and silent.output.endswith("All done\n")
    assert state.domain("m.test")["plan_id"] == "0"  # type: ignore[index]
    applied = run_program(state, "modify-domain", ["--domain", "m.test", "--apply-plan", "Gold", "--pass", "new"])
    record = state.domain("m.test")
    assert applied.exit_code == 0 and record is not None
    assert (record["plan_id"], record["quota"]) == ("7", 1024) and state.password_matches("m.test", "new")
    missing = run_program(state, "modify-domain", ["--domain", "nope.test"])
    assert missing.exit_code == 1 and missing.output.startswith("Virtual server nope.test does not exist.\n")
    bad_bw = run_program(state, "modify-domain", ["--domain", "m.test", "--bw", "UNLIMITED"])
    assert bad_bw.output.startswith("Bandwidth limit must be a number of bytes, or NONE\n")


def test_quota_fields_appear_when_quotas_are_enabled(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    state.configure(quotas_enabled=True)
    state.seed_domains(["q.test"])
    records = parse_multiline(run_program(state, "list-domains", ["--multiline"]).output)
    values = records[0]["values"]
    assert values["server_block_quota"] == ["2097152"] and values["server_quota"] == ["2 GiB"]
    assert values["server_byte_quota_used"] == ["0"]


def test_module_runs_as_a_program(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "praho_cli.virtualmin.simulator", "--state",
                           str(tmp_path / "vm.json"), "list-templates"], capture_output=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[2].startswith(b"0                  Default Settings")
