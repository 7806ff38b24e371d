"""The typed client against FakeTransport answering from the captures."""

from __future__ import annotations

from pathlib import Path

import pytest

from praho_cli.result import ErrorCode, PrahoFailure, Retry
from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.records import RawRecord
from tests.unit.virtualmin.fake import FakeTransport


@pytest.fixture
def fake(captures_dir: Path) -> FakeTransport:
    return FakeTransport("vm1", captures_dir=captures_dir)


def test_list_domains_all(fake: FakeTransport) -> None:
    fake.expect("list-domains", [], mutating=False, capture="http_list-domains_multiline_two.json")
    domains = VirtualminClient(fake).list_domains()
    assert [(d.domain, d.username, d.disabled) for d in domains] == [
        ("example.test", "example", False),
        ("example2.test", "example2", False),
    ]
    fake.assert_all_used()


def test_list_domains_one_lowercases_the_name(fake: FakeTransport) -> None:
    # list-domains --domain compares case-sensitively with stored lower-case names (docs/virtualmin-protocol.md §2)
    fake.expect("list-domains", [("domain", "example.test")], capture="http_list-domains_domain.json")
    [domain] = VirtualminClient(fake).list_domains("Example.TEST")
    assert domain.id == "179566637311998"
    fake.assert_all_used()


def test_idn_domain_is_sent_in_ascii_form(fake: FakeTransport) -> None:
    fake.expect("list-domains", [("domain", "xn--bcher-kva.test")], output="", records=[])
    assert VirtualminClient(fake).list_domains("Bücher.test") == []
    fake.assert_all_used()


def test_get_domain_returns_none_when_missing(fake: FakeTransport) -> None:
    fake.expect("list-domains", [("domain", "missing.test")], capture="http_list-domains_domain-not-found.json")
    assert VirtualminClient(fake).get_domain("missing.test") is None
    fake.assert_all_used()


def test_get_domain_found_and_disabled(fake: FakeTransport) -> None:
    fake.expect("list-domains", [("domain", "example.test")], capture="cli_list-domains_multiline_disabled.txt")
    domain = VirtualminClient(fake).get_domain("example.test")
    assert domain is not None
    assert (domain.disabled, domain.disabled_reason) == (True, "captured test")
    fake.assert_all_used()


def test_get_domain_propagates_other_failures(fake: FakeTransport) -> None:
    fake.expect("list-domains", capture="http_auth_bad-password.json")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).get_domain("example.test")
    assert caught.value.error.code is ErrorCode.REMOTE_AUTH
    assert caught.value.error.exit_code == 77


def test_table_output_without_multiline_is_a_protocol_error(fake: FakeTransport) -> None:
    fake.expect("list-domains", capture="http_list-domains.json")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).list_domains()
    assert caught.value.error.code is ErrorCode.REMOTE_PROTOCOL
    assert "record without fields" in caught.value.error.message


def test_create_domain_sends_parameters_in_order(fake: FakeTransport) -> None:
    fake.expect(
        "create-domain",
        [
            ("domain", "example.test"),
            ("pass", "Xy9-test-Pass"),
            ("user", "exuser"),
            ("desc", "Example test server"),
            ("email", "owner@example.net"),
            ("plan", "Gold"),
            ("template", "Default Settings"),
            ("unix", None),
            ("dir", None),
            ("quota", "1048576"),
            ("bandwidth", "10737418240"),
        ],
        mutating=True,
        capture="http_create-domain.json",
    )
    output = VirtualminClient(fake).create_domain(
        "example.test",
        password="Xy9-test-Pass",
        user="exuser",
        description="Example test server",
        email="owner@example.net",
        plan="Gold",
        template="Default Settings",
        features=["unix", "dir"],
        quota_blocks=1048576,
        bandwidth_bytes=10737418240,
    )
    assert output.endswith("All done!\n")
    fake.assert_all_used()


def test_create_domain_feature_defaults(fake: FakeTransport) -> None:
    fake.expect(
        "create-domain",
        [("domain", "a.test"), ("pass", "pw"), ("features-from-plan", None), ("quota", "UNLIMITED")],
        capture="cli_create-domain.txt",
    )
    fake.expect(
        "create-domain",
        [("domain", "b.test"), ("pass", "pw"), ("default-features", None)],
        capture="cli_create-domain.txt",
    )
    client = VirtualminClient(fake)
    client.create_domain("a.test", password="pw", quota_blocks="unlimited")
    client.create_domain("b.test", password="pw", features="default")
    fake.assert_all_used()


