"""remote.cgi over HTTP(S): a miniserv look-alike in front of the simulated programs.

Responses are written by hand, not through BaseHTTPRequestHandler.send_response, because the real
server's header set and order matter to fidelity: ``Date``, ``Server: MiniServ``, ``Connection:
close``, ``Content-type`` (lower-case t), no Content-Length, HTTP/1.0 (every http_*.json capture).
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hmac
import json
import os
import random
import re
import socket
import ssl
import struct
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from praho_cli.virtualmin.simulator import envelope, texts
from praho_cli.virtualmin.simulator.faults import Effects, Fault, FaultBook, combine, merge
from praho_cli.virtualmin.simulator.programs import PROGRAMS, run_program
from praho_cli.virtualmin.simulator.state import SimState

REMOTE_PATH = "/virtual-server/remote.cgi"
ADMIN_PREFIX = "/__praho_sim__/"
_PROGRAM_NAME = re.compile(r"^[a-z0-9.-]+$", re.IGNORECASE)
_HTML = "text/html; Charset=utf-8"
_REASONS = {200: "Document follows", 401: "Unauthorized", 403: "Access denied", 404: "File not found",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


def _error_page(status: int, title: str, message: str) -> str:
    return (
        f"<html>\n<head>\n<title>{status} &mdash; {title}</title></head>\n"
        f'<body><h2 class="err-head">{status} &mdash; {title}</h2>\n'
        f'<p class="err-content">{message}</p> <p>\n</body></html>\n'
    )


def parse_params(query: str, body: str) -> list[tuple[str, str]]:
    """Webmin's ReadParse: body parameters first, then the query string; split on ``&`` and the
    first ``=``; ``+`` is a space and ``%XX`` is decoded in names and values; order is kept."""
    params: list[tuple[str, str]] = []
    for source in (body, query):
        for part in source.split("&"):
            if not part:
                continue
            name, _, value = part.partition("=")
            params.append((urllib.parse.unquote_plus(name), urllib.parse.unquote_plus(value)))
    return params


def params_to_argv(params: Sequence[tuple[str, str]], skip: set[str]) -> list[str]:
    """remote.cgi's mapping: ``name=`` is the bare flag ``--name``; a value follows its flag and, since
    Virtualmin 7.20, is split on newlines into separate arguments (docs/virtualmin-protocol.md §1.3)."""
    argv: list[str] = []
    for name, value in params:
        if name in skip:
            continue
        argv.append(f"--{name}")
        if value != "":
            argv.extend(value.split("\n"))
    return argv


class SimServer:
    """One simulated Virtualmin server listening on its own port. Use as a context manager or call
    :meth:`stop`. ``url`` is the base (``http://127.0.0.1:PORT``), ``remote_url`` the remote.cgi URL."""

    def __init__(
        self,
        state: SimState,
        *,
        password: str,
        user: str = "root",
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "vm",
        faults: Iterable[Fault] = (),
        tls: bool = False,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        auth_fail_delay: float = 0.0,
        lockout_failures: int = 5,
        lockout_seconds: float = 60.0,
        shuffle_keys: bool = True,
        seed: int | None = None,
    ) -> None:
        self.name = name
        self.state = state
        self.user = user
        self._password = password.encode("utf-8")
        self.faults = FaultBook(faults)
        self.auth_fail_delay = auth_fail_delay
        self.lockout_failures = lockout_failures
        self.lockout_seconds = lockout_seconds
        self.shuffle_keys = shuffle_keys
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._stop = threading.Event()
        self._auth_lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._blocked_until: dict[str, float] = {}
        self._stats_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._state_fault_rules: list[Fault] = []
        self._state_fault_counters: list[int] = []
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.cert_path: Path | None = None
        self.fingerprint_sha256: str | None = None
        context: ssl.SSLContext | None = None
        if tls or certfile is not None:
            from praho_cli.virtualmin.simulator import tls as tls_mod

            if certfile is None or keyfile is None:
                self._tempdir = tempfile.TemporaryDirectory(prefix="praho-sim-tls-")
                certfile, keyfile = tls_mod.generate_self_signed(
                    self._tempdir.name, state.settings().get("hostname", "vm"))
            self.cert_path = Path(certfile)
            self.fingerprint_sha256 = tls_mod.fingerprint_sha256(certfile)
            context = tls_mod.server_context(certfile, keyfile)
        self._httpd = _HTTPServer((host, port), _Handler, sim=self, tls=context)
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self.scheme = "https" if context is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"praho-sim-{name}", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"SimServer(name={self.name!r}, url={self.url!r}, state={str(self.state.path)!r})"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def remote_url(self) -> str:
        return self.url + REMOTE_PATH

    def set_faults(self, faults: Iterable[Fault]) -> None:
        """Replace this server's faults at run time (their call counters restart)."""
        self.faults.set(faults)

    def unblock(self) -> None:
        """Forget authentication failures and lift any host block."""
        with self._auth_lock:
            self._failures.clear()
            self._blocked_until.clear()

    def stats(self) -> dict[str, Any]:
        """Calls received per program (``""`` for calls without a program)."""
        with self._stats_lock:
            return {"calls": sum(self._calls.values()), "by_program": dict(self._calls)}

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler ---------------------------------------------------------------------

    def check_credentials(self, header: str | None) -> bool | None:
        """True: accepted. False: wrong credentials. None: no credentials sent."""
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except ValueError:
            return False
        user, sep, password = decoded.partition(b":")
        if not sep:
            return False
        user_ok = hmac.compare_digest(user, self.user.encode("utf-8"))
        password_ok = hmac.compare_digest(password, self._password)
        return user_ok and password_ok

    def is_blocked(self, client: str) -> bool:
        with self._auth_lock:
            until = self._blocked_until.get(client)
            if until is None:
                return False
            if time.monotonic() >= until:
                del self._blocked_until[client]
                return False
            return True

    def record_auth(self, client: str, ok: bool) -> None:
        # miniserv blocks a host after blockhost_failures=5 wrong logins for blockhost_time=60 s.
        with self._auth_lock:
            if ok:
                self._failures.pop(client, None)
                return
            count = self._failures.get(client, 0) + 1
            if count >= self.lockout_failures:
                self._failures.pop(client, None)
                self._blocked_until[client] = time.monotonic() + self.lockout_seconds
            else:
                self._failures[client] = count

    def effects_for(self, program: str) -> Effects:
        with self._stats_lock:
            self._calls[program] += 1
        own = self.faults.effects_for(program)
        shared = self.state.faults()
        with self._stats_lock:
            if shared != self._state_fault_rules:
                self._state_fault_rules = shared
                self._state_fault_counters = [0] * len(shared)
            from_state = combine(shared, self._state_fault_counters, program)
        return merge(own, from_state)

    def rng(self) -> random.Random | None:
        if not self.shuffle_keys:
            return None
        with self._rng_lock:
            return random.Random(self._rng.random())

    def wait_or_stop(self, seconds: float) -> None:
        self._stop.wait(seconds)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *,
                 sim: SimServer, tls: ssl.SSLContext | None) -> None:
        self.sim = sim
        self.tls = tls
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, so a slow or plain-HTTP client
        # cannot stall the accept loop.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        # Silent: request lines may carry pass=... in a GET query string.
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # -- writing ---------------------------------------------------------------------------------

    def _write(self, status: int, content_type: str, body: str, *, extra: Sequence[tuple[str, str]] = (),
               keep_bytes: int | None = None) -> None:
        reason = _REASONS.get(status, "Error")
        head = [f"HTTP/1.0 {status} {reason}", f"Date: {email.utils.formatdate(usegmt=True)}",
                "Server: MiniServ"]
        head += [f"{name}: {value}" for name, value in extra]
        head += ["Connection: close", f"Content-type: {content_type}"]
        payload = body.encode("utf-8")
        if keep_bytes is not None:
            payload = payload[:keep_bytes]
        try:
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        # Linger 0: the close resets the connection, as a dropped or capped miniserv connection does.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    # -- request handling --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        sim = self.server.sim
        path, _, query = self.path.partition("?")
        body = ""
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        client = self.client_address[0]
        if sim.is_blocked(client):
            self._write(403, _HTML, _error_page(
                403, "Access denied",
                f"Access denied for {client}. The host has been blocked because of too many "
                "authentication failures."))
            return
        if path.startswith(ADMIN_PREFIX):
            if self._authenticate(client):
                self._admin(path[len(ADMIN_PREFIX):], body)
            return
        if path != REMOTE_PATH:
            self._write(404, _HTML, _error_page(404, "File not found", f"Failed to find file {path}"))
            return
        params = parse_params(query, body if "form" in (self.headers.get("Content-Type") or "form") else "")
        program = next((v for k, v in params if k == "program"), "")
        effects = sim.effects_for(program)
        if effects.drop:
            self._drop()
            return
        if effects.hang is not None:
            sim.wait_or_stop(effects.hang)
            self._drop()
            return
        if effects.http_error is not None:
            status = effects.http_error
            title = _REASONS.get(status, "Error")
            self._write(status, _HTML, _error_page(status, title, "Simulated failure."))
            return
        if not self._authenticate(client):
            return
        status, content_type, text = self._remote(params, effects.latency)
        if effects.lost_reply is not None:
            sim.wait_or_stop(effects.lost_reply)
            self._drop()
            return
        self._write(status, content_type, text, keep_bytes=effects.truncate)

    def _authenticate(self, client: str) -> bool:
        sim = self.server.sim
        verdict = sim.check_credentials(self.headers.get("Authorization"))
        if verdict:
            sim.record_auth(client, True)
            return True
        if verdict is False:
            # miniserv's passdelay: a wrong password costs about a second (captures README).
            sim.record_auth(client, False)
            if sim.auth_fail_delay > 0:
                sim.wait_or_stop(sim.auth_fail_delay)
        self._write(401, _HTML, texts.UNAUTHORIZED_HTML,
                    extra=[("WWW-authenticate", 'Basic realm="Webmin Server"')])
        return False

    def _remote(self, params: list[tuple[str, str]], latency: float) -> tuple[int, str, str]:
        sim = self.server.sim
        names = [name for name, _ in params]
        if "program" not in names:
            # http_no-program.json: plain-text help, HTTP 200.
            return 200, "text/plain", texts.REMOTE_HELP
        program = next(v for k, v in params if k == "program")
        fmt = next((f for f in ("json", "xml") if f in names), None)
        minified = fmt == "json" and next(v for k, v in params if k == "json") == "minified"
        error: str | None = None
        if not _PROGRAM_NAME.match(program):
            error = "Invalid remote program name"
        elif program not in PROGRAMS:
            error = f"Remote program {program} does not exist"
        if error is not None:
            # remote.cgi's own errors are sent as text/plain even when the body is JSON
            # (http_unknown-program.json, http_unknown-program_text.json).
            if fmt == "json":
                return 200, "text/plain", envelope.encode_json({"status": "error", "error": error},
                                                               rng=sim.rng(), minified=minified)
            return 200, "text/plain", f"ERROR: {error}\n"
        skip = {"program"} | ({fmt} if fmt else set())
        run = run_program(sim.state, program, params_to_argv(params, skip), delay=latency)
        if fmt is None:
            return 200, "text/plain", envelope.text_body(run.output, run.exit_code)
        # With a format and no simple-multiline, remote.cgi flags the output as multiline for the
        # converter without passing --multiline to the program (http_list-domains.json).
        multiline = "simple-multiline" not in names or "multiline" in names
        name_only = "name-only" in names or "id-only" in names
        result = envelope.convert(program, run.output, run.exit_code, command_name=program,
                                  multiline=multiline, name_only=name_only)
        if fmt == "xml":
            return 200, "application/xml", envelope.encode_xml(result)
        return 200, "application/json", envelope.encode_json(result, rng=sim.rng(), minified=minified)

    def _admin(self, action: str, body: str) -> None:
        sim = self.server.sim
        try:
            if action == "faults" and self.command == "POST":
                sim.set_faults(Fault.from_dict(item) for item in json.loads(body or "[]"))
            elif action == "unblock" and self.command == "POST":
                sim.unblock()
            elif action == "stats":
                self._write(200, "application/json", json.dumps(sim.stats()) + "\n")
                return
            elif action != "faults":
                self._write(404, _HTML, _error_page(404, "File not found", "Unknown simulator action"))
                return
        except (ValueError, TypeError) as exc:
            self._write(400, "application/json", json.dumps({"error": str(exc)}) + "\n")
            return
        self._write(200, "application/json", json.dumps([f.to_dict() for f in sim.faults.get()]) + "\n")


