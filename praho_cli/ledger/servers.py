"""Server queries, and the atomic domain-slot counter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from praho_cli.ledger import versioned
from praho_cli.ledger.models.hosting import HostingAccount, ProvisioningJob, Server


def get_by_name(session: Session, name: str) -> Server | None:
    return session.execute(select(Server).where(col(Server.name) == name)).scalar_one_or_none()


def get_by_id(session: Session, server_id: int) -> Server | None:
    return session.get(Server, server_id)


def insert(session: Session, server: Server) -> Server:
    session.add(server)
    session.flush()
    return server


def iter_servers(session: Session, names: list[str] | None = None) -> Iterator[Server]:
    stmt = select(Server).order_by(Server.name)
    if names:
        stmt = stmt.where(col(Server.name).in_(names))
    yield from session.execute(stmt).scalars()


def update_if_version(session: Session, server_id: int, version: int, values: dict[str, Any]) -> Server | None:
    return versioned.update_if_version(session, Server, server_id, version, values)


def set_values(session: Session, server_id: int, values: dict[str, Any]) -> None:
    """Unconditional update of health/statistics columns (they are observations, not decisions)."""
    session.execute(
        update(Server).where(col(Server.id) == server_id).values(**values)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def reserve_slot(session: Session, server_id: int) -> bool:
    """Take one domain slot if the server has room. A single conditional UPDATE, so two concurrent
    reservations can never both take the last slot (the row lock / BEGIN IMMEDIATE serialises them)."""
    done = session.execute(
        update(Server)
        .where(col(Server.id) == server_id, col(Server.current_domains) < col(Server.max_domains))
        .values(current_domains=Server.current_domains + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def release_slot(session: Session, server_id: int) -> None:
    session.execute(
        update(Server)
        .where(col(Server.id) == server_id, col(Server.current_domains) > 0)
        .values(current_domains=Server.current_domains - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def account_count(session: Session, server_id: int) -> int:
    stmt = select(func.count()).select_from(HostingAccount).where(col(HostingAccount.server_id) == server_id)
    return int(session.execute(stmt).scalar_one())


def slot_holders(session: Session, server_id: int) -> list[HostingAccount]:
    stmt = select(HostingAccount).where(
        col(HostingAccount.server_id) == server_id, col(HostingAccount.holds_slot).is_(True)
    )
    return list(session.execute(stmt).scalars())


def delete(session: Session, server: Server) -> None:
    session.delete(server)
    session.flush()


def snapshot(server: Server) -> Server:
    """A copy that belongs to no session, safe to use after the unit of work has ended (threads,
    remote calls between transactions)."""
    return Server(**{name: getattr(server, name) for name in Server.model_fields})


def delete_jobs_of(session: Session, server_id: int) -> None:
    """Remove the provisioning jobs recorded against a server being removed."""
    for job in session.execute(select(ProvisioningJob).where(col(ProvisioningJob.server_id) == server_id)).scalars():
        session.delete(job)
    session.flush()
