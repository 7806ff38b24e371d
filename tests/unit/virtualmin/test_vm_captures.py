"""Every capture is a fixture: each one goes through the interpretation code the transports use.

HTTP JSON captures go through interpret_http (the HTTP transport's verdict logic); CLI and SSH
stdout captures, and the plain-mode HTTP bodies (stdout + "Exit status: N"), go through
interpret_exit (the SSH transport's). A capture added without an expectation fails the test.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from praho_cli.result import ErrorCode, PrahoFailure, Retry
from praho_cli.virtualmin.envelope import interpret_exit, interpret_http

from .conftest import CAPTURES, capture_text, load_capture, plain_mode_stdout

NF = ErrorCode.NOT_FOUND
CF = ErrorCode.CONFLICT
INV = ErrorCode.INVALID
MUTATIONS = {"create-domain", "delete-domain", "disable-domain", "enable-domain", "modify-domain"}

# file -> ("ok", number of records) | (error code, exact message after "vm: ")
EXPECTED: dict[str, tuple[Any, Any]] = {
    "cli_create-domain.txt": ("ok", 0),
    "cli_create-domain_exists.txt": (CF, "You are already hosting this domain"),
    "cli_create-domain_missing-domain.txt": (INV, "Missing domain name"),
    "cli_create-domain_missing-pass.txt": (INV, "Missing password"),
    "cli_delete-domain.txt": ("ok", 0),
    "cli_delete-domain_not-found.txt": (NF, "Virtual server missing.test does not exist"),
    "cli_disable-domain.txt": ("ok", 0),
    "cli_disable-domain_already-disabled.txt": (CF, "Virtual server example.test is already disabled"),
    "cli_disable-domain_not-found.txt": (NF, "Virtual server missing.test does not exist"),
    "cli_enable-domain.txt": ("ok", 0),
    "cli_enable-domain_already-enabled.txt": (CF, "Virtual server example.test is not disabled"),
    "cli_info.txt": ("ok", 0),
    "cli_info_json.txt": ("ok", 0),
    "cli_list-domains.txt": ("ok", 3),
    "cli_list-domains_domain-not-found.txt": (NF, "Virtual server missing.test does not exist"),
    "cli_list-domains_domain_multiline.txt": ("ok", 1),
    "cli_list-domains_empty.txt": ("ok", 2),
    "cli_list-domains_id-only.txt": ("ok", 1),
    "cli_list-domains_json.txt": ("cli-json", 1),
    "cli_list-domains_json_empty.txt": ("cli-json", 0),
    "cli_list-domains_multiline.txt": ("ok", 1),
    "cli_list-domains_multiline_disabled.txt": ("ok", 1),
    "cli_list-domains_multiline_empty.txt": ("ok", 0),
    "cli_list-domains_name-only.txt": ("ok", 1),
    "cli_list-domains_name-only_json.txt": ("cli-json", 1),
    "cli_list-domains_simple-multiline.txt": ("ok", 1),
    "cli_list-domains_unknown-flag.txt": (INV, "Unknown parameter --bogus-flag"),
    "cli_list-domains_xml.txt": ("cli-xml", 1),
    "cli_list-plans.txt": ("ok", 3),
    "cli_list-plans_json.txt": ("cli-json", 1),
    "cli_list-plans_multiline.txt": ("ok", 1),
    "cli_list-templates.txt": ("ok", 4),
    "cli_list-templates_json.txt": ("cli-json", 2),
    "cli_list-templates_multiline.txt": ("ok", 2),
    "cli_unknown-command.txt": (INV, "Command no-such-command.pl was not found"),
    "http_auth_bad-password.json": (ErrorCode.REMOTE_AUTH, "Webmin refused the credentials (HTTP 401)"),
    "http_auth_none.json": (ErrorCode.REMOTE_AUTH, "Webmin refused the credentials (HTTP 401)"),
    "http_auth_unknown-user.json": (ErrorCode.REMOTE_AUTH, "Webmin refused the credentials (HTTP 401)"),
    "http_create-domain.json": ("ok", 0),
    "http_create-domain_exists.json": (CF, "You are already hosting this domain"),
    "http_create-domain_exists_text.json": (CF, "You are already hosting this domain"),
    "http_create-domain_feature-disabled.json": (
        INV,
        "The --web option cannot be used unless the feature is enabled in the module configuration",
    ),
    "http_create-domain_missing-domain.json": (INV, "Missing domain name"),
    "http_create-domain_missing-domain_text.json": (INV, "Missing domain name"),
    "http_create-domain_missing-pass.json": (INV, "Missing password"),
    "http_create-domain_missing-pass_text.json": (INV, "Missing password"),
    "http_create-domain_text.json": ("ok", 0),
    "http_delete-domain.json": ("ok", 0),
    "http_delete-domain_already-deleted.json": (NF, "Virtual server example.test does not exist"),
    "http_delete-domain_not-found.json": (NF, "Virtual server missing.test does not exist"),
    "http_delete-domain_not-found_text.json": (NF, "Virtual server missing.test does not exist"),
    "http_delete-domain_text.json": ("ok", 0),
    "http_disable-domain.json": ("ok", 0),
    "http_disable-domain_already-disabled.json": (CF, "Virtual server example.test is already disabled"),
    "http_disable-domain_not-found.json": (NF, "Virtual server missing.test does not exist"),
    "http_disable-domain_not-found_text.json": (NF, "Virtual server missing.test does not exist"),
    "http_disable-domain_text.json": ("ok", 0),
    "http_enable-domain.json": ("ok", 0),
    "http_enable-domain_already-enabled.json": (CF, "Virtual server example.test is not disabled"),
    "http_enable-domain_already-enabled_text.json": (CF, "Virtual server example.test is not disabled"),
    "http_enable-domain_not-found.json": (NF, "Virtual server missing.test does not exist"),
    "http_enable-domain_text.json": ("ok", 0),
    "http_info.json": ("ok", 0),
    "http_info_multiline.json": ("ok", 0),
    "http_info_one-domain.json": ("ok", 0),
    "http_info_text.json": ("ok", 0),
    "http_invalid-program-name.json": (INV, "Invalid remote program name"),
    "http_list-domains.json": ("ok", 3),
    "http_list-domains_disabled_text.json": ("ok", 3),
    "http_list-domains_domain-not-found.json": (NF, "Virtual server missing.test does not exist"),
    "http_list-domains_domain.json": ("ok", 1),
    "http_list-domains_empty_text.json": ("ok", 2),
    "http_list-domains_id-only.json": ("ok", 1),
    "http_list-domains_multiline.json": ("ok", 1),
    "http_list-domains_multiline_disabled.json": ("ok", 1),
    "http_list-domains_multiline_empty.json": ("ok", 0),
    "http_list-domains_multiline_empty_text.json": ("ok", 0),
    "http_list-domains_multiline_post.json": ("ok", 1),
    "http_list-domains_multiline_text.json": ("ok", 1),
    "http_list-domains_multiline_two.json": ("ok", 2),
    # we only ever ask for JSON: XML (with or without XML::Simple) is "not the expected shape"
    "http_list-domains_multiline_xml.json": (ErrorCode.REMOTE_PROTOCOL, None),
    "http_list-domains_multiline_xml_no-xml-simple.json": (ErrorCode.REMOTE_PROTOCOL, None),
    "http_list-domains_name-only.json": ("ok", 1),
    "http_list-domains_name-only_text.json": ("ok", 1),
    "http_list-domains_one-disabled_text.json": ("ok", 4),
    "http_list-domains_simple-multiline.json": ("ok", 0),
    "http_list-domains_simple-multiline_empty.json": ("ok", 0),
    "http_list-domains_text.json": ("ok", 3),
    "http_list-domains_two_text.json": ("ok", 4),
    "http_list-domains_unknown-flag.json": (INV, "Unknown parameter --bogus-flag"),
    "http_list-domains_unknown-flag_text.json": (INV, "Unknown parameter --bogus-flag"),
    "http_list-plans.json": ("ok", 3),
    "http_list-plans_multiline.json": ("ok", 1),
    "http_list-plans_multiline_text.json": ("ok", 1),
    "http_list-plans_text.json": ("ok", 3),
    "http_list-templates.json": ("ok", 4),
    "http_list-templates_multiline.json": ("ok", 2),
    "http_list-templates_multiline_text.json": ("ok", 2),
    "http_list-templates_text.json": ("ok", 4),
    "http_no-program.json": (ErrorCode.REMOTE_PROTOCOL, None),
    "http_unknown-program.json": (INV, "Remote program no-such-program does not exist"),
    "http_unknown-program_text.json": (INV, "Remote program no-such-program does not exist"),
    "https_info.json": ("ok", 0),
    "ssh_delete-domain_not-found.txt": (NF, "Virtual server missing.test does not exist"),
    "ssh_list-plans.txt": ("ok", 3),
    # not calls: metadata, timings and the TLS facts (checked separately below)
    "README.md": ("doc", None),
    "index.json": ("doc", None),
    "latency.json": ("doc", None),
    "https_tls.txt": ("doc", None),
}

INDEX = {entry["file"]: entry for entry in json.loads((CAPTURES / "index.json").read_text())}


def test_every_capture_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CAPTURES.iterdir()) == sorted(EXPECTED)


def _program_of_http(capture: dict[str, Any]) -> tuple[str, dict[str, str]]:
    request = capture["request"]
    query = urlsplit(request["url"]).query
    pairs = dict(parse_qsl("&".join(p for p in (request.get("body") or "", query) if p), keep_blank_values=True))
    return pairs.get("program", ""), pairs


def _interpret(name: str) -> Any:
    if name.endswith(".json"):
        capture = load_capture(name)
        program, pairs = _program_of_http(capture)
        mutating = program in MUTATIONS
        response = capture["response"]
        if "json" not in pairs and "xml" not in pairs and "\nExit status: " in response["body"]:
            stdout, exit_code = plain_mode_stdout(name)
            return interpret_exit("vm", program, exit_code, stdout, "", mutating=mutating)
        headers = {k.lower(): v for k, v in response["headers"]}
        return interpret_http("vm", program, response["status"], headers, response["body"], mutating=mutating)
    entry = INDEX[name]
    words = entry["command"].split()
    program = words[words.index("virtualmin") + 1]
    return interpret_exit(
        "vm",
        program,
        entry["exit_code"],
        capture_text(name),
        entry.get("stderr") or "",
        mutating=program in MUTATIONS,
    )


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in EXPECTED.items() if kind != "doc"))
def test_capture_outcome(name: str) -> None:
    kind, expected = EXPECTED[name]
    if kind in ("cli-json", "cli-xml"):
        # `--json`/`--xml` are CLI-only output modes the SSH transport never asks for; their
        # envelope names the script with `.pl` (docs/virtualmin-protocol.md §3)
        text = capture_text(name)
        if kind == "cli-json":
            envelope = json.loads(text)
            assert (envelope["command"], envelope["status"], len(envelope["data"])) == (
                f"{INDEX[name]['command'].split()[1]}.pl",
                "success",
                expected,
            )
        else:
            assert text.startswith('<api command="list-domains.pl" status="success">')
        return
    if kind == "ok":
        reply = _interpret(name)
        assert len(reply.records) == expected
        return
    with pytest.raises(PrahoFailure) as caught:
        _interpret(name)
    error = caught.value.error
    assert error.code is kind
    if expected is not None:
        assert error.message == f"vm: {expected}"
    if kind in (NF, CF, INV):
        assert error.retry is Retry.NOT_RETRIABLE


def test_success_replies_keep_the_program_output() -> None:
    reply = _interpret("http_create-domain.json")
    assert reply.output.endswith("All done!\n")
    assert reply.output.startswith("Beginning server creation ..")
    assert _interpret("cli_delete-domain.txt").output.rstrip().endswith(".. deleted")
    # "output" : null is a program that printed nothing (an empty server's simple-multiline listing)
    assert _interpret("http_list-domains_simple-multiline_empty.json").output == ""


def test_captured_certificate_fingerprint_matches_our_pin_computation() -> None:
    text = capture_text("https_tls.txt")
    pem = text[text.index("-----BEGIN CERTIFICATE-----") :]
    der = ssl.PEM_cert_to_DER_cert(pem)
    stated = re.search(r"SHA-256 \(hex\)\s+([0-9a-f]{64})", text)
    assert stated is not None
    assert hashlib.sha256(der).hexdigest() == stated.group(1)
    from praho_cli.virtualmin.connection import normalise_fingerprint

    colon_form = re.search(r"SHA-256\s+((?:[0-9A-F]{2}:){31}[0-9A-F]{2})", text)
    assert colon_form is not None
    assert normalise_fingerprint(colon_form.group(1)) == stated.group(1)


def test_latency_file_lists_the_calls_the_readme_reports() -> None:
    timings = json.loads(capture_text("latency.json"))
    assert timings["http list-domains json multiline (0 domains)"]["mean_s"] == pytest.approx(0.1747)