def test_create_domain_exists_is_conflict_and_hides_the_password(fake: FakeTransport) -> None:
    fake.expect("create-domain", capture="http_create-domain_exists.json")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).create_domain("example.test", password="Xy9-test-Pass", features=["unix", "dir"])
    error = caught.value.error
    assert (error.code, error.retry, error.exit_code) == (ErrorCode.CONFLICT, Retry.NOT_RETRIABLE, 5)
    assert error.message == "vm1: You are already hosting this domain"
    assert error.details == {"server": "vm1", "program": "create-domain"}


def test_failure_text_echoing_a_password_is_scrubbed() -> None:
    # a server that echoes the argument back in its error must not leak it
    from praho_cli.virtualmin.envelope import interpret_exit

    with pytest.raises(PrahoFailure) as caught:
        interpret_exit(
            "vm1", "create-domain", 1, "Unknown parameter s3cr3t-Pw\n", "", mutating=True, secrets=["s3cr3t-Pw"]
        )
    assert "s3cr3t-Pw" not in caught.value.error.message
    assert caught.value.error.message == "vm1: Unknown parameter ********"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"password": ""}, "a password is required"),
        ({"password": "pw", "features": []}, "features must be"),
        ({"password": "pw", "features": ["web; rm"]}, "is not a feature name"),
        ({"password": "pw", "quota_blocks": -1}, "quota must be"),
        ({"password": "pw", "bandwidth_bytes": True}, "bandwidth must be"),
    ],
)
def test_create_domain_refuses_bad_input_without_calling(fake: FakeTransport, kwargs: dict, message: str) -> None:
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).create_domain("a.test", **kwargs)
    assert caught.value.error.code is ErrorCode.INVALID
    assert message in caught.value.error.message
    assert fake.calls == []


def test_empty_domain_is_invalid(fake: FakeTransport) -> None:
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).delete_domain("  ")
    assert caught.value.error.code is ErrorCode.INVALID


def test_modify_domain_checks_the_plan_first(fake: FakeTransport) -> None:
    fake.expect("list-plans", [], mutating=False, capture="http_list-plans_multiline.json")
    fake.expect(
        "modify-domain",
        [
            ("domain", "example.test"),
            ("pass", "N3w-pass"),
            ("apply-plan", "Default Plan"),
            ("quota", "UNLIMITED"),
            ("bw", "NONE"),
        ],
        mutating=True,
        output="Updating virtual server example.test ..\n.. done\n\nAll done\n",
    )
    out = VirtualminClient(fake).modify_domain(
        "example.test",
        password="N3w-pass",
        plan="Default Plan",
        quota_blocks="unlimited",
        bandwidth_bytes="unlimited",
    )
    assert out.endswith("All done\n")
    fake.assert_all_used()


def test_modify_domain_unknown_plan_is_not_found_and_sends_nothing(fake: FakeTransport) -> None:
    # modify-domain would silently ignore it and report success (docs/virtualmin-protocol.md §2.6)
    fake.expect("list-plans", capture="http_list-plans_multiline.json")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).modify_domain("example.test", plan="Gold")
    assert caught.value.error.code is ErrorCode.NOT_FOUND
    assert [c.program for c in fake.calls] == ["list-plans"]
    fake.assert_all_used()


def test_modify_domain_plan_by_id_without_applying_limits(fake: FakeTransport) -> None:
    fake.expect("list-plans", capture="cli_list-plans_multiline.txt")
    fake.expect("modify-domain", [("domain", "a.test"), ("plan", "0"), ("bw", "1024")], output="All done\n")
    VirtualminClient(fake).modify_domain("a.test", plan="0", apply_plan=False, bandwidth_bytes=1024)
    fake.assert_all_used()


def test_modify_domain_without_changes_is_invalid(fake: FakeTransport) -> None:
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).modify_domain("a.test")
    assert caught.value.error.code is ErrorCode.INVALID


def test_modify_domain_missing_domain_with_full_stop_is_not_found() -> None:
    from praho_cli.virtualmin.envelope import interpret_exit

    with pytest.raises(PrahoFailure) as caught:
        interpret_exit("vm1", "modify-domain", 1, "Virtual server nope.test does not exist.\n", "", mutating=True)
    assert caught.value.error.code is ErrorCode.NOT_FOUND


