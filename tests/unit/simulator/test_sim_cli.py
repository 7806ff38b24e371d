"""praho sim serve|virtualmin through the real CLI entry point."""

from __future__ import annotations

import base64
import io
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from praho_cli.cli.main import run
from praho_cli.output.streams import Environment


def _cli(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, Environment(stdout=out, stderr=err, environ=environ))
    return code, out.getvalue(), err.getvalue()


def test_sim_virtualmin_passes_output_and_exit_code_through(tmp_path: Path) -> None:
    state = str(tmp_path / "vm.json")
    code, out, err = _cli(["sim", "virtualmin", "--state", state, "enable-domain", "--domain", "x.test"], {})
    assert (code, err) == (1, "")
    assert out.startswith("Virtual server x.test does not exist\nEnables all disabled features")
    code, out, _ = _cli(["sim", "virtualmin", "list-plans", "--name-only"], {"PRAHO_SIM_STATE": state})
    assert (code, out) == (0, "Default Plan\n")


def test_sim_serve_needs_a_password_and_never_takes_it_as_a_flag(tmp_path: Path) -> None:
    code, out, err = _cli(["sim", "serve", "--port", "0", "--state", str(tmp_path / "s.json")], {})
    assert (code, out) == (78, "")
    assert "PRAHO_SIM_PASSWORD" in err
    code, _, err = _cli(["sim", "serve", "--password", "x"], {})
    assert code == 2 and "--password" in err


def test_sim_serve_prints_url_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = dict(os.environ, PRAHO_SIM_PASSWORD="demo-pw")
    script = ("import sys\nfrom praho_cli.cli.main import run\n"
                         f"sys.exit(run(['sim', 'serve', '--port', '0', '--print-url', '--seed-domains', '2', "
                         f"'--state', {str(tmp_path / 'vm.json')!r}]))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(url + "/virtual-server/remote.cgi?program=list-domains&name-only=")
        request.add_header("Authorization", "Basic " + base64.b64encode(b"root:demo-pw").decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        assert body == b"d1.test\nd2.test\n\nExit status: 0\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert f"Simulator listening on {url}/virtual-server/remote.cgi" in err.decode()
    assert "demo-pw" not in err.decode()
