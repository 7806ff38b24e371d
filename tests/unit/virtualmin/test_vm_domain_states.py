"""The lean list-domains read: ``--simple-multiline`` text to DomainState, checked against the captures
and against the full record parser."""

from __future__ import annotations

import pytest

from praho_cli.virtualmin.records import DomainRecord, DomainState, parse_domain_states, parse_multiline

from .conftest import capture_output, capture_text, load_capture

# list-domains text captures (CLI stdout) that hold domain records
DOMAIN_TEXTS = [
    "cli_list-domains_simple-multiline.txt",
    "cli_list-domains_multiline.txt",
    "cli_list-domains_multiline_disabled.txt",
    "cli_list-domains_domain_multiline.txt",
    "cli_list-domains_multiline_empty.txt",
]

# A sub-server and two aliases as list-domains prints them (docs/virtualmin-protocol.md §2.1: Type, Real domain and
# Parent domain), after a disabled top-level server with a reason.
FLEET_TEXT = """\
example.test
    ID: 179566637311998
    File: /etc/webmin/virtual-server/domains/179566637311998
    Type: Top-level server
    Description: Example test server
    Template ID: 0
    Template: Default Settings
    Plan ID: 0
    Plan: Default Plan
    Username: example
    Created by: root
    Disabled: Manually (Unpaid invoice 1234)
    Disabled at: 11/26/2026 04:13 AM
    Features: unix dir
shop.example.test
    ID: 179566637312001
    Type: Sub-server
    Parent domain: example.test
    Plan ID: 0
    Plan: Default Plan
    Username: example
example.org
    ID: 179566637312002
    Type: Alias
    Real domain: example.test
    Mail aliases mode: Copy
    Parent domain: example.test
    Username: example
example.net
    ID: 179566637312003
    Type: Alias with own email
    Real domain: example.test
    Username: example
"""


def test_simple_multiline_capture() -> None:
    [state] = parse_domain_states(capture_text("cli_list-domains_simple-multiline.txt"))
    assert state == DomainState(domain="example.test", id="179566637311998", type="Top-level server", parent=None,
                                username="example", plan="Default Plan", plan_id="0", disabled=False)
    assert state.top_level


def test_http_output_and_cli_text_give_the_same_states() -> None:
    # simple-multiline=&json=1 returns the text in `output` (http_list-domains_simple-multiline.json)
    body = load_capture("http_list-domains_simple-multiline.json")["response"]["body_json"]
    assert "data" not in body
    from_http = parse_domain_states(capture_output("http_list-domains_simple-multiline.json"))
    assert from_http == parse_domain_states(capture_text("cli_list-domains_simple-multiline.txt"))


def test_disabled_capture() -> None:
    [state] = parse_domain_states(capture_text("cli_list-domains_multiline_disabled.txt"))
    assert (state.domain, state.disabled, state.username, state.top_level) == ("example.test", True, "example", True)


@pytest.mark.parametrize("name", DOMAIN_TEXTS)
def test_lean_parser_agrees_with_the_full_record_parser(name: str) -> None:
    text = capture_text(name)
    full = [DomainRecord.from_raw(r) for r in parse_multiline(text)]
    lean = parse_domain_states(text)
    assert lean == [DomainState.from_raw(r) for r in parse_multiline(text)]
    assert [(s.domain, s.id, s.username, s.plan, s.plan_id, s.disabled, s.parent) for s in lean] == [
        (d.domain, d.id, d.username, d.plan, d.plan_id, d.disabled, d.parent) for d in full]


def test_sub_servers_and_aliases_are_not_top_level() -> None:
    states = parse_domain_states(FLEET_TEXT)
    assert [(s.domain, s.type, s.parent, s.top_level) for s in states] == [
        ("example.test", "Top-level server", None, True),
        ("shop.example.test", "Sub-server", "example.test", False),
        ("example.org", "Alias", "example.test", False),
        ("example.net", "Alias with own email", None, False),
    ]
    assert states[0].disabled and not any(s.disabled for s in states[1:])
    assert (states[1].plan, states[1].plan_id) == ("Default Plan", "0")
    assert (states[2].plan, states[2].plan_id) == (None, None)
    assert parse_domain_states(FLEET_TEXT) == [DomainState.from_raw(r) for r in parse_multiline(FLEET_TEXT)]


def test_empty_listing() -> None:
    assert parse_domain_states("") == []
    assert parse_domain_states(capture_text("cli_list-domains_multiline_empty.txt")) == []
    assert parse_domain_states("\n\n") == []


def test_crlf_blank_lines_tabs_and_repeated_labels() -> None:
    text = ("a.test\r\n    ID: 1\r\n\r\n\tUsername:\tann\r\n    Plan: Gold \r\n    Plan: Silver\r\n"
            "    Disabled: \r\n    Descr: no colon here\r\n    just words\r\nb.test\r\n    ID: 2\r")
    a, b = parse_domain_states(text)
    # the first of a repeated label counts; values keep trailing spaces, as remote.cgi's converter does
    assert (a.domain, a.id, a.username, a.plan, a.disabled) == ("a.test", "1", "ann", "Gold ", True)
    assert (b.domain, b.id, b.username, b.disabled) == ("b.test", "2", None, False)
    assert [parse_domain_states(text)] == [[DomainState.from_raw(r) for r in parse_multiline(text)]]


def test_top_level_pairs_before_the_first_record_are_not_domains() -> None:
    # remote.cgi's rule 1 (docs/virtualmin-protocol.md §1.5): `key: value` lines before any object are pairs
    text = "Warning: something odd\n" + capture_text("cli_list-domains_simple-multiline.txt")
    [state] = parse_domain_states(text)
    assert state.domain == "example.test"


@pytest.mark.parametrize(
    "text",
    [
        capture_text("cli_list-domains.txt"),  # the plain table: lines without fields
        capture_text("cli_list-domains_name-only.txt"),
        "<html><body>Access denied</body></html>\n",
        "example.test\n    Username: example\n",  # a record without an ID
        capture_text("cli_list-domains_simple-multiline.txt") + "Failed to get MySQL version\n",
    ],
    ids=["table", "name-only", "html", "no-id", "trailing-warning"],
)
def test_text_that_is_not_domain_records_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="has no ID line"):
        parse_domain_states(text)


def test_a_long_garbage_header_is_cut_in_the_message() -> None:
    with pytest.raises(ValueError) as caught:
        parse_domain_states("x" * 500 + "\n")
    assert len(str(caught.value)) < 160


def test_states_are_small_and_immutable() -> None:
    [state] = parse_domain_states(capture_text("cli_list-domains_simple-multiline.txt"))
    assert not hasattr(state, "__dict__")
    with pytest.raises(AttributeError):
        state.disabled = True  # type: ignore[misc]


def test_labels_that_only_begin_like_a_wanted_one_are_not_taken() -> None:
    # "Username for mysql" and "Disabled at" follow "Username" and "Disabled" in real records
    # (docs/virtualmin-protocol.md §2.1)
    text = ("a.test\n    ID: 1\n    Username for mysql: a_db\n    Plan IDs: 9\n    Username: ann\n"
            "    Disabled at: 11/26/2026 04:13 AM\n")
    [state] = parse_domain_states(text)
    assert (state.username, state.plan_id, state.disabled) == ("ann", None, False)
    assert [state] == [DomainState.from_raw(r) for r in parse_multiline(text)]
