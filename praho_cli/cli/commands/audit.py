"""praho audit list|verify|anchor|prove-existing"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="The hash-chained audit trail of every change.", no_args_is_help=True)


_WHEN = ("this time: an ISO date (the start of that day in the business's time zone) or datetime "
         "(UTC unless it has an offset).")
_SINCE_HELP, _UNTIL_HELP = f"From {_WHEN}", f"Before {_WHEN}"


def _when(value: str | None, flag: str, zone: tzinfo) -> datetime | None:
    from praho_cli.cli.parsing import parse_datetime

    return parse_datetime(value, flag, zone) if value else None


@app.command("list")
def list_(
    ctx: typer.Context,
    entity: Annotated[str | None, typer.Option("--entity", help="TYPE or TYPE:ID, e.g. customer:12.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Action, * as wildcard: customer.*")] = None,
    actor: Annotated[str | None, typer.Option("--actor-name", help="Only events by this actor.")] = None,
    since: Annotated[str | None, typer.Option("--since", help=_SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option("--until", help=_UNTIL_HELP)] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N events.")] = None,
    newest_first: Annotated[bool, typer.Option("--newest-first", help="Newest events first.")] = False,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List audit events.

    Example: praho audit list --entity customer:12 --since 2026-01-01 -o jsonl
    """
    from praho_cli.ledger.audit import AuditFilter
    from praho_cli.services import audit

    app_ = o.app_of(ctx)
    out = app_.renderer(audit.AUDIT_EVENT, output, fields, json)
    entity_type, _, entity_id = (entity or "").partition(":")
    flt = AuditFilter(entity_type=entity_type or None, entity_id=entity_id or None, action=action, actor=actor,
                      since=_when(since, "--since", app_.zone), until=_when(until, "--until", app_.zone), limit=limit,
                      newest_first=newest_first)
    with app_.reading() as session:
        out.many(audit.list_events(session, flt).unwrap())


@app.command("verify")
def verify(
    ctx: typer.Context,
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", metavar="HASH", help="Fail unless the chain still holds this head hash "
        "(from `praho audit anchor`, stored away from the ledger).")] = None,
    expect_seq: Annotated[int | None, typer.Option(
        "--expect-seq", metavar="N", help="Fail unless the chain still holds event N (with --expect-head: "
        "with that hash).")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Recompute the hash chain and every issued document, payment and refund against the audit event that
    created it; exit 7 and name the first broken link, the rows that differ, or a missing anchor.

    Prints the chain's head (sequence and hash): store it elsewhere and give it back with --expect-head /
    --expect-seq to prove nothing was cut from the end since.

    Example: praho audit verify --expect-seq 1200 --expect-head 3f5a…
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services import audit

    app_ = o.app_of(ctx)
    out = app_.renderer(audit.AUDIT_VERIFY, output, fields, json)
    with app_.reading() as session:
        report = audit.verify_chain(session, expect_head, expect_seq).unwrap()
    out.one(report)
    if report["broken_seq"] is not None:
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"audit chain broken at event {report['broken_seq']}: "
                              f"{report['problem']}")
    if not report["ok"]:
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"audit verification failed: {report['problem']}")
    app_.messages.success(f"Audit chain intact: {report['checked']} events verified, {report['proven']} ledger "
                          f"row(s) proven; head {report['head_seq']} {report['head_hash']}")


@app.command("anchor")
def anchor(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Print the chain's head (sequence number and hash) to store away from the ledger, e.g. mailed by cron;
    `audit verify --expect-seq N --expect-head HASH` later proves no event was cut from the end since.

    Example: praho audit anchor -o json
    """
    from praho_cli.services import audit

    app_ = o.app_of(ctx)
    out = app_.renderer(audit.AUDIT_ANCHOR, output, fields, json)
    with app_.reading() as session:
        out.one(audit.anchor(session).unwrap())


@app.command("prove-existing")
def prove_existing(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Prove, once, the documents, payments and refunds written before praho proved rows (a ledger upgraded
    from an older praho): one audit event per row without one. Check those rows first; refused while the
    chain is broken.

    Example: praho audit prove-existing -o json
    """
    from praho_cli.services import audit

    app_ = o.app_of(ctx)
    out = app_.renderer(audit.PROVED, output, fields, json)
    rows = app_.transact(lambda s: audit.prove_existing(s, app_.service_context()))
    out.many(rows)
    app_.messages.success(f"Proved {len(rows)} ledger row(s)", event="audit.proved", count=len(rows))
