"""The simulator over HTTP(S) on loopback: fidelity to every http_* capture, auth, TLS, faults, fleets.

Fidelity compares, per capture: HTTP version, status and reason, header names in order (Date's value
excepted), Content-type, and the body: JSON envelopes by key set and values, text bodies exactly.
Legitimately different and masked (tests/unit/simulator/captures.py): ID, File, Hashed password,
Created on, Created Unix time, Disabled at; info's machine figures; JSON key order.
Not reproduced on purpose: http_list-domains_multiline_xml_no-xml-simple.json (a server without the
XML::Simple Perl module; the simulator behaves like the server after it was installed).
"""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from praho_cli.virtualmin.simulator import Fault, SimState, serve, serve_many

_spec = importlib.util.spec_from_file_location(
    "sim_captures", Path(__file__).resolve().parents[1] / "unit" / "simulator" / "captures.py")
assert _spec is not None and _spec.loader is not None
captures = importlib.util.module_from_spec(_spec)
sys.modules["sim_captures"] = captures
_spec.loader.exec_module(captures)

PASSWORD = "sim-pw"
NOT_REPRODUCED = {"http_list-domains_multiline_xml_no-xml-simple.json"}
HTTP_CAPTURES = [e for e in captures.index() if e["file"].startswith("http_") and e["file"] not in NOT_REPRODUCED]


def _auth_header(described: str | None) -> dict[str, str]:
    if described is None:
        return {}
    user, _, password = described.removeprefix("basic ").partition(":")
    if password == "<correct password>":
        password = PASSWORD
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def request(port: int, method: str, target: str, *, body: str | None = None,
            headers: dict[str, str] | None = None, context: ssl.SSLContext | None = None,
            timeout: float = 10) -> tuple[http.client.HTTPResponse, bytes]:
    conn: http.client.HTTPConnection
    if context is not None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    all_headers = dict(headers or {})
    if body is not None:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, target, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def root_auth() -> dict[str, str]:
    return _auth_header("basic root:<correct password>")


def test_every_http_capture_is_covered() -> None:
    files = {p.name for p in captures.CAPTURES.glob("http_*.json")}
    assert {e["file"] for e in HTTP_CAPTURES} | NOT_REPRODUCED == files
    assert len(files) == 67


@pytest.mark.parametrize("entry", HTTP_CAPTURES, ids=[e["file"] for e in HTTP_CAPTURES])
def test_http_capture(entry: dict[str, Any], tmp_path: Path) -> None:
    capture = captures.load(entry["file"])
    state = captures.seed_state(tmp_path / "vm.json", entry["state_before"])
    real = capture["response"]
    url = urllib.parse.urlsplit(capture["request"]["url"])
    target = url.path + (f"?{url.query}" if url.query else "")
    with serve(state, password=PASSWORD) as vm:
        response, raw = request(vm.port, capture["request"]["method"], target, body=capture["request"]["body"],
                                headers=_auth_header(capture["request"]["auth"]))
    assert f"HTTP/{response.version / 10:.1f}" == real["http_version"] == "HTTP/1.0"
    assert (response.status, response.reason) == (real["status"], real["reason"])
    assert [name for name, _ in response.getheaders()] == [name for name, _ in real["headers"]]
    real_headers = dict(real["headers"])
    for name, value in response.getheaders():
        if name != "Date":
            assert value == real_headers[name], name
    body = raw.decode("utf-8")
    program = urllib.parse.parse_qs(url.query or capture["request"]["body"] or "").get("program", [""])[0]
    if "body_json" in real:
        assert body.endswith("}\n\n")
        captures.assert_envelope_matches(json.loads(body), real["body_json"], program=program)
    elif program == "info":
        assert captures.info_sections(body) == captures.info_sections(real["body"])
        assert body.endswith("\nExit status: 0\n")
    else:
        assert captures.mask(body) == captures.mask(real["body"])


