"""The locked part of issuing on PostgreSQL in one statement: counter, number, document, audit event.

From the moment the series counter is locked until COMMIT, every other issuer of the series waits
(and every writer waits on the audit chain's head). This statement does all of that part in one
round trip: it increments the counter, renders the number's text, writes the frozen draft and its
number on the document in one UPDATE (one new row version, not two), and appends the audit event
whose ``after`` record carries that
number, hashing it on the server from exactly the text :func:`praho_cli.ledger.audit.compute_hash`
hashes (``audit verify`` recomputes every hash in Python, so any difference would show as a broken
chain).

The counter is an upsert: the first number of a year creates the row with the series' start
number, locked like any other.

It applies when SQL can render the number exactly: one ``{number}`` field, plain or zero-padded
(``{number}``, ``{number:06}``), and no text around it that JSON would escape. Otherwise, and on
SQLite, the caller takes the general path. Before trusting a format, the caller proves it: it
renders sample numbers with the same SQL expression (:func:`render_in_sql`) and compares them with
:func:`praho_cli.billing.numbering.render_number`. A proven format lets the statement be the
transaction's last, committed in the same round trip, so that the counter is
locked only for as long as the server needs.
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlmodel import Session

from praho_cli.ledger.audit import canonical, pg_append_sql, seq_splice
from praho_cli.ledger.idempotency import Pending
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine, VatRateRow
from praho_cli.ledger.models.core import AuditEvent, IdempotencyRecord
from praho_cli.ledger.uow import commit_with

# Stands for the number's text in the event's canonical JSON until the server knows it: only
# characters JSON never escapes, so it appears verbatim in the record and in the hashed payload.
NUMBER_MARK = "@@praho-number@@"


@dataclass(frozen=True)
class NumberText:
    """A number's text as SQL renders it: ``prefix`` + the number zero-padded to ``width`` + ``suffix``."""

    prefix: str
    width: int
    suffix: str


