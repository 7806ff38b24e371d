"""The client's lifecycle scenario, shared by the contract tier (a real Virtualmin) and the
integration tests (the simulator over HTTP and over SSH). It must pass unchanged on both."""

from __future__ import annotations

import contextlib
import secrets

import pytest

from praho_cli.result import ErrorCode, PrahoFailure, Retry
from praho_cli.virtualmin.client import VirtualminClient


def fresh_domain(prefix: str = "praho-ct") -> str:
    return f"{prefix}-{secrets.token_hex(4)}.test"


def expect_failure(code: ErrorCode, call: object, *args: object, **kwargs: object) -> PrahoFailure:
    assert callable(call)
    with pytest.raises(PrahoFailure) as caught:
        call(*args, **kwargs)
    assert caught.value.error.code is code, caught.value.error
    return caught.value


def run_lifecycle(client: VirtualminClient, *, features: list[str], domain: str | None = None) -> None:
    domain = domain or fresh_domain()
    password = "Ct-" + secrets.token_urlsafe(12)
    new_password = "Ct2-" + secrets.token_urlsafe(12)
    assert client.get_domain(domain) is None, f"{domain} exists before the test"
    try:
        # create, and the duplicate is a conflict that is not retriable
        output = client.create_domain(domain, password=password, description="praho contract test", features=features)
        assert "All done" in output
        duplicate = expect_failure(
            ErrorCode.CONFLICT, client.create_domain, domain, password=password, features=features
        )
        assert duplicate.error.retry is Retry.NOT_RETRIABLE
        assert password not in duplicate.error.message

        # list: all, and one
        assert domain in [d.domain for d in client.list_domains()]
        [record] = client.list_domains(domain)
        assert record.domain == domain
        assert record.description == "praho contract test"
        assert record.id.isdigit()
        assert record.type == "Top-level server"
        assert record.disabled is False
        assert set(features) <= set(record.features)
        assert "hashed_password" not in record.values and "password" not in record.values

        # the lean read drift uses (list-domains --simple-multiline) says the same
        states = {s.domain: s for s in client.list_domain_states()}
        assert domain in states
        [state] = client.list_domain_states(domain)
        assert state == states[domain]
        assert (state.id, state.username, state.plan, state.plan_id, state.disabled, state.top_level) == (
            record.id, record.username, record.plan, record.plan_id, False, True)

        # disable with a reason; twice is a conflict
        client.disable_domain(domain, reason="praho contract")
        disabled = client.get_domain(domain)
        assert disabled is not None
        assert (disabled.disabled, disabled.disabled_reason) == (True, "praho contract")
        assert disabled.disabled_at
        expect_failure(ErrorCode.CONFLICT, client.disable_domain, domain)
        assert [s.disabled for s in client.list_domain_states(domain)] == [True]

        # enable; twice is a conflict
        client.enable_domain(domain)
        enabled = client.get_domain(domain)
        assert enabled is not None and enabled.disabled is False
        expect_failure(ErrorCode.CONFLICT, client.enable_domain, domain)

        # modify: password and plan; an unknown plan is refused before modify-domain runs
        plans = client.list_plans()
        assert plans and all(p.name for p in plans)
        client.modify_domain(domain, password=new_password)
        client.modify_domain(domain, plan=plans[0].name)
        expect_failure(ErrorCode.NOT_FOUND, client.modify_domain, domain, plan="praho-no-such-plan")
        after = client.get_domain(domain)
        assert after is not None and after.plan == plans[0].name

        # delete; then everything about it is not found
        assert ".. deleted" in client.delete_domain(domain)
        assert client.get_domain(domain) is None
        expect_failure(ErrorCode.NOT_FOUND, client.delete_domain, domain)
        expect_failure(ErrorCode.NOT_FOUND, client.disable_domain, domain)
        expect_failure(ErrorCode.NOT_FOUND, client.enable_domain, domain)
        expect_failure(ErrorCode.NOT_FOUND, client.list_domains, domain)
        expect_failure(ErrorCode.NOT_FOUND, client.list_domain_states, domain)
    finally:
        with contextlib.suppress(PrahoFailure):
            client.delete_domain(domain)


def run_read_checks(client: VirtualminClient) -> None:
    templates = client.list_templates()
    assert templates and all(t.id and t.name for t in templates)
    info = client.info()
    assert info.virtualmin_version and info.webmin_version
    assert info.domain_count is not None and info.domain_count >= 0
