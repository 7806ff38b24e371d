"""Fidelity: the one record parser yields the same records from HTTP JSON and from CLI text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from praho_cli.virtualmin.records import (
    DomainRecord,
    PlanRecord,
    RawRecord,
    ServerInfo,
    TemplateRecord,
    normalise_key,
    parse_info_tree,
    parse_multiline,
    records_from_json,
)

from .conftest import capture_data, capture_output, capture_text, plain_mode_stdout

# (HTTP JSON capture with `data`, CLI stdout of the same call in the same server state)
TWINS = [
    ("http_list-domains_multiline.json", "cli_list-domains_multiline.txt"),
    ("http_list-domains_multiline_post.json", "cli_list-domains_multiline.txt"),
    ("http_list-domains_multiline_disabled.json", "cli_list-domains_multiline_disabled.txt"),
    ("http_list-domains_domain.json", "cli_list-domains_domain_multiline.txt"),
    ("http_list-domains_multiline_empty.json", "cli_list-domains_multiline_empty.txt"),
    ("http_list-plans_multiline.json", "cli_list-plans_multiline.txt"),
    ("http_list-templates_multiline.json", "cli_list-templates_multiline.txt"),
    # without multiline= remote.cgi still parses the table: one field-less record per line
    ("http_list-domains.json", "cli_list-domains.txt"),
    ("http_list-plans.json", "cli_list-plans.txt"),
    ("http_list-plans.json", "ssh_list-plans.txt"),
    ("http_list-templates.json", "cli_list-templates.txt"),
    ("http_list-domains_name-only.json", "cli_list-domains_name-only.txt"),
    ("http_list-domains_id-only.json", "cli_list-domains_id-only.txt"),
]


@pytest.mark.parametrize(("http_name", "cli_name"), TWINS)
def test_http_json_and_cli_text_give_identical_records(http_name: str, cli_name: str) -> None:
    from_http = records_from_json(capture_data(http_name))
    from_cli = parse_multiline(capture_text(cli_name))
    assert from_cli == from_http


# plain-mode HTTP bodies are the program's stdout plus "Exit status: N"
PLAIN_TWINS = [
    ("http_list-domains_multiline.json", "http_list-domains_multiline_text.json"),
    ("http_list-domains_multiline_empty.json", "http_list-domains_multiline_empty_text.json"),
    ("http_list-plans_multiline.json", "http_list-plans_multiline_text.json"),
    ("http_list-templates_multiline.json", "http_list-templates_multiline_text.json"),
    ("http_list-domains.json", "http_list-domains_text.json"),
    ("http_list-domains_name-only.json", "http_list-domains_name-only_text.json"),
    ("http_list-plans.json", "http_list-plans_text.json"),
    ("http_list-templates.json", "http_list-templates_text.json"),
]


@pytest.mark.parametrize(("json_name", "text_name"), PLAIN_TWINS)
def test_http_json_and_plain_mode_text_give_identical_records(json_name: str, text_name: str) -> None:
    stdout, exit_code = plain_mode_stdout(text_name)
    assert exit_code == 0
    assert parse_multiline(stdout) == records_from_json(capture_data(json_name))


@pytest.mark.parametrize(
    ("cli_json", "cli_text"),
    [
        ("cli_list-domains_json.txt", "cli_list-domains_multiline.txt"),
        ("cli_list-plans_json.txt", "cli_list-plans_multiline.txt"),
        ("cli_list-templates_json.txt", "cli_list-templates_multiline.txt"),
        ("cli_list-domains_json_empty.txt", "cli_list-domains_multiline_empty.txt"),
        ("cli_list-domains_name-only_json.txt", "cli_list-domains_name-only.txt"),
    ],
)
def test_cli_json_data_matches_cli_text(cli_json: str, cli_text: str) -> None:
    data = json.loads(capture_text(cli_json))["data"]
    assert records_from_json(data) == parse_multiline(capture_text(cli_text))


def test_simple_multiline_output_text_parses_like_cli_simple_multiline() -> None:
    # simple-multiline=&json=1 returns text in `output`, not data (http_list-domains_simple-multiline.json)
    from_http = parse_multiline(capture_output("http_list-domains_simple-multiline.json"))
    from_cli = parse_multiline(capture_text("cli_list-domains_simple-multiline.txt"))
    assert from_http == from_cli
    assert [r.name for r in from_http] == ["example.test"]
    assert "ssl_candidate_hostnames" not in from_http[0].values  # a [full]-only field


def test_parser_rules_on_keys_values_and_repeats() -> None:
    text = (
        "top key: top value\n"
        "example.com\n"
        "    Maximum Mongrel instances: Unlimited\n"
        "    Read-only mode: No\n"
        "    Plugins: \n"
        "    SSL cert used by: web\n"
        "    SSL cert used by: mail\n"
        "    indented line without a colon\n"
        "\n"
        "second.com\n"
        "    Description: a: b\n"
    )
    assert parse_multiline(text) == [
        RawRecord("top key", {"value": ("top value",)}),
        RawRecord(
            "example.com",
            {
                "maximum_mongrel_instances": ("Unlimited",),
                "read-only_mode": ("No",),
                "plugins": ("",),
                "ssl_cert_used_by": ("web", "mail"),
            },
        ),
        RawRecord("second.com", {"description": ("a: b",)}),
    ]
    assert normalise_key("Maximum sub-servers") == "maximum_sub-servers"


def test_records_from_json_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="not a list"):
        records_from_json({"name": "x"})
    with pytest.raises(ValueError, match="no string 'name'"):
        records_from_json([{"values": {}}])
    with pytest.raises(ValueError, match="not a list of strings"):
        records_from_json([{"name": "a", "values": {"id": "1"}}])


def test_domain_record_from_capture() -> None:
    [raw] = records_from_json(capture_data("http_list-domains_multiline.json"))
    domain = DomainRecord.from_raw(raw)
    assert domain.domain == "example.test"
    assert domain.id == "179566637311998"
    assert domain.type == "Top-level server"
    assert domain.username == "example"
    assert (domain.plan, domain.plan_id) == ("Default Plan", "0")
    assert (domain.template, domain.template_id) == ("Default Settings", "0")
    assert domain.description == "Example test server"
    assert domain.home == "/home/example"
    assert domain.parent is None
    assert (domain.ip, domain.ipv6) == ("192.0.2.2", "fd00::2")
    assert domain.contact_email == "example@vm"
    assert domain.created_on == "11/26/2026 04:12 AM"
    assert domain.created_at == datetime(2026, 11, 26, 4, 12, 53, tzinfo=UTC)
    assert domain.features == ("unix", "dir")
    assert domain.plugins == ()
    assert domain.disabled is False
    assert domain.disabled_reason is None and domain.disabled_at is None
    # the capture server has quotas and bandwidth monitoring off: not reported, not zero
    assert domain.server_quota_blocks is None
    assert domain.bandwidth_limit_bytes is None
    assert domain.values["shell_type"] == ("ssh",)


def test_disabled_domain_reason_and_time() -> None:
    [raw] = records_from_json(capture_data("http_list-domains_multiline_disabled.json"))
    domain = DomainRecord.from_raw(raw)
    assert domain.disabled is True
    assert domain.disabled_reason == "captured test"
    assert domain.disabled_at == "11/26/2026 04:13 AM"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Manually", None),
        ("Manually (Unpaid invoice 7)", "Unpaid invoice 7"),
        ("For exceeding bandwidth limit", "For exceeding bandwidth limit"),
    ],
)
def test_disabled_reason_forms(value: str, reason: str | None) -> None:
    domain = DomainRecord.from_raw(RawRecord("a.test", {"id": ("1",), "disabled": (value,)}))
    assert domain.disabled is True
    assert domain.disabled_reason == reason


def test_quota_and_bandwidth_fields_when_reported() -> None:
    raw = RawRecord(
        "q.test",
        {
            "id": ("2",),
            "server_block_quota": ("1048576",),
            "server_byte_quota_used": ("13107200",),
            "bandwidth_byte_limit": ("Unlimited",),
            "bandwidth_byte_usage": ("5",),
        },
    )
    domain = DomainRecord.from_raw(raw)
    assert domain.server_quota_blocks == 1048576
    assert domain.server_quota_used_bytes == 13107200
    assert domain.bandwidth_limit_bytes == "unlimited"
    assert domain.bandwidth_used_bytes == 5


def test_secrets_are_dropped_from_domain_values_and_repr() -> None:
    [raw] = records_from_json(capture_data("http_list-domains_multiline.json"))
    assert "hashed_password" in raw.values
    plain = RawRecord("p.test", {**raw.values, "password": ("Pl4in-secret",)})
    domain = DomainRecord.from_raw(plain)
    assert "hashed_password" not in domain.values
    assert "password" not in domain.values
    assert "Pl4in-secret" not in repr(domain)
    assert "$y$j9T$" not in repr(domain)


def test_two_domains_in_listing_order() -> None:
    raws = records_from_json(capture_data("http_list-domains_multiline_two.json"))
    domains = [DomainRecord.from_raw(r) for r in raws]
    assert [d.domain for d in domains] == ["example.test", "example2.test"]
    assert [d.username for d in domains] == ["example", "example2"]


def test_plan_record_from_capture() -> None:
    [raw] = records_from_json(capture_data("http_list-plans_multiline.json"))
    plan = PlanRecord.from_raw(raw)
    assert plan.id == "0"
    assert plan.name == "Default Plan"
    assert plan.server_quota_blocks == 2097152
    assert plan.admin_quota_blocks == 2097152
    assert plan.max_domains == 0
    assert plan.max_mailboxes == "unlimited"
    assert plan.max_databases == "unlimited"
    assert plan.max_bandwidth_bytes == "unlimited"
    assert plan.allowed_features is None  # "Automatic"


def test_template_records_from_capture() -> None:
    raws = records_from_json(capture_data("http_list-templates_multiline.json"))
    templates = [TemplateRecord.from_raw(r) for r in raws]
    assert [(t.id, t.name) for t in templates] == [("0", "Default Settings"), ("1", "Settings For Sub-Servers")]
    assert templates[0].values["custom_web"] == ("Custom",)


def test_server_info_over_http_and_cli_agree() -> None:
    over_http = ServerInfo.from_text(capture_output("http_info_one-domain.json"))
    over_cli = ServerInfo.from_text(capture_text("cli_info.txt"))
    assert over_http.virtualmin_version == over_cli.virtualmin_version == "8.1.0"
    assert over_http.webmin_version == "2.660"
    assert over_http.virtualmin_edition == "GPL"
    assert over_http.hostname == "vm"
    assert over_http.os == "Debian Linux 12"
    assert over_http.kernel == "Linux 6.18.44-fc-v669 x86_64"
    assert over_http.domain_count == over_cli.domain_count == 1


def test_server_info_fields_from_http_info() -> None:
    info = ServerInfo.from_text(capture_output("http_info.json"))
    assert (info.load_1m, info.load_5m, info.load_15m) == (0.76, 0.58, 0.28)
    assert (info.memory_total_kib, info.memory_free_kib) == (24684084, 24032624)
    assert (info.swap_total_kib, info.swap_free_kib) == (0, 0)
    assert info.domain_count == 1
    assert info.process_count == 82
    # the chroot reports no local filesystem: disk is "not reported", not 0 bytes
    assert (info.disk_total_bytes, info.disk_free_bytes, info.disk_used_bytes) == (None, None, None)
    assert info.raw["ips"] == [["192.0.2.2", "def", "", "1", "example.test"]]
    assert info.raw["progs"] == [["Perl version", "5.036000"], ["Path to Perl", "/usr/bin/perl"]]


def test_server_info_disk_over_https() -> None:
    info = ServerInfo.from_text(capture_output("https_info.json"))
    assert info.disk_total_bytes == 270553174016
    assert info.disk_free_bytes == 83461480448
    assert info.disk_used_bytes == 25482813440
    assert info.domain_count == 0
    assert info.raw["disk_fs"][0]["device"] == "/dev/vda"


def test_info_tree_shapes() -> None:
    tree = parse_info_tree(
        "a: 1\nempty: \nnested: \n    k v: x: y\n    list: \n        * 1\n        * \nitems: \n"
        "    * \n        name: n1\n    * plain\n"
    )
    assert tree == {
        "a": "1",
        "empty": "",
        "nested": {"k v": "x: y", "list": ["1", ""]},
        "items": [{"name": "n1"}, "plain"],
    }
    assert parse_info_tree("") == {}
    # `virtualmin info --json` prints nothing (cli_info_json.txt)
    assert parse_info_tree(capture_text("cli_info_json.txt")) == {}
