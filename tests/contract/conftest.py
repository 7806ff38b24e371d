"""The contract tier fixture: which real Virtualmin to use (vm_contract_env.py lists the variables)."""

from __future__ import annotations

import pytest
from vm_contract_env import http_connection, ssh_connection

from praho_cli.virtualmin.connection import ServerConnection


@pytest.fixture(params=["http", "ssh"])
def contract_connection(request: pytest.FixtureRequest) -> ServerConnection:
    conn = http_connection() if request.param == "http" else ssh_connection()
    if conn is None:
        variable = "PRAHO_VIRTUALMIN_URL" if request.param == "http" else "PRAHO_VIRTUALMIN_SSH"
        pytest.skip(f"contract tier: set {variable} to run against a real Virtualmin")
    return conn
