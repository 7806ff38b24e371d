"""FakeTransport's own guarantees, the error map, connection reprs, and wire encoding."""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from praho_cli.result import ErrorCode, PrahoFailure, Retry
from praho_cli.virtualmin.connection import FixedSecret, ServerConnection, normalise_fingerprint
from praho_cli.virtualmin.errors import classify, failure_message, unavailable
from praho_cli.virtualmin.transport import check_params
from tests.unit.virtualmin.fake import FakeTransport, capture_params

from .conftest import CAPTURES

# ---------------------------------------------------------------- FakeTransport


def test_fake_fails_when_an_expected_call_never_happened(captures_dir: Path) -> None:
    fake = FakeTransport("vm", captures_dir=captures_dir)
    fake.expect("list-plans", capture="http_list-plans_multiline.json")
    with pytest.raises(AssertionError, match="expected calls never made: list-plans any params"):
        fake.assert_all_used()


def test_fake_fails_on_an_unexpected_call() -> None:
    fake = FakeTransport("vm")
    with pytest.raises(AssertionError, match="unexpected call list-domains : no more expectations"):
        fake.call("list-domains", [], mutating=False)
    # and the problem is remembered even if the caller swallowed the AssertionError
    with pytest.raises(AssertionError, match="no more expectations"):
        fake.assert_all_used()


def test_fake_fails_on_wrong_params_and_wrong_mutating_flag() -> None:
    fake = FakeTransport("vm").expect("delete-domain", [("domain", "a.test")], mutating=True, output="")
    with pytest.raises(AssertionError, match=r"expected delete-domain --domain 'a\.test'"):
        fake.call("delete-domain", [("domain", "b.test")], mutating=True)
    fake2 = FakeTransport("vm").expect("delete-domain", [("domain", "a.test")], mutating=True, output="")
    with pytest.raises(AssertionError, match="mutating=False, expected True"):
        fake2.call("delete-domain", [("domain", "a.test")], mutating=False)


def test_fake_context_manager_checks_on_exit() -> None:
    with pytest.raises(AssertionError, match="never made"), FakeTransport("vm") as fake:
        fake.expect("info", output="host: \n    os: X\n")


def test_fake_order_is_enforced() -> None:
    fake = FakeTransport("vm").expect("list-plans", output="").expect("list-templates", output="")
    with pytest.raises(AssertionError, match="expected list-plans"):
        fake.call("list-templates", [], mutating=False)


def test_fake_rejects_ambiguous_or_missing_answers(captures_dir: Path) -> None:
    fake = FakeTransport("vm", captures_dir=captures_dir)
    with pytest.raises(ValueError, match="exactly one"):
        fake.expect("info")
    with pytest.raises(ValueError, match="no capture file"):
        fake.expect("info", capture="http_nope.json")
    with pytest.raises(ValueError, match="no captures_dir"):
        FakeTransport("vm").expect("info", capture="http_info.json")


def test_fake_scripted_failure_is_raised() -> None:
    boom = PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, "vm: down")
    fake = FakeTransport("vm").expect("info", failure=boom)
    with pytest.raises(PrahoFailure) as caught:
        fake.call("info", [], mutating=False)
    assert caught.value is boom
    fake.assert_all_used()


def test_capture_params_reads_the_captured_request() -> None:
    assert capture_params(CAPTURES / "http_disable-domain.json") == [
        ("domain", "example.test"),
        ("why", "captured test"),
    ]
    assert capture_params(CAPTURES / "http_create-domain.json") == [
        ("domain", "example.test"),
        ("pass", "Xy9-test-Pass"),
        ("desc", "Example test server"),
        ("unix", None),
        ("dir", None),
    ]


# ---------------------------------------------------------------- error map


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Virtual server a.test does not exist", ErrorCode.NOT_FOUND),
        ("Virtual server a.test does not exist.", ErrorCode.NOT_FOUND),
        ("No virtual server with ID 12 exists", ErrorCode.NOT_FOUND),
        ("Unknown plan name", ErrorCode.NOT_FOUND),
        ("You are already hosting this domain", ErrorCode.CONFLICT),
        ("Virtual server a.test is already disabled", ErrorCode.CONFLICT),
        ("Virtual server a.test is not disabled", ErrorCode.CONFLICT),
        ("A unix user named ex already exists - try selecting a different administration username", ErrorCode.CONFLICT),
        ("Missing password", ErrorCode.INVALID),
        ("No domain specified", ErrorCode.INVALID),
        ("Unknown parameter --bogus-flag", ErrorCode.INVALID),
        ("Remote program x does not exist", ErrorCode.INVALID),
        ("Invalid remote program name", ErrorCode.INVALID),
        ("Command x.pl was not found", ErrorCode.INVALID),
        ("You are not allowed to run remote commands", ErrorCode.REMOTE_AUTH),
        ("/usr/sbin/virtualmin must be run as root", ErrorCode.REMOTE_AUTH),
        ("sudo: a password is required", ErrorCode.REMOTE_AUTH),
        ("Failed to lock file /etc/passwd after 5 minutes. Last error was : Locked by PID 1", ErrorCode.REMOTE_FAILED),
    ],
)
def test_error_texts_map_to_codes(text: str, code: ErrorCode) -> None:
    assert classify(text + "\n\nusage text\n") is code


