"""Every table, imported here so that ``SQLModel.metadata`` is complete for migrations and checks."""

from praho_cli.ledger.models import base as base
from praho_cli.ledger.models import billing as billing
from praho_cli.ledger.models import cron as cron
from praho_cli.ledger.models import drift as drift
from praho_cli.ledger.models import hosting as hosting
from praho_cli.ledger.models import refunds as refunds
from praho_cli.ledger.models.core import AuditEvent, AuditHead, IdempotencyRecord, RunLock
from praho_cli.ledger.models.customers import Customer

__all__ = ["AuditEvent", "AuditHead", "Customer", "IdempotencyRecord", "RunLock"]