class Simulator:
    """Several simulated servers in one process, one port each. Context manager."""

    def __init__(self) -> None:
        self.servers: dict[str, SimServer] = {}

    def add(self, name: str, state: SimState | str | os.PathLike[str], **options: Any) -> SimServer:
        if name in self.servers:
            raise ValueError(f"a simulated server named {name} already exists")
        sim_state = state if isinstance(state, SimState) else SimState(state)
        server = SimServer(sim_state, name=name, **options)
        self.servers[name] = server
        return server

    def __getitem__(self, name: str) -> SimServer:
        return self.servers[name]

    def __iter__(self) -> Any:
        return iter(self.servers.values())

    def __len__(self) -> int:
        return len(self.servers)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(state: SimState | str | os.PathLike[str], *, password: str, **options: Any) -> SimServer:
    """Start one simulated server on ``state`` (a SimState or a path) and return its handle."""
    sim_state = state if isinstance(state, SimState) else SimState(state)
    return SimServer(sim_state, password=password, **options)


def serve_many(
    names: int | Iterable[str], state_dir: str | os.PathLike[str], *, password: str, **options: Any
) -> Simulator:
    """Start several servers, ``vm1``… (or the given names), state in ``state_dir/<name>.json``."""
    wanted = [f"vm{i}" for i in range(1, names + 1)] if isinstance(names, int) else list(names)
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    simulator = Simulator()
    try:
        for name in wanted:
            simulator.add(name, directory / f"{name}.json", password=password, **options)
    except BaseException:
        simulator.stop()
        raise
    return simulator