def test_mid_run_failure_reports_the_last_meaningful_line() -> None:
    text = (
        "Beginning server creation ..\n\nCreating administration group ex ..\n.. done\n\n"
        "Adding new virtual website ..\nApache config test failed: syntax error\n"
    )
    assert failure_message(text) == "Apache config test failed: syntax error"
    assert classify(text) is ErrorCode.REMOTE_FAILED
    assert failure_message("Missing password\n\nAdds a new ...\n") == "Missing password"
    assert failure_message("") == ""


# ---------------------------------------------------------------- connection


def test_connection_repr_never_shows_secrets() -> None:
    conn = ServerConnection(
        "vm1",
        "http",
        url="https://vm1.example:10000",
        username="api",
        password=FixedSecret("Sup3r-Secret"),
        key_passphrase=FixedSecret("Phr4se"),
    )
    for text in (repr(conn), str(conn), repr(conn.password)):
        assert "Sup3r-Secret" not in text and "Phr4se" not in text
    assert "password='********'" in repr(conn)
    assert conn.remote_cgi_url == "https://vm1.example:10000/virtual-server/remote.cgi"
    assert conn.password is not None and conn.password() == "Sup3r-Secret"


def test_connection_validation_and_sudo_rule() -> None:
    with pytest.raises(PrahoFailure) as caught:
        ServerConnection("x", "http")
    assert caught.value.error.code is ErrorCode.CONFIG
    with pytest.raises(PrahoFailure):
        ServerConnection("x", "http", url="vm1:10000")
    with pytest.raises(PrahoFailure):
        ServerConnection("x", "ssh")
    assert ServerConnection("x", "ssh", ssh_host="h", ssh_user="root").sudo is False
    assert ServerConnection("x", "ssh", ssh_host="h", ssh_user="deploy").sudo is True
    assert ServerConnection("x", "ssh", ssh_host="h", ssh_user="deploy", use_sudo=False).sudo is False
    full = ServerConnection("x", "http", url="https://h:10000/virtual-server/remote.cgi")
    assert full.remote_cgi_url == "https://h:10000/virtual-server/remote.cgi"


def test_fingerprint_forms() -> None:
    hexform = "0490b705def2a0b171dd9a5f8cdd7bcc4bc38147e4310dc53aac55bee843d949"
    assert (
        normalise_fingerprint(
            "04:90:B7:05:DE:F2:A0:B1:71:DD:9A:5F:8C:DD:7B:CC:4B:C3:81:47:E4:31:0D:C5:3A:AC:55:BE:E8:43:D9:49"
        )
        == hexform
    )
    assert normalise_fingerprint("SHA256:" + hexform.upper()) == hexform
    with pytest.raises(PrahoFailure) as caught:
        normalise_fingerprint("abc")
    assert caught.value.error.code is ErrorCode.CONFIG


# ---------------------------------------------------------------- wire encoding


PAYLOADS = ["a;b", "$(touch /tmp/x)", "`id`", 'it\'s "q"', "sp ace", "line1\nline2", "&+%=#"]


def test_ssh_command_quotes_every_word() -> None:
    from praho_cli.virtualmin.ssh import build_command

    conn = ServerConnection("vm", "ssh", ssh_host="h", ssh_user="deploy", virtualmin_path="/usr/sbin/virtualmin")
    params = [("domain", p) for p in PAYLOADS] + [("unix", None)]
    command = build_command(conn, "create-domain", params)
    words = shlex.split(command)
    expected = ["sudo", "-n", "/usr/sbin/virtualmin", "create-domain"]
    for p in PAYLOADS:
        expected += ["--domain", p]
    assert words == [*expected, "--unix"]
    listing = shlex.split(build_command(ServerConnection("vm", "ssh", ssh_host="h"), "list-domains", []))
    assert listing == ["virtualmin", "list-domains", "--multiline"]


def test_http_body_is_form_encoded_in_order() -> None:
    from praho_cli.virtualmin.http import HttpTransport

    body = HttpTransport.encode("create-domain", [("domain", "a.test"), ("pass", "&+%=# x"), ("unix", None)])
    assert parse_qsl(body.decode(), keep_blank_values=True) == [
        ("program", "create-domain"),
        ("domain", "a.test"),
        ("pass", "&+%=# x"),
        ("unix", ""),
        ("json", "1"),
        ("multiline", ""),
    ]
    assert b"pass=%26%2B%25%3D%23%20x" in body


