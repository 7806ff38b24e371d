"""praho audit list|verify"""

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
def verify(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Recompute the hash chain; exit 7 and name the first broken link if any event was edited,
    deleted or reordered.

    Example: praho audit verify --json
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services import audit

    app_ = o.app_of(ctx)
    out = app_.renderer(audit.AUDIT_VERIFY, output, fields, json)
    with app_.reading() as session:
        report = audit.verify_chain(session).unwrap()
    out.one(report)
    if not report["ok"]:
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"audit chain broken at event {report['broken_seq']}: "
                              f"{report['problem']}")
    app_.messages.success(f"Audit chain intact: {report['checked']} events verified")