def test_disable_with_reason_and_already_disabled(fake: FakeTransport) -> None:
    fake.expect(
        "disable-domain",
        [("domain", "example.test"), ("why", "captured test")],
        mutating=True,
        capture="http_disable-domain.json",
    )
    fake.expect("disable-domain", [("domain", "example.test")], capture="http_disable-domain_already-disabled.json")
    client = VirtualminClient(fake)
    assert "All done!" in client.disable_domain("example.test", reason="captured test")
    with pytest.raises(PrahoFailure) as caught:
        client.disable_domain("example.test")
    assert caught.value.error.code is ErrorCode.CONFLICT
    fake.assert_all_used()


def test_enable_and_not_disabled(fake: FakeTransport) -> None:
    fake.expect("enable-domain", [("domain", "example.test")], mutating=True, capture="cli_enable-domain.txt")
    fake.expect("enable-domain", [("domain", "example.test")], capture="cli_enable-domain_already-enabled.txt")
    client = VirtualminClient(fake)
    client.enable_domain("example.test")
    with pytest.raises(PrahoFailure) as caught:
        client.enable_domain("example.test")
    assert caught.value.error.code is ErrorCode.CONFLICT
    assert caught.value.error.details["exit_code"] == 1
    fake.assert_all_used()


def test_delete_and_not_found(fake: FakeTransport) -> None:
    fake.expect("delete-domain", [("domain", "example.test")], mutating=True, capture="http_delete-domain.json")
    fake.expect("delete-domain", [("domain", "missing.test")], capture="ssh_delete-domain_not-found.txt")
    client = VirtualminClient(fake)
    assert ".. deleted" in client.delete_domain("example.test")
    with pytest.raises(PrahoFailure) as caught:
        client.delete_domain("missing.test")
    assert (caught.value.error.code, caught.value.error.exit_code) == (ErrorCode.NOT_FOUND, 4)
    fake.assert_all_used()


def test_list_plans_and_templates(fake: FakeTransport) -> None:
    fake.expect("list-plans", [], capture="http_list-plans_multiline.json")
    fake.expect("list-templates", [], capture="cli_list-templates_multiline.txt")
    client = VirtualminClient(fake)
    assert [(p.id, p.name) for p in client.list_plans()] == [("0", "Default Plan")]
    assert [t.name for t in client.list_templates()] == ["Default Settings", "Settings For Sub-Servers"]
    fake.assert_all_used()


def test_info(fake: FakeTransport) -> None:
    fake.expect("info", [], mutating=False, capture="https_info.json")
    info = VirtualminClient(fake).info()
    assert (info.virtualmin_version, info.webmin_version, info.os) == ("8.1.0", "2.660", "Debian Linux 12")
    assert info.disk_total_bytes == 270553174016
    fake.assert_all_used()


def test_info_with_empty_output_is_protocol_error(fake: FakeTransport) -> None:
    fake.expect("info", capture="cli_info_json.txt")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).info()
    assert caught.value.error.code is ErrorCode.REMOTE_PROTOCOL


def test_unknown_program_maps_to_invalid(fake: FakeTransport) -> None:
    fake.expect("list-domains", capture="http_unknown-program.json")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).list_domains()
    assert caught.value.error.code is ErrorCode.INVALID


def test_pre_7_20_success_with_error_text_is_a_failure() -> None:
    # Virtualmin < 7.20 could answer status=success with the error in output (virtualmin-gpl#799)
    from praho_cli.virtualmin.envelope import interpret_http

    with pytest.raises(PrahoFailure) as caught:
        interpret_http(
            "vm1",
            "create-domain",
            200,
            {},
            '{"command":"create-domain","status":"success","output":"You are already hosting this domain\\n"}',
            mutating=True,
        )
    assert caught.value.error.code is ErrorCode.CONFLICT


def test_records_given_directly(fake: FakeTransport) -> None:
    fake.expect("list-domains", records=[RawRecord("x.test", {"id": ("9",)})])
    [domain] = VirtualminClient(fake).list_domains()
    assert (domain.domain, domain.id) == ("x.test", "9")


# ------------------------------------------------------------------ the lean read (drift)

SIMPLE = [("simple-multiline", None)]


@pytest.mark.parametrize("capture", ["http_list-domains_simple-multiline.json", "cli_list-domains_simple-multiline.txt"])
def test_list_domain_states_asks_for_simple_multiline_text(fake: FakeTransport, capture: str) -> None:
    fake.expect("list-domains", SIMPLE, mutating=False, capture=capture)
    [state] = VirtualminClient(fake).list_domain_states()
    assert (state.domain, state.username, state.plan, state.plan_id, state.disabled, state.top_level) == (
        "example.test", "example", "Default Plan", "0", False, True)
    fake.assert_all_used()


