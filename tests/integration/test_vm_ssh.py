"""The SSH transport against a real OpenSSH sshd on loopback, running the simulator's `virtualmin`."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from praho_cli.result import ErrorCode, PrahoFailure, Retry
from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.connection import FixedSecret, ServerConnection
from praho_cli.virtualmin.simulator.faults import Fault
from praho_cli.virtualmin.simulator.state import SimState
from praho_cli.virtualmin.ssh import SshTransport

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sshd import (
    Sshd,
    free_port,
    keygen,
    openssh_fingerprint,
    public_line,
    sshd_workdir,
    start_with_simulator,
)
from vm_lifecycle import run_lifecycle, run_read_checks

pytestmark = pytest.mark.sshd


@pytest.fixture(scope="module")
def sshd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sshd_workdir(tmp_path_factory, "sshd")


@pytest.fixture(scope="module")
def module_state(sshd_dir: Path) -> SimState:
    return SimState(sshd_dir / "state.json")


@pytest.fixture(scope="module")
def server(sshd_dir: Path, module_state: SimState) -> Iterator[Sshd]:
    daemon = start_with_simulator(sshd_dir, module_state.path)
    yield daemon
    daemon.stop()


@pytest.fixture
def state(module_state: SimState) -> Iterator[SimState]:
    yield module_state
    module_state.set_faults([])
    with module_state.mutate() as doc:
        doc["domains"] = []
        doc["settings"]["strict_domain_names"] = True


def ssh_conn(server: Sshd, **options: object) -> ServerConnection:
    settings: dict = {
        "ssh_host": "127.0.0.1",
        "ssh_port": server.port,
        "ssh_user": "root",
        "key_file": str(server.client_key),
        "known_hosts": str(server.known_hosts),
        "virtualmin_path": str(server.bin_dir / "virtualmin"),
        "timeout_s": 20.0,
        "mutation_timeout_s": 20.0,
        "connect_timeout_s": 3.0,
        "retries": 0,
    }
    settings.update(options)
    return ServerConnection("vm-ssh", "ssh", **settings)


def client_for(server: Sshd, **options: object) -> VirtualminClient:
    transport = SshTransport(ssh_conn(server, **options))
    transport.sleep = lambda _seconds: None
    return VirtualminClient(transport)


def failure_of(call: object, *args: object, **kwargs: object) -> PrahoFailure:
    assert callable(call)
    with pytest.raises(PrahoFailure) as caught:
        call(*args, **kwargs)
    return caught.value


# ------------------------------------------------------------------ success and command failure


def test_lifecycle_over_ssh(server: Sshd, state: SimState) -> None:
    client = client_for(server)
    try:
        run_lifecycle(client, features=["unix", "dir"])
        run_read_checks(client)
    finally:
        client.close()


def test_plain_virtualmin_found_on_the_session_path(server: Sshd, state: SimState) -> None:
    client = client_for(server, virtualmin_path="virtualmin")
    assert [p.name for p in client.list_plans()] == ["Default Plan"]
    client.close()


def test_command_failure_maps_the_text_and_exit_code(server: Sshd, state: SimState) -> None:
    client = client_for(server)
    failure = failure_of(client.delete_domain, "missing.test")
    assert (failure.error.code, failure.error.retry) == (ErrorCode.NOT_FOUND, Retry.NOT_RETRIABLE)
    assert failure.error.message == "vm-ssh: Virtual server missing.test does not exist"
    assert failure.error.details["exit_code"] == 1
    client.close()


def test_missing_virtualmin_binary_is_a_config_error(server: Sshd, state: SimState) -> None:
    failure = failure_of(client_for(server, virtualmin_path="/nonexistent/virtualmin").list_plans)
    assert failure.error.code is ErrorCode.CONFIG
    assert "/nonexistent/virtualmin was not found" in failure.error.message


def test_domain_created_over_ssh_has_the_exact_password(server: Sshd, state: SimState) -> None:
    client = client_for(server)
    client.create_domain("pw.test", password="pa ss'w\"rd$HOME", features=["unix", "dir"])
    assert state.password_matches("pw.test", "pa ss'w\"rd$HOME")
    client.close()


# ------------------------------------------------------------------ auth and host keys


def test_unauthorized_key_is_an_auth_failure(server: Sshd, tmp_path: Path, state: SimState) -> None:
    stranger = keygen(tmp_path / "stranger")
    failure = failure_of(client_for(server, key_file=str(stranger)).list_plans)
    assert (failure.error.code, failure.error.retry, failure.error.exit_code) == (
        ErrorCode.REMOTE_AUTH,
        Retry.NOT_RETRIABLE,
        77,
    )
    assert "SSH authentication as root failed" in failure.error.message


def test_unknown_host_key_is_refused_with_its_fingerprint(server: Sshd, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    failure = failure_of(client_for(server, known_hosts=str(empty)).list_plans)
    fingerprint = openssh_fingerprint(server.host_key)
    assert failure.error.code is ErrorCode.REMOTE_AUTH
    assert "unknown SSH host key" in failure.error.message
    assert fingerprint in failure.error.message
    assert failure.error.details["fingerprint"] == fingerprint
    assert empty.read_text() == ""  # nothing was recorded silently


def test_changed_host_key_is_refused(server: Sshd, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key")
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {public_line(other)}\n")
    failure = failure_of(client_for(server, known_hosts=str(known)).list_plans)
    assert failure.error.code is ErrorCode.REMOTE_AUTH
    assert "CHANGED" in failure.error.message
    assert openssh_fingerprint(server.host_key) in failure.error.message
    assert openssh_fingerprint(other) in failure.error.message


def test_encrypted_key_with_passphrase(server: Sshd, tmp_path: Path, state: SimState) -> None:
    locked = keygen(tmp_path / "locked", passphrase="k3y-Phrase")
    authorized = Path(server.directory) / "authorized_keys"
    authorized.write_text(authorized.read_text() + public_line(locked) + "\n")
    ok = client_for(server, key_file=str(locked), key_passphrase=FixedSecret("k3y-Phrase"))
    assert ok.list_plans()[0].id == "0"
    ok.close()
    missing = failure_of(client_for(server, key_file=str(locked)).list_plans)
    assert missing.error.code is ErrorCode.CONFIG
    wrong = failure_of(client_for(server, key_file=str(locked), key_passphrase=FixedSecret("nope")).list_plans)
    assert wrong.error.code is ErrorCode.CONFIG
    assert "k3y-Phrase" not in wrong.error.message and "nope" not in wrong.error.message


# ------------------------------------------------------------------ timeouts


def test_read_timeout_is_retriable(server: Sshd, state: SimState) -> None:
    state.set_faults([Fault("latency", programs=("list-domains",), seconds=3)])
    failure = failure_of(client_for(server, timeout_s=0.8).list_domains)
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.RETRIABLE)


def test_mutation_timeout_is_unknown(server: Sshd, state: SimState) -> None:
    state.set_faults([Fault("latency", programs=("create-domain",), seconds=3)])
    failure = failure_of(
        client_for(server, mutation_timeout_s=0.8).create_domain, "late.test", password="pw", features=["unix", "dir"]
    )
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.UNKNOWN)
    assert "re-read the state" in failure.error.message


def test_server_that_never_speaks_ssh_times_out_on_connect(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    conn = ServerConnection(
        "mute",
        "ssh",
        ssh_host="127.0.0.1",
        ssh_port=listener.getsockname()[1],
        known_hosts=str(tmp_path / "kh"),
        connect_timeout_s=0.5,
        retries=0,
    )
    failure = failure_of(VirtualminClient(SshTransport(conn)).list_plans)
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.RETRIABLE)
    for sock in accepted:
        sock.close()
    listener.close()


def test_nothing_listening_is_unavailable(tmp_path: Path) -> None:
    conn = ServerConnection(
        "gone",
        "ssh",
        ssh_host="127.0.0.1",
        ssh_port=free_port(),
        known_hosts=str(tmp_path / "kh"),
        connect_timeout_s=0.5,
        retries=0,
    )
    failure = failure_of(VirtualminClient(SshTransport(conn)).delete_domain, "a.test")
    assert (failure.error.code, failure.error.retry) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.RETRIABLE)


# ------------------------------------------------------------------ injection canary


CANARY = [
    "semi;colon touch {marker}",
    "dollar$(touch {marker})",
    "back`touch {marker}`tick",
    "quote'single\"double",
    "sp ace && touch {marker} ||",
    "new\nline; touch {marker}",
]


def test_injection_canary_over_ssh(server: Sshd, state: SimState, tmp_path: Path) -> None:
    state.configure(strict_domain_names=False)
    marker = tmp_path / "pwned"
    client = client_for(server)
    for n, template in enumerate(CANARY):
        payload = template.format(marker=marker)
        domain = f"c{n}-{payload}.test".lower()
        password = f"pw-{payload}"
        description = payload.replace(":", "")
        client.create_domain(domain, password=password, description=description, features=["unix", "dir"])
        record = state.domain(domain)
        assert record is not None, repr(domain)
        assert record["desc"] == description
        assert state.password_matches(domain, password)
        client.disable_domain(domain, reason=payload)
        assert state.domain(domain)["disabled"]["why"] == payload
        client.delete_domain(domain)
        assert state.domain(domain) is None
    client.close()
    assert not marker.exists()
