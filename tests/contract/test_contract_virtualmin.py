"""Contract tier: the lifecycle against a real Virtualmin (see conftest.py for the variables)."""

from __future__ import annotations

import pytest
from vm_contract_env import contract_features
from vm_lifecycle import run_lifecycle, run_read_checks

from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.connection import ServerConnection
from praho_cli.virtualmin.transport import open_transport

pytestmark = pytest.mark.contract


def test_lifecycle(contract_connection: ServerConnection) -> None:
    client = VirtualminClient(open_transport(contract_connection))
    try:
        run_lifecycle(client, features=contract_features())
    finally:
        client.close()


def test_reads(contract_connection: ServerConnection) -> None:
    client = VirtualminClient(open_transport(contract_connection))
    try:
        run_read_checks(client)
    finally:
        client.close()
