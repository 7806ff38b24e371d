"""The HTTP transport and client against the simulator over loopback (plain HTTP and TLS)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from praho_cli.result import ErrorCode, PrahoFailure, Retry
from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.connection import FixedSecret, ServerConnection
from praho_cli.virtualmin.http import HttpTransport
from praho_cli.virtualmin.simulator.faults import Fault
from praho_cli.virtualmin.simulator.server import SimServer, serve
from praho_cli.virtualmin.simulator.state import SimState

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from vm_lifecycle import run_lifecycle, run_read_checks

SIM_PASSWORD = "Sim-p4ss&+%=#"  # characters that break unencoded clients (docs/virtualmin-protocol.md §4.4)


@pytest.fixture
def state(tmp_path: Path) -> SimState:
    return SimState(tmp_path / "vm1.json")


@pytest.fixture
def sim(state: SimState) -> Iterator[SimServer]:
    with serve(state, password=SIM_PASSWORD, name="vm1") as server:
        yield server


def connect(url: str, **options: object) -> HttpTransport:
    settings: dict = {
        "username": "root",
        "password": FixedSecret(SIM_PASSWORD),
        "timeout_s": 5.0,
        "mutation_timeout_s": 5.0,
        "connect_timeout_s": 2.0,
        "retries": 2,
    }
    settings.update(options)
    transport = HttpTransport(ServerConnection("vm1", "http", url=url, **settings))
    transport.sleep = lambda _seconds: None
    return transport


def failure_of(call: object, *args: object, **kwargs: object) -> PrahoFailure:
    assert callable(call)
    with pytest.raises(PrahoFailure) as caught:
        call(*args, **kwargs)
    return caught.value


# ------------------------------------------------------------------ lifecycle


def test_lifecycle_over_http(sim: SimServer) -> None:
    client = VirtualminClient(connect(sim.url))
    run_lifecycle(client, features=["unix", "dir"])
    run_read_checks(client)
    client.close()


def test_created_domain_is_stored_with_the_exact_password(sim: SimServer, state: SimState) -> None:
    client = VirtualminClient(connect(sim.url))
    password = "p&w+d %41 =#?"
    client.create_domain("enc.test", password=password, description="Spaces & more", features=["unix", "dir"])
    assert state.password_matches("enc.test", password)
    assert state.domain("enc.test")["desc"] == "Spaces & more"
    [record] = client.list_domains("enc.test")
    assert record.description == "Spaces & more"
    client.modify_domain("enc.test", password="n3w&pass")
    assert state.password_matches("enc.test", "n3w&pass")


def test_the_full_remote_cgi_url_works_too(sim: SimServer) -> None:
    assert VirtualminClient(connect(sim.remote_url)).list_domains() == []


def test_plan_quota_and_bandwidth_limits(sim: SimServer, state: SimState) -> None:
    state.configure(quotas_enabled=True)
    state.add_plan("Gold", plan_id="77", quota=4096, max_bw=1048576)
    client = VirtualminClient(connect(sim.url))
    client.create_domain("q.test", password="pw-q", plan="Gold", features=["unix", "dir"], quota_blocks=2048)
    [record] = client.list_domains("q.test")
    assert (record.plan, record.plan_id, record.server_quota_blocks) == ("Gold", "77", 2048)
    client.modify_domain("q.test", quota_blocks="unlimited")
    assert client.list_domains("q.test")[0].server_quota_blocks == "unlimited"
    [gold] = [p for p in client.list_plans() if p.id == "77"]
    assert (gold.name, gold.server_quota_blocks, gold.max_bandwidth_bytes) == ("Gold", 4096, 1048576)


# ------------------------------------------------------------------ auth


def test_wrong_password_is_auth_error_and_never_retried(sim: SimServer) -> None:
    failure = failure_of(VirtualminClient(connect(sim.url, password=FixedSecret("wrong"))).list_domains)
    assert (failure.error.code, failure.error.retry, failure.error.exit_code) == (
        ErrorCode.REMOTE_AUTH,
        Retry.NOT_RETRIABLE,
        77,
    )
    assert sim.stats()["calls"] == 1


def test_blocked_host_is_auth_error(sim: SimServer) -> None:
    bad = VirtualminClient(connect(sim.url, password=FixedSecret("wrong")))
    for _ in range(5):
        failure_of(bad.list_domains)
    failure = failure_of(VirtualminClient(connect(sim.url)).list_domains)
    assert failure.error.code is ErrorCode.REMOTE_AUTH
    assert "HTTP 403" in failure.error.message and "blocked" in failure.error.message


def test_password_never_reaches_messages_or_logs(sim: SimServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Leak-Canary-91"
    client = VirtualminClient(connect(sim.url))
    client.create_domain("leak.test", password=secret, features=["unix", "dir"])
    failure = failure_of(client.create_domain, "leak.test", password=secret, features=["unix", "dir"])
    assert failure.error.code is ErrorCode.CONFLICT
    sim.set_faults([Fault("hang", programs=("modify-domain",), seconds=3)])
    timeout = failure_of(
        VirtualminClient(connect(sim.url, mutation_timeout_s=0.5)).modify_domain, "leak.test", password=secret
    )
    texts = [
        failure.error.message,
        str(failure.error.to_dict()),
        repr(failure),
        timeout.error.message,
        str(timeout.error.to_dict()),
        caplog.text,
        repr(client.transport),
    ]
    for text in texts:
        assert secret not in text
        assert SIM_PASSWORD not in text


# ------------------------------------------------------------------ TLS


@pytest.fixture
def tls_sim(state: SimState) -> Iterator[SimServer]:
    with serve(state, password=SIM_PASSWORD, name="vm1", tls=True) as server:
        yield server


def test_tls_with_ca_file(tls_sim: SimServer) -> None:
    assert tls_sim.url.startswith("https://127.0.0.1:")
    client = VirtualminClient(connect(tls_sim.url, ca_file=str(tls_sim.cert_path)))
    run_read_checks(client)


def test_tls_with_pinned_fingerprint(tls_sim: SimServer) -> None:
    assert tls_sim.fingerprint_sha256 is not None
    client = VirtualminClient(connect(tls_sim.url, pin_sha256=tls_sim.fingerprint_sha256))
    assert client.list_domains() == []


def test_tls_wrong_pin_is_refused_before_credentials_are_sent(tls_sim: SimServer) -> None:
    wrong = "00" * 32
    failure = failure_of(VirtualminClient(connect(tls_sim.url, pin_sha256=wrong)).list_domains)
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_AUTH, Retry.NOT_RETRIABLE)
    assert "does not match the pinned" in failure.error.message
    actual = (tls_sim.fingerprint_sha256 or "").replace(":", "").lower()
    assert failure.error.details["actual_sha256"] == actual
    assert tls_sim.stats()["calls"] == 0  # no HTTP request (and no Basic auth header) was ever sent


def test_tls_self_signed_without_ca_or_pin_is_refused(tls_sim: SimServer) -> None:
    failure = failure_of(VirtualminClient(connect(tls_sim.url)).list_domains)
    assert failure.error.code is ErrorCode.REMOTE_AUTH
    assert "not trusted" in failure.error.message
    assert tls_sim.stats()["calls"] == 0


def test_tls_verify_false_works_only_explicitly_and_warns(tls_sim: SimServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="praho.virtualmin")
    client = VirtualminClient(connect(tls_sim.url, verify=False))
    assert client.list_domains() == []
    assert "TLS verification is OFF for server vm1" in caplog.text


def test_plain_http_to_a_tls_port_is_a_clear_error(tls_sim: SimServer) -> None:
    failure = failure_of(VirtualminClient(connect(tls_sim.url.replace("https://", "http://"))).list_domains)
    assert failure.error.code in (ErrorCode.REMOTE_UNAVAILABLE, ErrorCode.REMOTE_PROTOCOL, ErrorCode.CONFIG)
    assert failure.error.message.startswith("vm1: ")


def test_tls_to_a_plain_port_is_a_handshake_error(sim: SimServer) -> None:
    failure = failure_of(VirtualminClient(connect(sim.url.replace("http://", "https://"), verify=False)).list_domains)
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.NOT_RETRIABLE)
    assert "TLS handshake" in failure.error.message


# ------------------------------------------------------------------ fault knobs


def test_nothing_listening_is_unavailable_and_retriable(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    failure = failure_of(VirtualminClient(connect(f"http://127.0.0.1:{port}")).delete_domain, "a.test")
    assert (failure.error.code, failure.error.retry, failure.error.exit_code) == (
        ErrorCode.REMOTE_UNAVAILABLE,
        Retry.RETRIABLE,
        69,
    )


def test_latency_within_the_timeout_is_fine(sim: SimServer) -> None:
    sim.set_faults([Fault("latency", seconds=0.3)])
    assert VirtualminClient(connect(sim.url)).list_domains() == []


def test_read_timeout_is_retried_then_retriable(sim: SimServer) -> None:
    sim.set_faults([Fault("latency", programs=("list-domains",), seconds=1.0)])
    failure = failure_of(VirtualminClient(connect(sim.url, timeout_s=0.3)).list_domains)
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.RETRIABLE)
    assert sim.stats()["by_program"]["list-domains"] == 3  # first attempt + 2 retries


def test_mutation_timeout_is_unknown_not_retried_and_may_have_applied(sim: SimServer, state: SimState) -> None:
    sim.set_faults([Fault("latency", programs=("create-domain",), seconds=1.0)])
    client = VirtualminClient(connect(sim.url, mutation_timeout_s=0.3))
    failure = failure_of(client.create_domain, "slow.test", password="pw", features=["unix", "dir"])
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.UNKNOWN)
    assert "re-read the state" in failure.error.message
    assert sim.stats()["by_program"]["create-domain"] == 1
    sim.set_faults([])
    # the work completed server-side: reading back is how a caller resolves "unknown"
    found = None
    for _ in range(50):
        found = client.get_domain("slow.test")
        if found:
            break
        import time

        time.sleep(0.05)
    assert found is not None and found.domain == "slow.test"


def test_hang_on_read_then_recovery_by_retry(sim: SimServer) -> None:
    sim.set_faults([Fault("hang", programs=("list-plans",), seconds=1.0, times=1)])
    plans = VirtualminClient(connect(sim.url, timeout_s=0.3)).list_plans()
    assert [p.name for p in plans] == ["Default Plan"]
    assert sim.stats()["by_program"]["list-plans"] == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_on_read_is_retried(sim: SimServer, status: int) -> None:
    sim.set_faults([Fault("http_error", status=status, times=2)])
    assert VirtualminClient(connect(sim.url)).list_templates()[0].name == "Default Settings"
    assert sim.stats()["by_program"]["list-templates"] == 3


def test_http_5xx_after_n_calls_exhausts_retries(sim: SimServer) -> None:
    sim.set_faults([Fault("http_error", status=503, after=1)])
    client = VirtualminClient(connect(sim.url))
    assert client.list_domains() == []
    failure = failure_of(client.list_domains)
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.RETRIABLE)
    assert failure.error.details["http_status"] == 503
    assert sim.stats()["by_program"]["list-domains"] == 4


def test_http_5xx_on_mutation_is_unknown_and_not_retried(sim: SimServer) -> None:
    sim.set_faults([Fault("http_error", status=502, programs=("disable-domain",))])
    failure = failure_of(VirtualminClient(connect(sim.url)).disable_domain, "a.test")
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.UNKNOWN)
    assert sim.stats()["by_program"]["disable-domain"] == 1


def test_dropped_connection_on_read_is_retried(sim: SimServer) -> None:
    sim.set_faults([Fault("drop", times=1)])
    assert VirtualminClient(connect(sim.url)).list_domains() == []
    assert sim.stats()["by_program"]["list-domains"] == 2


def test_dropped_connection_on_mutation_is_unknown(sim: SimServer) -> None:
    sim.set_faults([Fault("drop", programs=("delete-domain",))])
    failure = failure_of(VirtualminClient(connect(sim.url)).delete_domain, "a.test")
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.UNKNOWN)
    assert sim.stats()["by_program"]["delete-domain"] == 1


def test_lost_reply_on_create_is_unknown_and_the_domain_exists(sim: SimServer, state: SimState) -> None:
    sim.set_faults([Fault("lost_reply", programs=("create-domain",), times=1)])
    client = VirtualminClient(connect(sim.url))
    failure = failure_of(client.create_domain, "lost.test", password="pw", features=["unix", "dir"])
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.UNKNOWN)
    assert state.domain("lost.test") is not None
    assert client.get_domain("lost.test") is not None


def test_truncated_body_is_a_protocol_error_naming_the_server(sim: SimServer) -> None:
    sim.set_faults([Fault("truncate", keep_bytes=20)])
    failure = failure_of(VirtualminClient(connect(sim.url)).list_plans)
    assert failure.error.code is ErrorCode.REMOTE_PROTOCOL
    assert failure.error.message.startswith("vm1: answered list-plans with something that is not remote.cgi JSON")


def test_newline_in_a_value_is_refused_over_http(sim: SimServer) -> None:
    failure = failure_of(
        VirtualminClient(connect(sim.url)).create_domain, "nl.test", password="a\nb", features=["unix", "dir"]
    )
    assert failure.error.code is ErrorCode.INVALID
    assert sim.stats()["calls"] == 0


# ------------------------------------------------------------------ injection canary


CANARY_PAYLOADS = [
    "semi;colon",
    "dollar$(touch {marker})",
    "back`touch {marker}`tick",
    "quote'single\"double",
    "sp ace && touch {marker}",
]


def test_injection_canary_over_http(sim: SimServer, state: SimState, tmp_path: Path) -> None:
    state.configure(strict_domain_names=False)
    marker = tmp_path / "pwned"
    client = VirtualminClient(connect(sim.url))
    for n, template in enumerate(CANARY_PAYLOADS):
        payload = template.format(marker=marker)
        domain = f"c{n}-{payload}.test".lower()
        password = f"pw-{payload}"
        client.create_domain(domain, password=password, description=payload.replace(":", ""), features=["unix", "dir"])
        record = state.domain(domain)
        assert record is not None, domain
        assert record["desc"] == payload.replace(":", "")
        assert state.password_matches(domain, password)
        [listed] = client.list_domains(domain)
        assert listed.domain == domain
        client.delete_domain(domain)
    assert not marker.exists()


# ------------------------------------------------------------------ contract tier on the simulator


def test_contract_tier_passes_unchanged_against_the_simulator(sim: SimServer) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PRAHO_VIRTUALMIN_URL": sim.url,
        "PRAHO_VIRTUALMIN_USER": "root",
        "PRAHO_VIRTUALMIN_PASSWORD": SIM_PASSWORD,
    }
    env.pop("PRAHO_VIRTUALMIN_SSH", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/contract", "-k", "http"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


# ------------------------------------------------------------------ the lean read (drift)


def test_domain_states_over_http_send_simple_multiline_and_match_the_full_read(sim: SimServer,
                                                                                state: SimState) -> None:
    state.seed_domains(["a.test", "b.test", "c.test"])
    bodies: list[bytes] = []
    http = httpx.Client(event_hooks={"request": [lambda request: bodies.append(request.read())]}, trust_env=False)
    transport = HttpTransport(ServerConnection("vm1", "http", url=sim.url, username="root",
                                               password=FixedSecret(SIM_PASSWORD)), client=http)
    client = VirtualminClient(transport)
    client.disable_domain("b.test", reason="unpaid")
    bodies.clear()
    states = client.list_domain_states()
    assert bodies == [b"program=list-domains&simple-multiline=&json=1"]
    full = client.list_domains()
    assert [(s.domain, s.id, s.username, s.plan, s.plan_id, s.disabled, s.top_level) for s in states] == [
        (d.domain, d.id, d.username, d.plan, d.plan_id, d.disabled, d.parent is None) for d in full]
    assert [s.domain for s in states if s.disabled] == ["b.test"]
    http.close()


def test_domain_states_garbage_and_failures_over_http(sim: SimServer, state: SimState) -> None:
    client = VirtualminClient(connect(sim.url))
    failure = failure_of(client.list_domain_states, "missing.test")
    assert failure.error.code is ErrorCode.NOT_FOUND
    sim.set_faults([Fault("truncate", keep_bytes=30)])
    failure = failure_of(client.list_domain_states)
    assert failure.error.code is ErrorCode.REMOTE_PROTOCOL and failure.error.message.startswith("vm1: ")
    sim.set_faults([])
    stopped = connect(sim.url.rsplit(":", 1)[0] + ":9", retries=0)
    assert failure_of(VirtualminClient(stopped).list_domain_states).error.code is ErrorCode.REMOTE_UNAVAILABLE
