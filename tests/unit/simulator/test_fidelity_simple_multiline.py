"""Fidelity of the lean read praho's drift scan makes: ``list-domains`` with ``simple-multiline=`` alone
over HTTP (POSTed as the client sends it) and ``--simple-multiline`` on the command line.

Real behaviour (http_list-domains_simple-multiline.json, cli_list-domains_simple-multiline.txt):
remote.cgi does not force multiline when simple-multiline is sent, so the JSON envelope carries the
program's text in ``output`` with ``status`` and ``command``, and no ``data``.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from praho_cli.virtualmin.records import parse_domain_states
from praho_cli.virtualmin.simulator import serve
from praho_cli.virtualmin.simulator.command import execute

from .captures import CAPTURES, PASSWORD, assert_envelope_matches, load, mask, seed_state

BODY = "program=list-domains&simple-multiline=&json=1"


def post(url: str, body: str) -> httpx.Response:
    return httpx.post(url, content=body, auth=("root", PASSWORD), trust_env=False,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_posted_simple_multiline_matches_the_captured_envelope(tmp_path: Path) -> None:
    real = load("http_list-domains_simple-multiline.json")["response"]
    state = seed_state(tmp_path / "vm.json", "example.test exists (unix+dir, enabled)")
    with serve(state, password=PASSWORD) as sim:
        response = post(sim.remote_url, BODY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text.endswith("}\n\n")
    ours = json.loads(response.text)
    assert set(ours) == {"command", "status", "output"}
    assert_envelope_matches(ours, real["body_json"], program="list-domains")


def test_posted_simple_multiline_of_an_empty_server_answers_output_null(tmp_path: Path) -> None:
    real = load("http_list-domains_simple-multiline_empty.json")["response"]
    assert real["body_json"]["output"] is None
    state = seed_state(tmp_path / "vm.json", "no virtual servers")
    with serve(state, password=PASSWORD) as sim:
        response = post(sim.remote_url, BODY)
    assert json.loads(response.text) == real["body_json"]
    assert_envelope_matches(json.loads(response.text), real["body_json"], program="list-domains")


def test_http_output_is_the_cli_text_for_several_domains_one_disabled(tmp_path: Path) -> None:
    state = seed_state(tmp_path / "vm.json", "example.test and example2.test exist, example2.test disabled")
    stdout, code = execute(state.path, ["list-domains", "--simple-multiline"])
    assert code == 0
    with serve(state, password=PASSWORD) as sim:
        ours = post(sim.remote_url, BODY).json()
        one = post(sim.remote_url, "program=list-domains&domain=example2.test&simple-multiline=&json=1").json()
        parsed = post(sim.remote_url, "program=list-domains&multiline=&simple-multiline=&json=1").json()
    assert (ours["status"], ours["command"]) == ("success", "list-domains")
    assert ours["output"] == stdout.decode()
    states = parse_domain_states(ours["output"])
    assert [(s.domain, s.disabled) for s in states] == [("example.test", False), ("example2.test", True)]
    assert [s.domain for s in parse_domain_states(one["output"])] == ["example2.test"]
    # multiline= before simple-multiline= gives parsed records of the simple fields (docs/virtualmin-protocol.md §1.5)
    assert "output" not in parsed and len(parsed["data"]) == 2
    assert "ssl_candidate_hostnames" not in parsed["data"][0]["values"]


def test_simple_multiline_of_a_disabled_domain_is_the_capture_without_the_full_fields(tmp_path: Path) -> None:
    # cli_list-domains_multiline_disabled.txt is --multiline; on the captured server (no quotas) the only
    # [full] field --simple-multiline leaves out is "SSL candidate hostnames" (compare the two
    # enabled captures, cli_list-domains_multiline.txt and cli_list-domains_simple-multiline.txt).
    full = (CAPTURES / "cli_list-domains_multiline.txt").read_text(encoding="utf-8")
    simple = (CAPTURES / "cli_list-domains_simple-multiline.txt").read_text(encoding="utf-8")
    dropped = [line for line in full.splitlines() if line not in simple.splitlines()]
    assert dropped == ["    SSL candidate hostnames: example.test"]
    disabled = (CAPTURES / "cli_list-domains_multiline_disabled.txt").read_text(encoding="utf-8")
    expected = "".join(line for line in disabled.splitlines(keepends=True)
                       if not line.startswith("    SSL candidate hostnames:"))
    state = seed_state(tmp_path / "vm.json", "example.test exists (disabled)")
    stdout, code = execute(state.path, ["list-domains", "--simple-multiline"])
    assert code == 0
    assert mask(stdout.decode()) == mask(expected)