def test_list_domain_states_of_one_domain_and_not_found(fake: FakeTransport) -> None:
    fake.expect("list-domains", [("domain", "example.test"), *SIMPLE], capture="cli_list-domains_multiline_disabled.txt")
    fake.expect("list-domains", [("domain", "missing.test"), *SIMPLE],
                capture="http_list-domains_domain-not-found.json")
    client = VirtualminClient(fake)
    [state] = client.list_domain_states("Example.TEST")
    assert state.disabled is True
    with pytest.raises(PrahoFailure) as caught:
        client.list_domain_states("missing.test")
    assert caught.value.error.code is ErrorCode.NOT_FOUND
    fake.assert_all_used()


def test_list_domain_states_empty_server(fake: FakeTransport) -> None:
    fake.expect("list-domains", SIMPLE, capture="cli_list-domains_multiline_empty.txt")
    fake.expect("list-domains", SIMPLE, output="")
    # a real 8.1.0 server with no domains answers "output" : null
    fake.expect("list-domains", SIMPLE, capture="http_list-domains_simple-multiline_empty.json")
    client = VirtualminClient(fake)
    assert client.list_domain_states() == []
    assert client.list_domain_states() == []
    assert client.list_domain_states() == []
    fake.assert_all_used()


def test_list_domain_states_reads_parsed_records_when_the_server_sends_them(fake: FakeTransport) -> None:
    # a server (or transport) that answers with `data` anyway: the same facts from the records
    fake.expect("list-domains", SIMPLE, capture="http_list-domains_multiline_disabled.json")
    [state] = VirtualminClient(fake).list_domain_states()
    assert (state.domain, state.id, state.disabled, state.top_level) == ("example.test", "179566637311998", True, True)


@pytest.mark.parametrize("capture", ["http_list-domains.json", "cli_list-domains.txt"])
def test_list_domain_states_table_output_is_a_protocol_error_naming_the_server(fake: FakeTransport,
                                                                                capture: str) -> None:
    # the table comes back as field-less records over HTTP, as unparsed text over SSH
    fake.expect("list-domains", SIMPLE, capture=capture)
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).list_domain_states()
    assert caught.value.error.code is ErrorCode.REMOTE_PROTOCOL
    assert caught.value.error.message.startswith("vm1: list-domains ")
    assert caught.value.error.details["server"] == "vm1"
    assert caught.value.error.retry is Retry.NOT_RETRIABLE


def test_list_domain_states_garbage_body_is_a_protocol_error(fake: FakeTransport) -> None:
    from praho_cli.virtualmin.envelope import interpret_http

    garbage = interpret_http("vm1", "list-domains", 200, {}, '{"command":"list-domains","status":"success",'
                             '"output":"<html>Webmin</html>\\n"}', mutating=False)
    fake.expect("list-domains", SIMPLE, reply=garbage)
    fake.expect("list-domains", SIMPLE, capture="http_list-domains_multiline_xml_no-xml-simple.json")
    client = VirtualminClient(fake)
    for _ in range(2):
        with pytest.raises(PrahoFailure) as caught:
            client.list_domain_states()
        assert caught.value.error.code is ErrorCode.REMOTE_PROTOCOL
        assert caught.value.error.message.startswith("vm1: ")


def test_list_domain_states_auth_failure_is_not_hidden(fake: FakeTransport) -> None:
    fake.expect("list-domains", SIMPLE, capture="http_auth_bad-password.json")
    with pytest.raises(PrahoFailure) as caught:
        VirtualminClient(fake).list_domain_states()
    assert caught.value.error.code is ErrorCode.REMOTE_AUTH


@pytest.mark.parametrize("body", ["ERROR: Webmin user api is not allowed to run remote commands\n",
                                  "\n  ERROR: Webmin user api is not allowed to run remote commands"])
def test_plain_text_error_despite_json_is_a_failure_with_its_text(body: str) -> None:
    # remote.cgi answers "ERROR: …" as plain text even with json=1 (docs/virtualmin-protocol.md §1.2)
    from praho_cli.virtualmin.envelope import interpret_http

    with pytest.raises(PrahoFailure) as caught:
        interpret_http("vm1", "list-domains", 200, {}, body, mutating=False)
    assert "not allowed to run remote commands" in caught.value.error.message
    assert "ERROR:" not in caught.value.error.message
    assert caught.value.error.code is not ErrorCode.REMOTE_PROTOCOL  # not mistaken for a non-JSON answer
