"""praho fx set|list"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Exchange rates (RON per unit) frozen into foreign-currency invoices.", no_args_is_help=True)


@app.command("set")
def set_(
    ctx: typer.Context,
    currency: Annotated[str, typer.Argument(help="ISO 4217 code, e.g. EUR.")],
    rate: Annotated[str, typer.Argument(help="RON for one unit, e.g. 4.9750.")],
    day: Annotated[str, typer.Option("--date", help="Day the rate is for.", metavar="YYYY-MM-DD")],
    source: Annotated[str, typer.Option("--source", help="Who published it.")] = "BNR",
    replace: Annotated[bool, typer.Option("--replace", help="Correct the rate already recorded for that day "
                                          "(needs --reason; refused once a document froze it).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the rate is corrected (audited).")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Record an exchange rate (the same rate again changes nothing; a day in the future is refused).

    Example: praho fx set EUR 4.9750 --date 2025-08-01 --source BNR
    """
    from praho_cli.billing.fx import parse_fx_rate
    from praho_cli.cli.parsing import parse_date
    from praho_cli.services.billing import fx

    app_ = o.app_of(ctx)
    out = app_.renderer(fx.FX_RATE, output, fields, json)
    if reason is not None and not replace:
        from praho_cli.result import ErrorCode, PrahoFailure

        raise PrahoFailure.of(ErrorCode.INVALID, "--reason goes with --replace")
    data = fx.FxInput(currency=currency, rate=parse_fx_rate(rate), day=parse_date(day, "--date"), source=source,
                      replace_reason=(reason or "") if replace else None)
    sctx = app_.service_context()
    row = app_.transact(lambda s: fx.set_fx(s, sctx, data))
    out.one(row)
    app_.messages.success(f"{row['currency']} = {row['rate']} RON on {row['date']}", event="fx_rate.added")


@app.command("list")
def list_(
    ctx: typer.Context,
    currency: Annotated[str | None, typer.Option("--currency", help="Only this currency.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List exchange rates, newest first per currency.

    Example: praho fx list --currency EUR -o json
    """
    from praho_cli.services.billing import fx

    app_ = o.app_of(ctx)
    out = app_.renderer(fx.FX_RATE, output, fields, json)
    with app_.reading() as session:
        out.many(fx.list_fx(session, currency).unwrap())
