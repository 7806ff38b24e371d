"""remote.cgi over HTTPS with httpx."""

from __future__ import annotations

import functools
import hashlib
import logging
import ssl
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from praho_cli.result import ErrorCode, PrahoError, PrahoFailure, Retry
from praho_cli.virtualmin.connection import ServerConnection
from praho_cli.virtualmin.envelope import interpret_http
from praho_cli.virtualmin.errors import unavailable
from praho_cli.virtualmin.transport import Params, RemoteReply, check_params, secret_values, wants_text

log = logging.getLogger("praho.virtualmin")


class PinMismatchError(ssl.SSLCertVerificationError):
    """The server's certificate is not the pinned one. Raised inside the TLS handshake."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"certificate SHA-256 {actual} does not match the pinned {expected}")
        self.expected = expected
        self.actual = actual


class _PinnedSSLSocket(ssl.SSLSocket):
    """Checks the pin right after the handshake, before a single HTTP byte (or the Basic
    credentials) is written. Webmin's certificate is usually self-signed (https_tls.txt), so the
    pin replaces chain validation."""

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        expected = getattr(self.context, "praho_pin_sha256", None)
        der = self.getpeercert(binary_form=True)
        actual = hashlib.sha256(der or b"").hexdigest()
        if expected is None or actual != expected:
            raise PinMismatchError(expected or "?", actual)


def build_ssl_context(conn: ServerConnection) -> ssl.SSLContext | bool:
    """The TLS policy for one server: system CAs, a CA file, a pinned fingerprint, or (only when
    explicitly configured) no verification."""
    if conn.pin_sha256:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.praho_pin_sha256 = conn.pin_sha256  # type: ignore[attr-defined]
        ctx.sslsocket_class = _PinnedSSLSocket
        return ctx
    if conn.ca_file:
        try:
            return ssl.create_default_context(cafile=conn.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise PrahoFailure.of(ErrorCode.CONFIG, f"{conn.name}: cannot read ca_file {conn.ca_file}: {exc}") from None
    if not conn.verify:
        return False
    return default_ssl_context()


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The system-CA context, built once per process and shared by every transport that verifies
    the usual way: building one loads the CA store (about 17 ms of CPU), which a scan of fifty
    servers would otherwise pay fifty times. A context is safe to share between clients and threads."""
    return ssl.create_default_context()


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_loopback(url: str) -> bool:
    """A loopback server (the simulator, a tunnel) does not send the password over a network."""
    import ipaddress

    host = httpx.URL(url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpTransport:
    """POSTs form-encoded parameters to remote.cgi with Basic auth; the JSON status is the verdict."""

    def __init__(self, conn: ServerConnection, *, client: httpx.Client | None = None) -> None:
        self.conn = conn
        self.server = conn.name
        self._url = conn.remote_cgi_url
        if self._url.startswith("https://") and not conn.verify and not (conn.pin_sha256 or conn.ca_file):
            log.warning(
                "TLS verification is OFF for server %s (verify = false): anyone on the path can read "
                "the Webmin password. Pin the certificate with pin_sha256 instead.",
                conn.name,
            )
        if self._url.startswith("http://") and not _is_loopback(self._url):
            log.warning("server %s uses plain http: the Webmin password crosses the network in clear", conn.name)
        # Plain http never starts TLS; the shared context only spares httpx building its own.
        self._verify = build_ssl_context(conn) if self._url.startswith("https://") else default_ssl_context()
        self._client = client
        self._owns_client = client is None
        self._auth: httpx.BasicAuth | None = None
        self.sleep = time.sleep

    def __repr__(self) -> str:
        return f"HttpTransport(server={self.server!r}, url={self._url!r})"

    def _http(self) -> httpx.Client:
        if self._client is None:
            # Redirects are never followed: miniserv sends plain-HTTP callers to the login page.
            self._client = httpx.Client(verify=self._verify, follow_redirects=False, trust_env=False)
        return self._client

    def _basic_auth(self) -> httpx.BasicAuth | None:
        if self._auth is None and self.conn.username:
            secret = self.conn.password() if self.conn.password else ""
            self._auth = httpx.BasicAuth(self.conn.username, secret)
        return self._auth

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
        self._client = None

    def call(self, program: str, params: Params, *, mutating: bool) -> RemoteReply:
        check_params(self.server, program, params)
        for name, value in params:
            if value is not None and ("\n" in value or "\r" in value):
                # remote.cgi (7.20+) splits values on newlines into arguments (docs/virtualmin-protocol.md §1.3)
                raise PrahoFailure.of(
                    ErrorCode.INVALID,
                    f"{self.server}: --{name} contains a line break, which remote.cgi would split "
                    "into separate arguments",
                )
        secrets = secret_values(params)
        body = self.encode(program, params)
        timeout = httpx.Timeout(
            self.conn.mutation_timeout_s if mutating else self.conn.timeout_s,
            connect=self.conn.connect_timeout_s,
        )
        attempts = 1 + max(0, self.conn.retries)
        for attempt in range(attempts):
            try:
                return self._once(program, body, timeout, mutating, secrets)
            except PrahoFailure as failure:
                last = attempt == attempts - 1
                if failure.error.retry is not Retry.RETRIABLE or last:
                    raise
                log.info("retrying %s on %s after: %s", program, self.server, failure.error.message)
                self.sleep(min(0.25 * 2**attempt, 2.0))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def encode(program: str, params: Params) -> bytes:
        """The form body. Boolean flags are ``flag=``; ``json=1`` and ``multiline=`` always go last
        so that, as remote.cgi passes parameters in order, the program's own flags come first.

        ``multiline=`` is left out when the caller sent ``simple-multiline`` (transport.TEXT_FLAG):
        the program then prints its simple multiline text and remote.cgi returns it in ``output``."""
        pairs: list[tuple[str, str]] = [("program", program)]
        pairs += [(name, "" if value is None else value) for name, value in params]
        pairs.append(("json", "1"))
        if not wants_text(params):
            pairs.append(("multiline", ""))
        return urlencode(pairs, quote_via=quote).encode("ascii")

    def _once(
        self, program: str, body: bytes, timeout: httpx.Timeout, mutating: bool, secrets: list[str]
    ) -> RemoteReply:
        details: dict[str, Any] = {"server": self.server, "program": program}
        try:
            client = self._http()
            request = client.build_request(
                "POST", self._url, content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=timeout,
            )
            response = client.send(request, auth=self._basic_auth() or httpx.USE_CLIENT_DEFAULT, stream=True)
            try:
                # Read the body without caching it on the response: an httpx response and its stream
                # refer to each other, so a cached body lives until the cyclic collector runs, and a
                # list reply is a third of a megabyte per 200 domains.
                content = b"".join(response.iter_bytes())
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise self._transport_failure(exc, program, timeout, mutating, details) from None
        # what response.text does: the declared charset, else UTF-8; undecodable bytes replaced
        text = content.decode(response.encoding or "utf-8", errors="replace")
        del content
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        return interpret_http(self.server, program, status, headers, text, mutating=mutating, secrets=secrets)

    def _transport_failure(
        self, exc: httpx.TransportError, program: str, timeout: httpx.Timeout, mutating: bool,
        details: dict[str, Any],
    ) -> PrahoFailure:
        if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_UNAVAILABLE,
                    f"{self.server}: timed out connecting to {self._url}",
                    details,
                    Retry.RETRIABLE,
                )
            )
        if isinstance(exc, httpx.ConnectError):
            return self._connect_failure(exc, details)
        if isinstance(exc, httpx.TimeoutException):
            # the request was sent: a mutation may complete server-side anyway (docs/virtualmin-protocol.md §4.1)
            return unavailable(f"{self.server}: no reply to {program} within {timeout.read:g}s", details,
                               mutating=mutating, unanswered=True)
        return unavailable(f"{self.server}: connection lost during {program} ({type(exc).__name__})", details,
                           mutating=mutating)

    def _connect_failure(self, exc: httpx.ConnectError, details: dict[str, Any]) -> PrahoFailure:
        for cause in _chain(exc):
            if isinstance(cause, PinMismatchError):
                return PrahoFailure(
                    PrahoError(
                        ErrorCode.REMOTE_AUTH,
                        f"{self.server}: TLS certificate SHA-256 {cause.actual} does not match the "
                        f"pinned {cause.expected}; refusing to send credentials",
                        {**details, "actual_sha256": cause.actual},
                        Retry.NOT_RETRIABLE,
                    )
                )
            if isinstance(cause, ssl.SSLCertVerificationError):
                return PrahoFailure(
                    PrahoError(
                        ErrorCode.REMOTE_AUTH,
                        f"{self.server}: TLS certificate not trusted ({cause.verify_message}); set "
                        "ca_file or pin_sha256 for a self-signed Webmin certificate",
                        details,
                        Retry.NOT_RETRIABLE,
                    )
                )
            if isinstance(cause, ssl.SSLError):
                return PrahoFailure(
                    PrahoError(
                        ErrorCode.REMOTE_UNAVAILABLE,
                        f"{self.server}: TLS handshake with {self._url} failed ({cause.reason or cause}); "
                        "is this an https endpoint?",
                        details,
                        Retry.NOT_RETRIABLE,
                    )
                )
        return PrahoFailure(
            PrahoError(
                ErrorCode.REMOTE_UNAVAILABLE,
                f"{self.server}: cannot connect to {self._url}",
                details,
                Retry.RETRIABLE,
            )
        )
