"""Servers, hosting accounts and provisioning jobs.

No credentials live here: passwords and key passphrases stay in the configuration's secret sources.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class Server(SQLModel, table=True):
    __tablename__ = "servers"
    __table_args__ = (UniqueConstraint("name"), NEVER_REUSED)

    id: int | None = surrogate_id()
    name: str = Field(max_length=63)
    kind: str = Field(max_length=10)  # http | ssh
    url: str | None = Field(default=None, max_length=500)
    ssh_host: str | None = Field(default=None, max_length=255)
    ssh_port: int = Field(default=22)
    ssh_user: str | None = Field(default=None, max_length=64)
    ca_file: str | None = Field(default=None, max_length=500)
    pin_sha256: str | None = Field(default=None, max_length=64)
    known_hosts: str | None = Field(default=None, max_length=500)
    host_key_fingerprint: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=50, index=True)
    tags: str = Field(default="", max_length=500)  # comma-separated, sorted
    weight: int = Field(default=1)
    max_domains: int = Field(default=100)
    max_disk_gb: int | None = Field(default=None)
    # Reservation counter: changed only by conditional UPDATEs (current_domains < max_domains).
    current_domains: int = Field(default=0)
    # active | failed | disabled; status_auto says whether a health check set it (checks never touch a
    # status an operator chose).
    status: str = Field(default="active", max_length=20)
    status_auto: bool = Field(default=False)
    maintenance: bool = Field(default=False)
    health: str = Field(default="unknown", max_length=20)  # unknown | ok | failing
    consecutive_failures: int = Field(default=0)
    last_check_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_ok_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    virtualmin_version: str | None = Field(default=None, max_length=50)
    webmin_version: str | None = Field(default=None, max_length=50)
    os: str | None = Field(default=None, max_length=200)
    load_1m: float | None = Field(default=None)
    memory_total_kib: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    memory_free_kib: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    disk_total_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    disk_free_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    disk_used_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    remote_domains: int | None = Field(default=None)
    stats_synced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)


class HostingAccount(SQLModel, table=True):
    __tablename__ = "hosting_accounts"
    __table_args__ = (UniqueConstraint("domain"), UniqueConstraint("username"), NEVER_REUSED)

    id: int | None = surrogate_id()
    domain: str = Field(max_length=253)  # lower-case punycode
    domain_unicode: str = Field(max_length=253)
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customers.id"), nullable=False, index=True))
    server_id: int = Field(sa_column=Column(Integer, ForeignKey("servers.id"), nullable=False, index=True))
    username: str = Field(max_length=32)
    plan: str | None = Field(default=None, max_length=100)
    template: str | None = Field(default=None, max_length=100)
    # provisioning | active | suspended | terminated | error
    status: str = Field(max_length=20, index=True)
    suspend_reason: str | None = Field(default=None, max_length=500)
    error_reason: str | None = Field(default=None, max_length=1000)
    protected: bool = Field(default=False)
    # A lifecycle operation that has claimed the row and not finished (suspend, unsuspend, ...).
    pending_op: str | None = Field(default=None, max_length=20)
    # Whether this account holds one of its server's current_domains slots.
    holds_slot: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)


class ProvisioningJob(SQLModel, table=True):
    __tablename__ = "provisioning_jobs"
    __table_args__ = (UniqueConstraint("attempt_id"), NEVER_REUSED)

    id: int | None = surrogate_id()
    attempt_id: str = Field(max_length=32)
    kind: str = Field(max_length=20)  # create
    domain: str = Field(max_length=253, index=True)
    account_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("hosting_accounts.id", ondelete="SET NULL"),
                                       nullable=True, index=True))
    server_id: int = Field(sa_column=Column(Integer, ForeignKey("servers.id"), nullable=False))
    username: str = Field(max_length=32)
    # pending | running | succeeded | failed | unknown
    status: str = Field(max_length=20, index=True)
    error: str | None = Field(default=None, max_length=1000)
    # JSON list of steps: {"step", "status", "rollback", "detail"} and the rollback results
    steps_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)
