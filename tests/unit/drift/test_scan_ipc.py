"""What a worker process sends back for a server: a read survives the trip unchanged."""

from __future__ import annotations

from praho_cli.services import drift
from praho_cli.services.drift_compare import RemoteDomain, ServerRead
from praho_cli.virtualmin.records import parse_domain_states


def test_a_read_crosses_the_pipe_as_the_same_remote_domains() -> None:
    states = parse_domain_states("a.test\n    ID: 1\n    Plan: Gold\n    Plan ID: 7\n    Username: a\n"
                                 "    Disabled: Manually\nb.test\n    ID: 2\n")
    read = ServerRead("vm01", tuple(states))
    back = drift._from_compact(drift._compact(read))
    assert back == ServerRead("vm01", (RemoteDomain("a.test", "a", "Gold", "7", True),
                                       RemoteDomain("b.test", None, None, None, False)))
    assert all(type(d) is RemoteDomain for d in back.domains or ())


def test_an_unreachable_read_crosses_the_pipe_with_its_error() -> None:
    read = ServerRead("vm02", None, "vm02: cannot connect")
    assert drift._from_compact(drift._compact(read)) == read