def test_https_capture_shape_and_certificate(tmp_path: Path) -> None:
    capture = captures.load("https_info.json")
    state = SimState(tmp_path / "vm.json")
    with serve(state, password=PASSWORD, tls=True) as vm:
        assert vm.url.startswith("https://127.0.0.1:")
        assert vm.cert_path is not None and vm.fingerprint_sha256 is not None
        context = ssl.create_default_context(cafile=str(vm.cert_path))
        response, raw = request(vm.port, "GET", "/virtual-server/remote.cgi?program=info&json=1",
                                headers=root_auth(), context=context)
        with socket.create_connection(("127.0.0.1", vm.port)) as sock, \
                context.wrap_socket(sock, server_hostname="localhost") as tls_sock:
            der = tls_sock.getpeercert(binary_form=True)
            assert tls_sock.version() in ("TLSv1.3", "TLSv1.2")
        system_only = ssl.create_default_context()
        with pytest.raises(ssl.SSLCertVerificationError):
            request(vm.port, "GET", "/virtual-server/remote.cgi?program=info", context=system_only)
    import hashlib

    assert der is not None
    digest = hashlib.sha256(der).hexdigest().upper()
    assert vm.fingerprint_sha256 == ":".join(digest[i:i + 2] for i in range(0, 64, 2))
    assert [n for n, _ in response.getheaders()] == [n for n, _ in capture["response"]["headers"]]
    captures.assert_envelope_matches(json.loads(raw), capture["response"]["body_json"], program="info")


def test_lockout_after_five_bad_passwords_blocks_even_the_right_one(tmp_path: Path) -> None:
    bad = _auth_header("basic root:wrong")
    target = "/virtual-server/remote.cgi?program=list-domains&json=1&multiline="
    with serve(SimState(tmp_path / "vm.json"), password=PASSWORD, lockout_seconds=0.5) as vm:
        statuses = [request(vm.port, "GET", target, headers=bad)[0].status for _ in range(5)]
        blocked, page = request(vm.port, "GET", target, headers=root_auth())
        time.sleep(0.6)
        after, _ = request(vm.port, "GET", target, headers=root_auth())
    assert statuses == [401] * 5
    assert blocked.status == 403
    assert b"The host has been blocked because of too many authentication failures" in page
    assert after.status == 200


def test_no_credentials_do_not_count_towards_the_lockout(tmp_path: Path) -> None:
    target = "/virtual-server/remote.cgi?program=info"
    with serve(SimState(tmp_path / "vm.json"), password=PASSWORD) as vm:
        statuses = [request(vm.port, "GET", target)[0].status for _ in range(7)]
        ok, _ = request(vm.port, "GET", target, headers=root_auth())
    assert statuses == [401] * 7 and ok.status == 200


def test_wrong_password_delay(tmp_path: Path) -> None:
    with serve(SimState(tmp_path / "vm.json"), password=PASSWORD, auth_fail_delay=0.3) as vm:
        started = time.monotonic()
        response, _ = request(vm.port, "GET", "/virtual-server/remote.cgi?program=info",
                              headers=_auth_header("basic root:nope"))
        elapsed = time.monotonic() - started
    assert response.status == 401 and elapsed >= 0.3


