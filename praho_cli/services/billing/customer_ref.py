"""How a command names a customer: its ledger id (digits) or its e-mail address.

Kept apart from :mod:`praho_cli.services.billing.customers` (which loads the models) so that lists that
filter by customer read with the same rule and the same message without the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

from praho_cli.result import ErrorCode, PrahoFailure, fail


@dataclass(frozen=True)
class CustomerRef:
    text: str  # as given, stripped
    id: int | None  # digits: a ledger id
    email: str | None  # anything else: an e-mail address, lower-case as stored


def parse(ref: str) -> CustomerRef:
    text = ref.strip()
    if text.isdigit():
        return CustomerRef(text, int(text), None)
    return CustomerRef(text, None, text.lower())


def not_found(ref: CustomerRef) -> PrahoFailure:
    """The failure to raise when no customer answers to ``ref``."""
    return fail(ErrorCode.NOT_FOUND, f"no customer {ref.text!r} (give an id or an e-mail address)")