def test_http_body_asking_for_simple_multiline_text_has_no_multiline() -> None:
    # simple-multiline= alone makes remote.cgi return the text in `output` (docs/virtualmin-protocol.md §1.5,
    # http_list-domains_simple-multiline.json); multiline= as well would bring back parsed records
    from praho_cli.virtualmin.http import HttpTransport

    body = HttpTransport.encode("list-domains", [("domain", "a.test"), ("simple-multiline", None)]).decode()
    assert body == "program=list-domains&domain=a.test&simple-multiline=&json=1"
    assert "multiline=" not in body.replace("simple-multiline=", "")
    assert HttpTransport.encode("list-domains", []).decode() == "program=list-domains&json=1&multiline="


def test_ssh_command_asking_for_simple_multiline_text_has_no_multiline() -> None:
    from praho_cli.virtualmin.ssh import build_command

    conn = ServerConnection("vm", "ssh", ssh_host="h")
    words = shlex.split(build_command(conn, "list-domains", [("simple-multiline", None)]))
    assert words == ["virtualmin", "list-domains", "--simple-multiline"]
    words = shlex.split(build_command(conn, "list-domains", [("domain", "a.test"), ("simple-multiline", None)]))
    assert words == ["virtualmin", "list-domains", "--domain", "a.test", "--simple-multiline"]


def test_exit_result_asked_for_text_is_not_parsed_into_records(captures_dir: Path) -> None:
    from praho_cli.virtualmin.envelope import interpret_exit

    text = (captures_dir / "cli_list-domains_simple-multiline.txt").read_text(encoding="utf-8")
    as_text = interpret_exit("vm", "list-domains", 0, text, "", mutating=False, records=False)
    assert (as_text.output, as_text.records) == (text, ())
    assert len(interpret_exit("vm", "list-domains", 0, text, "", mutating=False).records) == 1
    with pytest.raises(PrahoFailure) as caught:
        interpret_exit("vm", "list-domains", 1, "Unknown parameter --bogus-flag\n\nusage", "", mutating=False,
                       records=False)
    assert caught.value.error.code is ErrorCode.INVALID


def test_transport_text_option_is_the_simple_multiline_flag() -> None:
    from praho_cli.virtualmin.transport import TEXT_FLAG, wants_text

    assert TEXT_FLAG == "simple-multiline"
    assert wants_text([("domain", "a.test"), ("simple-multiline", None)])
    assert not wants_text([("domain", "a.test")]) and not wants_text([("multiline", None)])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("desc", "")], "needs a value"),
        ([("pass", "a\0b")], "NUL"),
        ([("--domain", "x")], "invalid flag name"),
        ([("a b", "x")], "invalid flag name"),
    ],
)
def test_params_virtualmin_would_misread_are_refused(params: list, message: str) -> None:
    with pytest.raises(PrahoFailure) as caught:
        check_params("vm", "create-domain", params)
    assert caught.value.error.code is ErrorCode.INVALID
    assert message in caught.value.error.message


def test_http_refuses_newlines_that_remote_cgi_would_split() -> None:
    from praho_cli.virtualmin.http import HttpTransport

    transport = HttpTransport(ServerConnection("vm", "http", url="http://127.0.0.1:9"))
    with pytest.raises(PrahoFailure) as caught:
        transport.call("create-domain", [("pass", "one\ntwo")], mutating=True)
    assert caught.value.error.code is ErrorCode.INVALID
    assert "one" not in caught.value.error.message


def test_unavailable_after_sending_retries_reads_and_leaves_mutations_unknown():
    details = {"server": "vm1", "program": "create-domain"}
    read = unavailable("vm1: no reply to list-domains within 5s", details, mutating=False, unanswered=True).error
    assert (read.code, read.retry, read.message) == (
        ErrorCode.REMOTE_UNAVAILABLE, Retry.RETRIABLE, "vm1: no reply to list-domains within 5s")
    sent = unavailable("vm1: no reply to create-domain within 5s", details, mutating=True, unanswered=True).error
    assert (sent.code, sent.retry, sent.details) == (ErrorCode.REMOTE_UNAVAILABLE, Retry.UNKNOWN, details)
    assert sent.message == ("vm1: no reply to create-domain within 5s; it may still complete, re-read the state "
                            "before retrying")
    lost = unavailable("vm1: connection lost during create-domain", details, mutating=True).error
    assert (lost.retry, lost.message) == (Retry.UNKNOWN, "vm1: connection lost during create-domain")
