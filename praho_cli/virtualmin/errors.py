"""The one place where Virtualmin's error texts become praho error codes.

Both transports hand the program's failure text here. Messages are matched on the first line
(argument and validation errors, which are followed by the usage text) or, for failures in the
middle of a run, on the last meaningful line (docs/virtualmin-protocol.md §1.7).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from praho_cli.result import ErrorCode, PrahoError, PrahoFailure, Retry


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    code: ErrorCode


def _rule(regex: str, code: ErrorCode) -> _Rule:
    return _Rule(re.compile(regex), code)


# Order matters: the first match wins. Texts are quoted from the captures where one exists.
RULES: tuple[_Rule, ...] = (
    # list/delete/disable/enable (http_*_not-found.json); modify-domain adds a full stop
    # (docs/virtualmin-protocol.md §2.6)
    _rule(r"^Virtual server .+ does not exist\.?$", ErrorCode.NOT_FOUND),
    _rule(r"^No virtual server with ID .+ exists$", ErrorCode.NOT_FOUND),
    _rule(r"^No top-level domain owned by .+ exists$", ErrorCode.NOT_FOUND),
    _rule(r"^No plan with (name or ID|ID|name) .* (was )?found$", ErrorCode.NOT_FOUND),
    _rule(r"^No template with ID or name .* was found$", ErrorCode.NOT_FOUND),
    _rule(r"^(Unknown plan name|Unknown template name|Plan does not exist)$", ErrorCode.NOT_FOUND),
    _rule(r"^Parent domain does not exist$", ErrorCode.NOT_FOUND),
    # http_create-domain_exists.json
    _rule(r"^You are already hosting this domain$", ErrorCode.CONFLICT),
    # http_disable-domain_already-disabled.json, http_enable-domain_already-enabled.json
    _rule(r"^Virtual server .+ is already disabled$", ErrorCode.CONFLICT),
    _rule(r"^Virtual server .+ is not disabled$", ErrorCode.CONFLICT),
    _rule(r"^The specified administration user already exists$", ErrorCode.CONFLICT),
    _rule(r"^A unix (user|group) named .+ already exists", ErrorCode.CONFLICT),
    _rule(r"^A (user|domain) (named|called) .+ already exists$", ErrorCode.CONFLICT),
    _rule(r"^A free automatically chosen administration username could not be found", ErrorCode.CONFLICT),
    _rule(r"^The username prefix .+ is already in use", ErrorCode.CONFLICT),
    # http_create-domain_missing-domain.json / _missing-pass.json, and the other usage errors
    _rule(r"^Missing ", ErrorCode.INVALID),
    _rule(r"^No (domain|users or domains|domains or users) specified$", ErrorCode.INVALID),
    _rule(r"^Unknown parameter ", ErrorCode.INVALID),
    _rule(r"^The --\S+ option cannot be used unless", ErrorCode.INVALID),
    _rule(r"^Domain names cannot ", ErrorCode.INVALID),
    _rule(r"^Description cannot contain", ErrorCode.INVALID),
    _rule(r"^(Quota|Bandwidth limit) must be ", ErrorCode.INVALID),
    _rule(r"^No virtual server features enabled$", ErrorCode.INVALID),
    # remote.cgi's own errors (http_unknown-program.json, http_invalid-program-name.json) and the
    # CLI wrapper's (cli_unknown-command.txt)
    _rule(r"^Remote program .+ does not exist$", ErrorCode.INVALID),
    _rule(r"^Invalid remote program name$", ErrorCode.INVALID),
    _rule(r"^Command .+ was not found$", ErrorCode.INVALID),
    # not a master administrator (docs/virtualmin-protocol.md §1.2; plain text even with json=1)
    _rule(r"^(ERROR: )?You are not allowed to run remote commands", ErrorCode.REMOTE_AUTH),
    _rule(r"must be run as root$", ErrorCode.REMOTE_AUTH),
    _rule(r"^sudo: (a password is required|a terminal is required|.*not allowed to execute)", ErrorCode.REMOTE_AUTH),
)

# Lines that report progress rather than the failure (docs/virtualmin-protocol.md §1.7).
_PROGRESS = re.compile(r"(\.\.\s*$|^\s*\.\. (done|deleted)\s*$)")


def failure_message(text: str) -> str:
    """The line that says what went wrong, from a program's whole failure output."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    first = lines[0]
    if not _PROGRESS.search(first):
        return first
    # Failed mid-run: the first line is "Beginning server creation .." and the reason is last.
    for line in reversed(lines):
        if not _PROGRESS.search(line) and line != "All done!":
            return line
    return first


def classify(text: str) -> ErrorCode:
    """The error code for a failure text (whole output or one line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    candidates = [failure_message(text), *lines[:1]]
    for line in candidates:
        for rule in RULES:
            if rule.pattern.search(line):
                return rule.code
    return ErrorCode.REMOTE_FAILED


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove secret values from text that may reach a message, a log or an exception."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def unavailable(message: str, details: dict[str, Any], *, mutating: bool, unanswered: bool = False) -> PrahoFailure:
    """REMOTE_UNAVAILABLE once the request may have reached the server: a read can be retried, a
    mutation's outcome is unknown. ``unanswered``: no reply came in time, so a mutation may still
    complete, and the message says to re-read the state first (docs/virtualmin-protocol.md §4.1)."""
    if unanswered and mutating:
        message += "; it may still complete, re-read the state before retrying"
    return PrahoFailure(PrahoError(ErrorCode.REMOTE_UNAVAILABLE, message, details,
                                   Retry.UNKNOWN if mutating else Retry.RETRIABLE))


def remote_failure(
    server: str,
    program: str,
    output: str,
    *,
    secrets: Iterable[str] = (),
    exit_code: int | None = None,
) -> PrahoFailure:
    """A PrahoFailure for a program that ran and failed: the work was refused, so no retry."""
    secret_list = list(secrets)
    message = scrub(failure_message(output), secret_list) or f"{program} failed with no message"
    details: dict[str, object] = {"server": server, "program": program}
    if exit_code is not None:
        details["exit_code"] = exit_code
    code = classify(output)
    return PrahoFailure(PrahoError(code, f"{server}: {message}", details, Retry.NOT_RETRIABLE))


def detect_false_success(output: str) -> bool:
    """True when a "successful" reply carries a known error text.

    Virtualmin before 7.20.0 reported some failures as success with the error in ``output``
    (docs/virtualmin-protocol.md §1.8, virtualmin-gpl#799).
    """
    first = failure_message(output)
    return bool(first) and any(
        rule.pattern.search(first) for rule in RULES if rule.code in (ErrorCode.CONFLICT, ErrorCode.NOT_FOUND)
    )
