"""Virtualmin: transports (HTTP remote.cgi, SSH `virtualmin`), parsers and the typed client.

Importing this package does not import httpx or paramiko; :func:`open_transport` does, on demand.
"""

from praho_cli.virtualmin.client import VirtualminClient
from praho_cli.virtualmin.connection import FixedSecret, ServerConnection
from praho_cli.virtualmin.records import DomainRecord, DomainState, PlanRecord, ServerInfo, TemplateRecord
from praho_cli.virtualmin.transport import RemoteReply, VirtualminTransport, open_transport

__all__ = [
    "DomainRecord",
    "DomainState",
    "FixedSecret",
    "PlanRecord",
    "RemoteReply",
    "ServerConnection",
    "ServerInfo",
    "TemplateRecord",
    "VirtualminClient",
    "VirtualminTransport",
    "open_transport",
]
