"""Start a real OpenSSH sshd on a loopback port for tests: temporary host key, one authorized client
key, and the simulator's `virtualmin` command on the session PATH."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SSHD = "/usr/sbin/sshd"


def sshd_available() -> bool:
    return Path(SSHD).exists() and shutil.which("ssh-keygen") is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def keygen(path: Path, passphrase: str = "") -> Path:
    """An ed25519 key pair at ``path`` / ``path.pub`` (OpenSSH format)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "praho-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def public_line(path: Path) -> str:
    """``type base64`` of a key pair's public half."""
    kind, blob = Path(f"{path}.pub").read_text().split()[:2]
    return f"{kind} {blob}"


def openssh_fingerprint(path: Path) -> str:
    """``SHA256:…`` as ssh-keygen prints it, to compare with the client's messages."""
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{path}.pub"], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[1]


@dataclass
class Sshd:
    directory: Path
    port: int
    host_key: Path
    client_key: Path
    known_hosts: Path
    bin_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    _stopped: bool = field(default=False)

    def known_hosts_line(self, key: Path | None = None) -> str:
        return f"[127.0.0.1]:{self.port} {public_line(key or self.host_key)}\n"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_sshd(directory: Path, *, bin_dir: Path, authorized: list[Path] | None = None) -> Sshd:
    """Start sshd (foreground, ``-D -e``) as the current user on 127.0.0.1:<free port>.

    ``bin_dir`` goes first on the session PATH (``SetEnv``), so a ``virtualmin`` script there is the
    one the client runs when it calls plain ``virtualmin``."""
    directory.mkdir(parents=True, exist_ok=True)
    host_key = keygen(directory / "ssh_host_ed25519_key")
    client_key = keygen(directory / "client_key")
    authorized_keys = directory / "authorized_keys"
    authorized_keys.write_text("".join(public_line(k) + "\n" for k in [client_key, *(authorized or [])]))
    # sshd refuses to start without its privilege-separation directory
    Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
    port = free_port()
    user = os.environ.get("USER") or "root"
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        f"PidFile {directory / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized_keys}\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        "PermitRootLogin prohibit-password\n"
        f"AllowUsers {user} root\n"
        f"SetEnv PATH={bin_dir}:/usr/local/bin:/usr/bin:/bin\n"
        "LogLevel VERBOSE\n"
    )
    known_hosts = directory / "known_hosts"
    log_path = directory / "sshd.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log_file, stderr=subprocess.STDOUT)
    log_file.close()
    server = Sshd(directory, port, host_key, client_key, known_hosts, bin_dir, process, log_path)
    known_hosts.write_text(server.known_hosts_line())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}: {server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"sshd did not listen on {port}: {server.log()}")


def sshd_workdir(tmp_path_factory: Any, name: str) -> Path:
    """A directory for one module's sshd; skips locally, fails in CI, when sshd is missing."""
    from tests.conftest import require_service

    require_service(sshd_available(), f"OpenSSH sshd ({SSHD}, Debian's openssh-server)")
    return Path(tmp_path_factory.mktemp(name))


def start_with_simulator(directory: Path, state_path: Path) -> Sshd:
    """An sshd whose sessions find the simulator's `virtualmin` (on ``state_path``) on their PATH."""
    from praho_cli.virtualmin.simulator.command import write_virtualmin_wrapper

    bin_dir = directory / "bin"
    write_virtualmin_wrapper(bin_dir, state_path)
    return start_sshd(directory / "daemon", bin_dir=bin_dir)
