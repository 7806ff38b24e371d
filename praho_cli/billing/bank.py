"""Bank account numbers: an IBAN is checked by schwifty (country format and check digits)."""

from __future__ import annotations


def iban_problem(value: str) -> str | None:
    """Why ``value`` is not a valid IBAN; None when it is (or is empty: no account configured)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    if not value.strip():
        return None
    try:
        IBAN(value)
    except SchwiftyException as exc:
        return f"{value!r} is not a valid IBAN ({exc})"
    return None


def compact_iban(value: str) -> str:
    from schwifty import IBAN

    return str(IBAN(value).compact)
