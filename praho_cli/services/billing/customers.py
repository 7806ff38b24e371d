"""Customers: companies and individuals, with Romanian and EU identifiers validated by python-stdnum."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlmodel import Session

from praho_cli.billing import ro_address
from praho_cli.billing.regime import EU_COUNTRIES
from praho_cli.ledger import audit
from praho_cli.ledger import customers as repo
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.base import iso
from praho_cli.money import CURRENCY_EXPONENTS
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing import customer_ref
from praho_cli.services.context import ServiceContext
from praho_cli.services.countries import ISO_COUNTRIES
from praho_cli.services.idempotency import idempotent

CUSTOMER = RecordType(
    name="customer",
    title="Customer",
    description="A customer of the hosting company: a company or an individual.",
    fields=(
        Field("id", "string", "Ledger id of the customer."),
        Field("kind", "string", "company or individual.", enum=("company", "individual")),
        Field("name", "string", "Legal name (company) or full name (individual)."),
        Field("email", "string", "Billing e-mail, lower-case, unique.", format="email"),
        Field("country", "string", "ISO 3166-1 alpha-2 country code."),
        Field("address", "string|null", "Street address.", table=False),
        Field("city", "string|null", "City.", table=False),
        Field("postal_code", "string|null", "Postal code.", table=False),
        Field("county", "string|null", "County: ISO 3166-2:RO code (RO-CJ; RO-B for Bucharest, whose city is "
              "SECTOR1…SECTOR6) for a Romanian address.", table=False),
        Field("currency", "string", "ISO 4217 billing currency."),
        Field("cui", "string|null", "Romanian CUI/CIF, digits only."),
        Field("vat_payer", "boolean", "Registered for VAT (the CUI was given with RO, or an EU VAT number).",
              table=False),
        Field("reg_com", "string|null", "Romanian trade register number (Reg. Com.).", table=False),
        Field("cnp", "string|null", "Romanian personal numeric code (individuals).", table=False),
        Field("vat_number", "string|null", "EU VAT number with its country prefix.", table=False),
        Field("created_at", "string", "When the customer was added (UTC).", table=False, format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
        Field("version", "integer", "Optimistic-lock version; incremented by every change.", table=False),
    ),
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CustomerInput:
    """Fields of an add or an update; None means "not given" (update leaves it unchanged)."""

    name: str | None = None
    email: str | None = None
    kind: str | None = None
    country: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    county: str | None = None
    currency: str | None = None
    cui: str | None = None
    reg_com: str | None = None
    cnp: str | None = None
    vat_number: str | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class CustomerFilter:
    name: str | None = None
    email: str | None = None
    country: str | None = None
    kind: str | None = None
    missing: str | None = None  # "efactura": only customers lacking what an e-Factura needs


def to_public(customer: Customer) -> dict[str, Any]:
    return {
        "id": str(customer.id),
        "kind": customer.kind,
        "name": customer.name,
        "email": customer.email,
        "country": customer.country,
        "address": customer.address,
        "city": customer.city,
        "postal_code": customer.postal_code,
        "county": customer.county,
        "currency": customer.currency,
        "cui": customer.cui,
        "vat_payer": customer.vat_payer,
        "reg_com": customer.reg_com,
        "cnp": customer.cnp,
        "vat_number": customer.vat_number,
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "version": customer.version,
    }


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _normalize(given: Mapping[str, Any], default_currency: str) -> dict[str, Any]:
    """Validate and normalize the given fields; a bad value is an INVALID naming its field."""
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError
    from stdnum.ro import cnp as ro_cnp
    from stdnum.ro import cui as ro_cui
    from stdnum.ro import onrc as ro_onrc

    from praho_cli.services.text import control_character

    out: dict[str, Any] = {}
    for key, raw in given.items():
        bad = control_character(raw) if isinstance(raw, str) else None
        if bad is not None:
            raise fail(ErrorCode.INVALID, f"{key}: must not contain a {bad}", field=key)
        value = raw.strip() if isinstance(raw, str) else raw
        if key == "name":
            if not value:
                raise fail(ErrorCode.INVALID, "name: must not be empty", field="name")
            if len(value) > 200:
                raise fail(ErrorCode.INVALID, "name: at most 200 characters", field="name")
            out["name"] = value
        elif key == "email":
            value = value.lower()
            if not EMAIL_RE.match(value) or len(value) > 254:
                raise fail(ErrorCode.INVALID, f"email: {raw!r} is not an e-mail address", field="email")
            out["email"] = value
        elif key == "kind":
            if value not in ("company", "individual"):
                raise fail(ErrorCode.INVALID, f"kind: must be company or individual, not {raw!r}", field="kind")
            out["kind"] = value
        elif key == "country":
            value = value.upper()
            if value not in ISO_COUNTRIES:
                raise fail(ErrorCode.INVALID, f"country: {raw!r} is not an ISO 3166 alpha-2 code", field="country")
            out["country"] = value
        elif key == "currency":
            value = value.upper()
            if value not in CURRENCY_EXPONENTS:
                raise fail(ErrorCode.INVALID, f"currency: {raw!r} is not an ISO 4217 code", field="currency")
            out["currency"] = value
        elif key in ("address", "postal_code"):
            out[key] = _blank_to_none(value)
        elif key == "city":
            value = _blank_to_none(value)
            out["city"] = ro_address.normalize_sector(value) or value if value else None
        elif key == "county":
            out["county"] = _blank_to_none(value)
        elif key == "cui":
            value = _blank_to_none(value)
            if value is None:
                out["cui"], out["vat_payer_from_cui"] = None, False
                continue
            try:
                compact = ro_cui.validate(value)
            except ValidationError:
                raise fail(ErrorCode.INVALID, f"cui: {raw!r} is not a valid Romanian CUI/CIF (check digit)",
                           field="cui") from None
            out["cui"] = compact
            # "RO" in front of the CUI is how a Romanian VAT payer writes it (art. 316 Cod fiscal).
            out["vat_payer_from_cui"] = value.upper().replace(" ", "").startswith("RO")
        elif key == "cnp":
            value = _blank_to_none(value)
            if value is None:
                out["cnp"] = None
                continue
            try:
                out["cnp"] = ro_cnp.validate(value)
            except ValidationError:
                raise fail(ErrorCode.INVALID, f"cnp: {raw!r} is not a valid Romanian CNP", field="cnp") from None
        elif key == "reg_com":
            value = _blank_to_none(value)
            if value is None:
                out["reg_com"] = None
                continue
            try:
                out["reg_com"] = ro_onrc.validate(value)
            except ValidationError:
                raise fail(ErrorCode.INVALID, f"reg_com: {raw!r} is not a valid trade register number "
                           "(e.g. J40/372/2002)", field="reg_com") from None
        elif key == "vat_number":
            value = _blank_to_none(value)
            if value is None:
                out["vat_number"] = None
                continue
            try:
                compact = eu_vat.validate(value)
            except ValidationError:
                raise fail(ErrorCode.INVALID, f"vat_number: {raw!r} is not a valid EU VAT number",
                           field="vat_number") from None
            prefix = compact[:2].upper()
            if prefix not in EU_COUNTRIES and prefix != "EL":
                raise fail(ErrorCode.INVALID, f"vat_number: {raw!r} is not from an EU member state",
                           field="vat_number")
            out["vat_number"] = compact.upper()
    if "currency" not in out and "currency" in given:
        out["currency"] = default_currency
    return out


def _cross_check(row: dict[str, Any]) -> None:
    if row.get("kind") == "individual" and row.get("cui"):
        raise fail(ErrorCode.INVALID, "cui: an individual has a CNP, not a CUI (use --kind company)", field="cui")
    if row.get("kind") == "company" and row.get("cnp"):
        raise fail(ErrorCode.INVALID, "cnp: a company has a CUI, not a CNP (use --kind individual)", field="cnp")
    if row.get("country") != "RO" and (row.get("cui") or row.get("cnp") or row.get("reg_com")):
        raise fail(ErrorCode.INVALID, "cui/cnp/reg_com are Romanian identifiers; the customer's country is "
                   f"{row.get('country')}", field="country")
    county = row.get("county")
    if county is not None and row.get("country") == "RO":
        row["county"] = ro_address.normalize_county(county) or county
        problem = ro_address.county_problem(row["county"], row.get("city"))
        if problem:
            raise fail(ErrorCode.INVALID, f"county: {problem}", field="county")
    vat = row.get("vat_number")
    if vat:
        vat_country = "GR" if vat[:2] == "EL" else vat[:2]
        if vat_country != row.get("country"):
            raise fail(ErrorCode.INVALID, f"vat_number: {vat} is from {vat_country} but the customer's country is "
                       f"{row.get('country')}", field="vat_number")


@returns_result
def add_customer(
    session: Session, ctx: ServiceContext, data: CustomerInput, idempotency_key: str | None = None
) -> dict[str, Any]:
    given = data.given()
    for required in ("name", "email"):
        if not given.get(required):
            raise fail(ErrorCode.INVALID, f"{required}: is required", field=required)

    def create() -> dict[str, Any]:
        normalized = _normalize(given, ctx.default_currency)
        row = {"kind": "company", "country": "RO", "currency": ctx.default_currency, **normalized}
        vat_payer = bool(row.pop("vat_payer_from_cui", False)) or bool(row.get("vat_number"))
        _cross_check(row)
        if repo.get_by_email(session, row["email"]) is not None:
            raise fail(ErrorCode.CONFLICT, f"a customer with e-mail {row['email']} already exists", field="email")
        now = ctx.now()
        customer = Customer(**row, vat_payer=vat_payer, created_at=now, updated_at=now, version=1)
        repo.insert(session, customer)
        public = to_public(customer)
        audit.append(session, ts=now, actor=ctx.actor, action="customer.create", entity_type="customer",
                     entity_id=public["id"], after=public)
        return public

    return idempotent(session, ctx, idempotency_key, "customers.add", given, create).unwrap()


@returns_result
def find_customer(session: Session, ref: str) -> Customer:
    """By id (digits) or e-mail address (:mod:`praho_cli.services.billing.customer_ref`)."""
    key = customer_ref.parse(ref)
    customer = repo.get_by_id(session, key.id) if key.id is not None else repo.get_by_email(session, key.email or "")
    if customer is None:
        raise customer_ref.not_found(key)
    return customer


@returns_result
def show_customer(session: Session, ref: str) -> dict[str, Any]:
    return to_public(find_customer(session, ref).unwrap())


@returns_result
def list_customers(session: Session, flt: CustomerFilter) -> Iterator[dict[str, Any]]:
    if flt.kind and flt.kind not in ("company", "individual"):
        raise fail(ErrorCode.INVALID, f"kind: must be company or individual, not {flt.kind!r}")
    if flt.missing is not None and flt.missing != "efactura":
        raise fail(ErrorCode.INVALID, f"missing: the only check is efactura, not {flt.missing!r}", field="missing")
    rows = repo.iter_customers(
        session,
        name_contains=flt.name,
        email=flt.email.lower() if flt.email else None,
        country=flt.country.upper() if flt.country else None,
        kind=flt.kind,
        missing_efactura=flt.missing == "efactura",
    )
    return (to_public(c) for c in rows)


@returns_result
def update_customer(
    session: Session,
    ctx: ServiceContext,
    ref: str,
    data: CustomerInput,
    expected_version: int | None = None,
) -> dict[str, Any]:
    given = data.given()
    if not given:
        raise fail(ErrorCode.INVALID, "nothing to update: give at least one field option")
    customer = find_customer(session, ref).unwrap()
    if expected_version is not None and customer.version != expected_version:
        raise fail(ErrorCode.CONFLICT, f"customer {customer.id} is at version {customer.version}, not "
                   f"{expected_version}: it was changed by someone else; show it again and retry")
    changes = _normalize(given, ctx.default_currency)
    cui_payer = changes.pop("vat_payer_from_cui", None)
    before = to_public(customer)
    merged = {**before, **changes}
    _cross_check(merged)
    if "county" in changes:
        changes["county"] = merged["county"]
    if "email" in changes and changes["email"] != customer.email:
        other = repo.get_by_email(session, changes["email"])
        if other is not None:
            raise fail(ErrorCode.CONFLICT, f"a customer with e-mail {changes['email']} already exists", field="email")
    if cui_payer is not None or "vat_number" in changes:
        from_cui = cui_payer if cui_payer is not None else (customer.vat_payer and not customer.vat_number)
        changes["vat_payer"] = bool(from_cui) or bool(merged.get("vat_number"))
    changes = {k: v for k, v in changes.items() if before.get(k) != v}
    if not changes:
        return before
    now = ctx.now()
    updated = repo.update_if_version(session, customer.id or 0, customer.version, {**changes, "updated_at": now})
    if updated is None:
        raise fail(ErrorCode.CONFLICT, f"customer {customer.id} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="customer.update", entity_type="customer",
                 entity_id=after["id"], before=before, after=after)
    return after

