"""The schema head and the version guard's verdict, without SQLAlchemy or Alembic.

Revision files are named ``NNNN_slug.py`` and their id is ``NNNN`` (a test keeps that in step with
Alembic's own idea of the head). Both the engine's guard (:mod:`praho_cli.ledger.schema`) and the
standard-library reader (:mod:`praho_cli.ledger.direct`) judge a ledger with :func:`mismatch`.
"""

from __future__ import annotations

from pathlib import Path

from praho_cli.result import ErrorCode, PrahoFailure

MIGRATIONS = Path(__file__).with_name("migrations")


def head_revision() -> str:
    names = sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
    return names[-1]


def mismatch(current: str | None, display_url: str) -> PrahoFailure | None:
    """Why a ledger at revision ``current`` cannot be used by this praho (exit 78), or None."""
    head = head_revision()
    if current is None:
        return PrahoFailure.of(
            ErrorCode.CONFIG,
            f"the ledger at {display_url} has no schema yet; run `praho init` (or `praho db upgrade`)",
        )
    if current != head:
        older = current < head
        return PrahoFailure.of(
            ErrorCode.CONFIG,
            f"the ledger schema is at {current} but this praho needs {head}; "
            + ("run `praho db upgrade`" if older else "this praho is older than the ledger: upgrade praho"),
            current=current,
            head=head,
        )
    return None
