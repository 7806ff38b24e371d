"""Romanian addresses as e-Factura (CIUS-RO) needs them: the county as ISO 3166-2:RO, and for
Bucharest (``RO-B``) the sector as the city, ``SECTOR1``…``SECTOR6`` (rules BR-RO-110/111 and
BR-RO-100/101 of ANAF's validation artefacts).

The one place these rules live: the customers service, the seller's settings and the e-Factura
export all check with these functions.
"""

from __future__ import annotations

import re

BUCHAREST = "RO-B"
COUNTIES: frozenset[str] = frozenset(f"RO-{c}" for c in (
    "AB", "AR", "AG", "BC", "BH", "BN", "BT", "BV", "BR", "B", "BZ", "CS", "CL", "CJ", "CT", "CV", "DB",
    "DJ", "GL", "GR", "GJ", "HR", "HD", "IL", "IS", "IF", "MM", "MH", "MS", "NT", "OT", "PH", "SM", "SJ",
    "SB", "SV", "TR", "TM", "TL", "VS", "VL", "VN",
))
SECTORS: tuple[str, ...] = tuple(f"SECTOR{n}" for n in range(1, 7))
_SECTOR_RE = re.compile(r"^sector\s*([1-6])$", re.IGNORECASE)


def normalize_county(value: str) -> str | None:
    """``RO-CJ`` for ``ro-cj``, ``RO-CJ`` or ``CJ``; None when it is no Romanian county code."""
    code = value.strip().upper().replace(" ", "")
    if not code.startswith("RO-"):
        code = f"RO-{code}"
    return code if code in COUNTIES else None


def normalize_sector(city: str) -> str | None:
    """``SECTOR3`` for ``Sector 3``/``sector3``/``SECTOR3``; None when ``city`` is no sector."""
    match = _SECTOR_RE.match(city.strip())
    return f"SECTOR{match.group(1)}" if match else None


def county_problem(county: str | None, city: str | None) -> str | None:
    """Why a Romanian (county, city) pair is not what CIUS-RO accepts; None when it is."""
    if county is None:
        return None
    if county not in COUNTIES:
        return f"{county!r} is not an ISO 3166-2:RO county code (e.g. RO-CJ, RO-B for Bucharest)"
    if county == BUCHAREST and city is not None and city not in SECTORS:
        return f"in Bucharest ({BUCHAREST}) the city is the sector, SECTOR1 to SECTOR6, not {city!r}"
    return None
