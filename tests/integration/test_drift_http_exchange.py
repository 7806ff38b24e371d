"""The HTTP transport's own client sends a request as an injected httpx.Client sends it: same method,
path, headers (Basic credentials included) and body."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from praho_cli.virtualmin.connection import FixedSecret, ServerConnection
from praho_cli.virtualmin.http import HttpTransport

REPLY = json.dumps({"status": "success", "command": "list-domains", "output": "a.test\n    ID: 1\n"}).encode()


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, str, list[tuple[str, str]], bytes]]]]:
    seen: list[tuple[str, str, list[tuple[str, str]], bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append((self.command, self.path, sorted((k.lower(), v) for k, v in self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(REPLY)))
            self.end_headers()
            self.wfile.write(REPLY)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_own_client_sends_what_an_injected_client_sends(server) -> None:
    url, seen = server
    conn = ServerConnection("vm1", "http", url=url, username="root", password=FixedSecret("pä:ss"))
    own = HttpTransport(conn)
    with httpx.Client(follow_redirects=False, trust_env=False) as client:
        injected = HttpTransport(conn, client=client)
        for transport in (own, injected):
            reply = transport.call("list-domains", [("simple-multiline", None)], mutating=False)
            assert reply.output == "a.test\n    ID: 1\n"
    own.close()
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert ("authorization", httpx.BasicAuth("root", "pä:ss")._auth_header) in seen[0][2]