def test_post_parameters_are_data_and_newlines_split_arguments(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    odd = "p&a=s+s %;$(id)`x`'\""
    form = urllib.parse.urlencode({"program": "create-domain", "domain": "odd.test", "pass": odd,
                                   "desc": "a;b $(c) `d` 'e'", "json": "1"})
    with serve(state, password=PASSWORD) as vm:
        _, raw = request(vm.port, "POST", "/virtual-server/remote.cgi", body=form, headers=root_auth())
        # Since 7.20 a value with a newline becomes two arguments: the second is an unknown parameter.
        split = urllib.parse.urlencode({"program": "modify-domain", "domain": "odd.test", "pass": "one\ntwo",
                                        "json": "1"})
        _, raw_split = request(vm.port, "POST", "/virtual-server/remote.cgi", body=split, headers=root_auth())
    assert json.loads(raw)["status"] == "success"
    assert state.password_matches("odd.test", odd)
    domain = state.domain("odd.test")
    assert domain is not None and domain["desc"] == "a;b $(c) `d` 'e'"
    failed = json.loads(raw_split)
    assert failed["status"] == "failure" and failed["error"] == "Unknown parameter two"
    assert state.password_matches("odd.test", odd)


def test_fault_http_error_after_n_calls(tmp_path: Path) -> None:
    target = "/virtual-server/remote.cgi?program=info&json=1"
    with serve(SimState(tmp_path / "vm.json"), password=PASSWORD,
               faults=[Fault("http_error", status=503, after=2, times=2)]) as vm:
        statuses = [request(vm.port, "GET", target, headers=root_auth())[0].status for _ in range(5)]
    assert statuses == [200, 200, 503, 503, 200]


def test_fault_drop_and_hang(tmp_path: Path) -> None:
    target = "/virtual-server/remote.cgi?program=list-domains&json=1&multiline="
    with serve(SimState(tmp_path / "vm.json"), password=PASSWORD, faults=[Fault("drop", times=1)]) as vm:
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            request(vm.port, "GET", target, headers=root_auth())
        assert request(vm.port, "GET", target, headers=root_auth())[0].status == 200
        vm.set_faults([Fault("hang", seconds=5)])
        with pytest.raises(TimeoutError):
            request(vm.port, "GET", target, headers=root_auth(), timeout=0.3)


def test_fault_truncated_body_and_lost_reply_of_an_applied_create(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    create = "/virtual-server/remote.cgi?program=create-domain&domain=lost.test&pass=x&json=1"
    with serve(state, password=PASSWORD, faults=[Fault("lost_reply", programs=("create-domain",), times=1),
                                                 Fault("truncate", programs=("info",), keep_bytes=7)]) as vm:
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            request(vm.port, "GET", create, headers=root_auth())
        assert state.domain("lost.test") is not None  # applied on the server, reply lost
        _, again = request(vm.port, "GET", create, headers=root_auth())
        response, cut = request(vm.port, "GET", "/virtual-server/remote.cgi?program=info&json=1",
                                headers=root_auth())
    assert json.loads(again)["error"] == "You are already hosting this domain"
    assert response.status == 200 and len(cut) == 7 and cut.startswith(b'{\n   "')
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


def test_faults_from_the_state_file_and_the_admin_endpoint(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    target = "/virtual-server/remote.cgi?program=list-plans&json=1&multiline="
    with serve(state, password=PASSWORD) as vm:
        state.set_faults([Fault("http_error", status=502, programs=("list-plans",), times=1)])
        first = request(vm.port, "GET", target, headers=root_auth())[0].status
        second = request(vm.port, "GET", target, headers=root_auth())[0].status
        state.set_faults([])
        denied, _ = request(vm.port, "POST", "/__praho_sim__/faults", body="[]")
        rules = json.dumps([{"kind": "http_error", "status": 500}])
        ok, listed = request(vm.port, "POST", "/__praho_sim__/faults", body=rules, headers=root_auth())
        third = request(vm.port, "GET", target, headers=root_auth())[0].status
        _, stats = request(vm.port, "GET", "/__praho_sim__/stats", headers=root_auth())
    assert (first, second, third) == (502, 200, 500)
    assert denied.status == 401 and ok.status == 200
    assert json.loads(listed)[0]["kind"] == "http_error"
    assert json.loads(stats)["by_program"] == {"list-plans": 3}


def test_mutations_on_one_server_are_serialised_reads_are_not(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    slow = [Fault("latency", seconds=0.4, programs=("create-domain", "list-domains"))]
    with serve(state, password=PASSWORD, faults=slow) as vm:
        def call(target: str) -> None:
            request(vm.port, "GET", target, headers=root_auth())

        def timed(targets: list[str]) -> float:
            threads = [threading.Thread(target=call, args=(t,)) for t in targets]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.monotonic() - started

        creates = timed([f"/virtual-server/remote.cgi?program=create-domain&domain=c{i}.test&pass=x"
                         for i in range(3)])
        reads = timed(["/virtual-server/remote.cgi?program=list-domains&name-only="] * 3)
    assert creates >= 1.2  # three 0.4 s creates queue behind the server lock
    assert reads < 1.0  # three 0.4 s reads run side by side
    assert sorted(d["name"] for d in state.domains()) == ["c0.test", "c1.test", "c2.test"]


def test_fleet_one_port_per_server_with_separate_state(tmp_path: Path) -> None:
    with serve_many(3, tmp_path / "fleet", password=PASSWORD) as fleet:
        ports = {server.port for server in fleet}
        fleet["vm2"].state.seed_domains(["only-on-vm2.test"])
        answers = {server.name: request(server.port, "GET",
                                        "/virtual-server/remote.cgi?program=list-domains&name-only=",
                                        headers=root_auth())[1] for server in fleet}
    assert len(ports) == 3
    assert answers == {"vm1": b"\nExit status: 0\n", "vm2": b"only-on-vm2.test\n\nExit status: 0\n",
                       "vm3": b"\nExit status: 0\n"}
    assert sorted(p.name for p in (tmp_path / "fleet").glob("*.json")) == ["vm1.json", "vm2.json", "vm3.json"]


def test_seeded_thousand_domains_list_fully(tmp_path: Path) -> None:
    state = SimState(tmp_path / "vm.json")
    state.seed_domains(f"d{i:04d}.test" for i in range(1000))
    with serve(state, password=PASSWORD) as vm:
        _, raw = request(vm.port, "GET", "/virtual-server/remote.cgi?program=list-domains&json=1&multiline=",
                         headers=root_auth())
    data = json.loads(raw)["data"]
    assert len(data) == 1000
    assert data[0]["name"] == "d0000.test" and data[999]["values"]["username"] == ["d0999"]