class _Split(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        if value is _Split:
            return NUMBER_MARK
        return super().format_field(value, format_spec)


def _json_plain(value: str) -> bool:
    return json.dumps(value, ensure_ascii=False)[1:-1] == value


@functools.lru_cache(maxsize=256)
def number_text(template: str, series: str, year: int) -> NumberText | None:
    """How SQL renders this series' numbers in ``year``, or None when it cannot do so exactly
    (cached: a process issuing in a loop asks the same question every time)."""
    specs = [spec for _, name, spec, conversion in string.Formatter().parse(template) if name == "number"]
    conversions = [conversion for _, name, _, conversion in string.Formatter().parse(template) if name == "number"]
    if len(specs) != 1 or conversions[0]:
        return None
    spec = specs[0] or ""
    if spec in ("", "d"):
        width = 0
    elif re.fullmatch(r"0[0-9]{1,2}d?", spec):
        width = int(spec.rstrip("d"))
    else:
        return None
    rendered = _Split().format(template, series=series, year=year, number=_Split)
    if rendered.count(NUMBER_MARK) != 1:
        return None
    prefix, suffix = rendered.split(NUMBER_MARK)
    if not (_json_plain(prefix) and _json_plain(suffix)):
        return None
    return NumberText(prefix, width, suffix)


# What issuing freezes on a draft (services/invoices.py _freeze), written with its number.
FROZEN_COLUMNS = ("status", "tax_point", "issue_date", "due_days", "due_date", "vat_regime", "vat_mention",
                  "rounding", "net_minor", "vat_minor", "total_minor", "fx_rate", "fx_day", "fx_source",
                  "vat_ron_minor", "seller_json", "customer_json", "issued_at", "updated_at", "version")
_DOCUMENTS = BillingDocument.__table__  # type: ignore[attr-defined]



def _rendered(number: str) -> str:
    """SQL rendering a number's text from the integer expression ``number`` (NumberText's binds)."""
    return (f":nt_prefix || CASE WHEN length({number}::text) >= :nt_width THEN {number}::text "
            f"ELSE lpad({number}::text, :nt_width, '0') END || :nt_suffix")


_KEYS = IdempotencyRecord.__table__  # type: ignore[attr-defined]


# The counter: the year's first number (the series' start) when the row does not exist yet, the
# next one otherwise; either way the row stays locked until COMMIT. A concurrent first issuer waits
# on the key and then takes the update branch: no gap, no duplicate, no replay.
def _numbered(with_key: bool) -> Any:
    """The locked statement; ``with_key``: it also stores an idempotency key's record, whose result
    text carries the number like the audit event's record."""
    kept = ("kept AS (INSERT INTO idempotency_keys (key, command, params_hash, result_json, created_at) "
            "SELECT :k_key, :k_command, :k_hash, :k_head || numbered.nt || :k_tail, :k_created FROM numbered), "
            if with_key else "")
    return text(
        "WITH counter AS (INSERT INTO series_counters (series_id, year, last_number) "
        "VALUES (:key_series, :key_year, :start_number) ON CONFLICT (series_id, year) "
        "DO UPDATE SET last_number = series_counters.last_number + 1 RETURNING last_number), "
        f"numbered AS (SELECT last_number AS n, {_rendered('last_number')} AS nt FROM counter), "
        "doc AS (UPDATE billing_documents SET "
        + "".join(f"{c} = :f_{c}, " for c in FROZEN_COLUMNS)
        + "fiscal_year = :key_year, number = numbered.n, "
        "number_text = numbered.nt FROM numbered WHERE billing_documents.id = :doc_id), "
        + kept
        + pg_append_sql(after=":after_head || numbered.nt || :after_tail",
                        payload=":p_head || numbered.nt || :p_mid || head.seq::text || :p_tail",
                        sources="head, numbered", lock_after="numbered",
                        returning="(SELECT n FROM numbered), (SELECT nt FROM numbered), ")
    ).bindparams(bindparam("ts", type_=AuditEvent.__table__.c.ts.type),  # type: ignore[attr-defined]
                 *(bindparam(f"f_{c}", type_=_DOCUMENTS.c[c].type) for c in FROZEN_COLUMNS),
                 *([bindparam("k_created", type_=_KEYS.c.created_at.type)] if with_key else []))


_NUMBERED, _NUMBERED_KEPT = _numbered(False), _numbered(True)


@dataclass(frozen=True)
class KeyRecord:
    """An idempotency key's record written by the locked statement: ``result`` is the command's
    result as the store keeps it (ledger/idempotency.result_text), :data:`NUMBER_MARK` where the
    number's text goes."""

    pending: Pending
    result: str


# The general path writes the frozen draft on its own, before it takes the counter's lock.
_WRITE_FROZEN = (update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document_id"))
                 .values({c: bindparam(f"new_{c}", type_=_DOCUMENTS.c[c].type) for c in FROZEN_COLUMNS}))


def write_frozen(session: Session, document_id: int, frozen: Mapping[str, Any]) -> None:
    """Write a draft's ``frozen`` values (every one of :data:`FROZEN_COLUMNS`) with one prebuilt UPDATE."""
    session.connection().execute(_WRITE_FROZEN, {"document_id": document_id,
                                                 **{f"new_{c}": frozen[c] for c in FROZEN_COLUMNS}})


@dataclass(frozen=True)
class Issued:
    number: int
    number_text: str


_RENDER = text(f"SELECT {_rendered('n')} FROM unnest(CAST(:numbers AS bigint[])) WITH ORDINALITY AS t(n, i) "
               "ORDER BY i")


def render_in_sql(session: Session, number_format: NumberText, numbers: list[int]) -> list[str]:
    """``numbers`` rendered by the very SQL expression :func:`issue_in_one` renders them with
    (PostgreSQL), in order: the caller proves a format against Python's rendering before trusting it."""
    params = {"numbers": numbers, "nt_prefix": number_format.prefix, "nt_width": number_format.width,
              "nt_suffix": number_format.suffix}
    return [str(value) for value in session.connection().execute(_RENDER, params).scalars()]


def issue_in_one(
    session: Session, *, series_id: int, year: int, start_number: int, number_format: NumberText,
    document_id: int, frozen: Mapping[str, Any], event: Mapping[str, Any], after: Mapping[str, Any],
    key_record: KeyRecord | None = None,
) -> Issued | None:
    """Run the locked part of issuing in one statement, the transaction's last, committed in the same
    round trip (:func:`praho_cli.ledger.uow.commit_with`; PostgreSQL only, see the module's
    docstring): the document's ``frozen`` values (every one of :data:`FROZEN_COLUMNS`) and its
    number, written together, and the audit event.

    ``year``: the fiscal year keying the counter and stored on the document (0 for a series that
    never restarts).
    ``event``: ts, actor, action, entity_type, entity_id; ``after``: the event's record, already
    redacted, with :data:`NUMBER_MARK` where the number's text goes. The counter row is created
    with ``start_number`` when the year has none yet. ``key_record``: an idempotency key's record,
    stored by the same statement.
    None: nothing was sent (a record holds the mark elsewhere too); the caller writes the frozen
    draft and takes the general path in the same transaction."""
    after_json = canonical(after)
    if after_json.count(NUMBER_MARK) != 1 or (key_record is not None and key_record.result.count(NUMBER_MARK) != 1):
        return None
    record = {**event, "entity_id": str(event["entity_id"]), "before_json": None, "after_json": after_json}
    before_seq, seq_tail = seq_splice(record)
    p_head, p_mid = before_seq.split(NUMBER_MARK)
    after_head, after_tail = after_json.split(NUMBER_MARK)
    params = {
        "key_series": series_id, "key_year": year, "start_number": start_number, "doc_id": document_id,
        **{f"f_{c}": frozen[c] for c in FROZEN_COLUMNS},
        "nt_prefix": number_format.prefix, "nt_width": number_format.width, "nt_suffix": number_format.suffix,
        **{k: record[k] for k in ("ts", "actor", "action", "entity_type", "entity_id", "before_json")},
        "after_head": after_head, "after_tail": after_tail, "p_head": p_head, "p_mid": p_mid, "p_tail": seq_tail,
    }
    if key_record is not None:
        k_head, k_tail = key_record.result.split(NUMBER_MARK)
        pending = key_record.pending
        params.update(k_key=pending.key, k_command=pending.command, k_hash=pending.digest,
                      k_head=k_head, k_tail=k_tail, k_created=pending.created_at)
    row = commit_with(session, _NUMBERED if key_record is None else _NUMBERED_KEPT, params)
    if row is None:  # the counter's upsert always returns its row
        raise RuntimeError("issuing's locked statement returned no row")
    return Issued(int(row[0]), str(row[1]))


@functools.cache
def prefetch_columns() -> tuple[Any, Any]:
    """Two columns for the locked read of a draft on PostgreSQL, so that issuing needs no other
    read: its lines in order, and the VAT rates of the seller's country (bind parameter
    ``seller_country``) and of the customer's, each as a JSON array of rows (None when there are none).
    Built on first use: the PostgreSQL dialect's import is paid only where it is used."""
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    lines = DocumentLine.__table__  # type: ignore[attr-defined]
    rates = VatRateRow.__table__  # type: ignore[attr-defined]
    documents = BillingDocument.__table__  # type: ignore[attr-defined]
    customers = Customer.__table__  # type: ignore[attr-defined]
    line_rows = (
        select(func.json_agg(aggregate_order_by(
            func.json_build_array(lines.c.description, lines.c.quantity, lines.c.unit_price_minor, lines.c.category,
                                  lines.c.vat_code, lines.c.vat_rate, lines.c.net_minor),
            lines.c.position)))
        .where(lines.c.document_id == documents.c.id)
        .scalar_subquery()
    )
    rate_rows = (
        select(func.json_agg(func.json_build_array(rates.c.country, rates.c.category, rates.c.rate,
                                                   rates.c.valid_from, rates.c.valid_to)))
        .where(or_(rates.c.country == bindparam("seller_country"), rates.c.country == customers.c.country))
        .scalar_subquery()
    )
    return line_rows, rate_rows
