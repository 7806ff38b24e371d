"""Pure interpretation of what a server answered: remote.cgi HTTP replies and SSH exit results.

Kept apart from the network code so the fake transport and the fidelity tests run every capture
through exactly the code the real transports use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from praho_cli.result import ErrorCode, PrahoError, PrahoFailure, Retry
from praho_cli.virtualmin.errors import detect_false_success, remote_failure, scrub, unavailable
from praho_cli.virtualmin.records import parse_multiline, records_from_json
from praho_cli.virtualmin.transport import RemoteReply, program_returns_records

_ERROR_TEXT = re.compile(r"\s*ERROR:")


def _snippet(body: str, secrets: Iterable[str]) -> str:
    text = re.sub(r"<[^>]+>", " ", body)
    text = re.sub(r"\s+", " ", text).strip()
    return scrub(text[:120], secrets)


def interpret_http(
    server: str,
    program: str,
    status: int,
    headers: Mapping[str, str],
    body: str,
    *,
    mutating: bool,
    secrets: Iterable[str] = (),
) -> RemoteReply:
    """Turn one remote.cgi HTTP response into a reply, or raise PrahoFailure.

    ``headers`` must have lower-case names (miniserv spells ``Content-type``).
    """
    secret_list = list(secrets)
    details = {"server": server, "program": program, "http_status": status}
    if status == 401:
        # http_auth_bad-password.json; never retried: miniserv blocks the host after 5 failures
        hint = ""
        if headers.get("x-webmin-auth-error") == "twofactor-required":
            hint = " (this Webmin user has two-factor authentication; use a separate API user)"
        raise PrahoFailure(
            PrahoError(
                ErrorCode.REMOTE_AUTH,
                f"{server}: Webmin refused the credentials (HTTP 401){hint}",
                details,
                Retry.NOT_RETRIABLE,
            )
        )
    if status == 403:
        raise PrahoFailure(
            PrahoError(
                ErrorCode.REMOTE_AUTH,
                f"{server}: access denied (HTTP 403): {_snippet(body, secret_list)}",
                details,
                Retry.NOT_RETRIABLE,
            )
        )
    if 300 <= status < 400:
        # miniserv redirects plain HTTP on an SSL port to the root page (https_tls.txt,
        # "Wrong scheme"); following it would land on the login page
        where = headers.get("location", "?")
        raise PrahoFailure(
            PrahoError(
                ErrorCode.CONFIG,
                f"{server}: the server redirected to {where} (HTTP {status}); check the URL scheme and port",
                details,
                Retry.NOT_RETRIABLE,
            )
        )
    if status >= 500:
        raise unavailable(f"{server}: server error HTTP {status}", details, mutating=mutating)
    if status != 200:
        raise PrahoFailure(
            PrahoError(
                ErrorCode.REMOTE_PROTOCOL,
                f"{server}: unexpected HTTP {status} from remote.cgi: {_snippet(body, secret_list)}",
                details,
                Retry.NOT_RETRIABLE,
            )
        )
    if _ERROR_TEXT.match(body):
        # "not allowed to run remote commands" is plain text even with json=1 (docs/virtualmin-protocol.md
        # §1.2). Matched rather than body.strip()ped: that would copy every reply (a third of a megabyte
        # per 200 domains).
        stripped = body.strip()
        raise remote_failure(server, program, stripped.removeprefix("ERROR:").strip(), secrets=secret_list)
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("status"), str):
        # the Webmin user lacks the Virtual Servers module: an HTML page with HTTP 200
        # (docs/virtualmin-protocol.md §1.2)
        code = ErrorCode.REMOTE_AUTH if "Access denied" in body else ErrorCode.REMOTE_PROTOCOL
        content_type = headers.get("content-type", "?")
        raise PrahoFailure(
            PrahoError(
                code,
                f"{server}: answered {program} with something that is not remote.cgi JSON "
                f"({content_type}): {_snippet(body, secret_list)!r}",
                details,
                Retry.UNKNOWN if mutating else Retry.NOT_RETRIABLE,
            )
        )
    verdict = envelope["status"]
    if verdict == "success":
        command = envelope.get("command")
        if command is not None and command != program:
            raise _protocol(server, program, f"reply is for program {command!r}", mutating)
        output = envelope.get("output")
        if output is None:
            # A program that printed nothing: remote.cgi sends "output" : null, not "" (an empty
            # server's list-domains --simple-multiline, http_list-domains_simple-multiline_empty.json).
            output = ""
        elif not isinstance(output, str):
            raise _protocol(server, program, "'output' is not a string", mutating)
        records: tuple = ()
        if "data" in envelope:
            try:
                records = tuple(records_from_json(envelope["data"]))
            except ValueError as exc:
                raise _protocol(server, program, str(exc), mutating) from None
        if mutating and detect_false_success(output):
            raise remote_failure(server, program, output, secrets=secret_list)
        return RemoteReply(program=program, output=output, records=records)
    if verdict in ("failure", "error"):
        # `error` is only the first output line; full_error holds the reason (docs/virtualmin-protocol.md §1.7)
        text = envelope.get("full_error") or envelope.get("error") or ""
        if not isinstance(text, str):
            text = ""
        raise remote_failure(server, program, text, secrets=secret_list)
    raise _protocol(server, program, f"unknown status {verdict!r}", mutating)


def _protocol(server: str, program: str, why: str, mutating: bool) -> PrahoFailure:
    return PrahoFailure(
        PrahoError(
            ErrorCode.REMOTE_PROTOCOL,
            f"{server}: unexpected reply to {program}: {why}",
            {"server": server, "program": program},
            Retry.UNKNOWN if mutating else Retry.NOT_RETRIABLE,
        )
    )


def interpret_exit(
    server: str,
    program: str,
    exit_status: int,
    stdout: str,
    stderr: str,
    *,
    mutating: bool,
    secrets: Iterable[str] = (),
    command_path: str = "virtualmin",
    records: bool = True,
) -> RemoteReply:
    """Turn a `virtualmin` run (exit status, stdout, stderr) into a reply, or raise.

    The exit status is the verdict; usage errors are on stdout, Perl and Webmin errors on stderr
    (docs/virtualmin-protocol.md §3). ``records=False`` leaves a list program's stdout unparsed (the caller asked for
    the text, transport.TEXT_FLAG).
    """
    secret_list = list(secrets)
    if exit_status == 0:
        if mutating and detect_false_success(stdout):
            raise remote_failure(server, program, stdout, secrets=secret_list, exit_code=0)
        parsed = tuple(parse_multiline(stdout)) if records and program_returns_records(program) else ()
        return RemoteReply(program=program, output=stdout, records=parsed)
    if exit_status == 127 and not stdout.strip():
        raise PrahoFailure(
            PrahoError(
                ErrorCode.CONFIG,
                f"{server}: {command_path} was not found on the server (set virtualmin_path)",
                {"server": server, "program": program, "exit_code": exit_status},
                Retry.NOT_RETRIABLE,
            )
        )
    combined = stdout if not stderr.strip() else f"{stdout}\n{stderr}"
    raise remote_failure(server, program, combined, secrets=secret_list, exit_code=exit_status)
