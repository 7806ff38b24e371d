"""How a scan reads one server: the lean list-domains read, top-level domains only, failures as
unreachable."""

from __future__ import annotations

from pathlib import Path

from praho_cli.ledger.models.hosting import Server
from praho_cli.result import ErrorCode, PrahoFailure
from praho_cli.services.drift import scan as drift
from praho_cli.services.drift.compare import compare
from praho_cli.virtualmin.client import VirtualminClient
from tests.unit.virtualmin.fake import FakeTransport

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"
SERVER = Server(id=1, name="vm1", kind="http", url="https://vm1.test:10000")

LISTING = """\
example.test
    ID: 1
    Type: Top-level server
    Plan ID: 0
    Plan: Default Plan
    Username: example
    Disabled: Manually (unpaid)
shop.example.test
    ID: 2
    Type: Sub-server
    Parent domain: example.test
    Plan ID: 0
    Plan: Default Plan
    Username: example
example.org
    ID: 3
    Type: Alias
    Parent domain: example.test
    Username: example
"""


def provider(fake: FakeTransport) -> drift.ClientProvider:
    client = VirtualminClient(fake)
    return lambda _server: client


def test_a_read_asks_for_simple_multiline_and_keeps_top_level_domains_only() -> None:
    fake = FakeTransport("vm1").expect("list-domains", [("simple-multiline", None)], mutating=False, output=LISTING)
    read = drift._read_one(provider(fake), SERVER)
    fake.assert_all_used()
    assert read.reachable and read.error is None
    assert read.domains is not None
    assert [(d.domain, d.username, d.plan, d.plan_id, d.disabled) for d in read.domains] == [
        ("example.test", "example", "Default Plan", "0", True)]
    # the states go straight into the comparison
    assert [(f.kind, f.domain) for f in compare([], [read])] == [("missing_in_ledger", "example.test")]


def test_a_read_of_the_captured_server() -> None:
    fake = FakeTransport("vm1", captures_dir=CAPTURES).expect(
        "list-domains", [("simple-multiline", None)], capture="http_list-domains_simple-multiline.json")
    read = drift._read_one(provider(fake), SERVER)
    assert read.domains is not None
    assert [(d.domain, d.username, d.disabled) for d in read.domains] == [("example.test", "example", False)]


def test_garbage_and_failures_make_the_server_unreachable_naming_it() -> None:
    garbage = FakeTransport("vm1").expect("list-domains", output="Domain   Username\n------   --------\n")
    read = drift._read_one(provider(garbage), SERVER)
    assert (read.domains, read.reachable) == (None, False)
    assert read.error is not None and read.error.startswith("vm1: list-domains ")
    down = FakeTransport("vm1").expect("list-domains", failure=PrahoFailure.of(
        ErrorCode.REMOTE_UNAVAILABLE, "vm1: cannot connect to https://vm1.test:10000/virtual-server/remote.cgi"))
    assert drift._read_one(provider(down), SERVER).error == (
        "vm1: cannot connect to https://vm1.test:10000/virtual-server/remote.cgi")
