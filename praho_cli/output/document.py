"""`invoices show` / `proformas show` on a terminal: the document as a person reads it.

The record (docs/json-schemas/document_detail.json) stays what `-o json` prints; this is only its
table form: a heading, seller and customer side by side, the lines, the VAT breakdown, the totals,
the payments and related documents. Amounts are written with their currency, never as minor units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from praho_cli.output.render import Renderer, format_minor

KIND_TITLES = {"invoice": "Invoice", "proforma": "Proforma", "credit_note": "Credit note"}


def e(value: Any) -> str:
    """Data as literal text: a description like "[red]" must print as it is, not as Rich markup."""
    from rich.markup import escape

    return escape("" if value is None else str(value))


def _party(title: str, party: Mapping[str, Any] | None) -> list[str]:
    """Markup-safe lines (see :func:`e`) of one party's block."""
    party = {k: e(v) if isinstance(v, str) else v for k, v in (party or {}).items()}
    lines = [title, str(party.get("name") or "")]
    if party.get("vat_id"):
        lines.append(f"VAT id {party['vat_id']}")
    if party.get("cui"):
        lines.append(f"CUI {'RO' if party.get('vat_payer') else ''}{party['cui']}")
    if party.get("vat_number"):
        lines.append(f"VAT no. {party['vat_number']}")
    if party.get("reg_com"):
        lines.append(f"Reg. com. {party['reg_com']}")
    place = ", ".join(str(p) for p in (party.get("address"), party.get("postal_code"), party.get("city")) if p)
    if place:
        lines.append(place)
    if party.get("country") and party.get("country") != "RO":
        lines.append(str(party["country"]))
    for key in ("iban", "bank", "email"):
        if party.get(key):
            lines.append(str(party[key]))
    return lines


def render_document(renderer: Renderer, row: Mapping[str, Any]) -> None:
    from rich import box
    from rich.table import Table

    console = renderer._console()
    currency = row.get("currency")

    def money(value: Any) -> str:
        return format_minor(int(value), currency) if isinstance(value, int) else ""

    kind = KIND_TITLES.get(str(row.get("kind")), str(row.get("kind")).title())
    number = row.get("number") or f"draft {row.get('id')}"
    status = str(row.get("status") or "").replace("_", " ")
    console.print(f"[bold]{e(kind)} {e(number)}[/bold] · {e(status)}", highlight=False)
    dates = [f"issued {row['issue_date']}" if row.get("issue_date") else "not issued yet"]
    if row.get("tax_point"):
        dates.append(f"tax point {row['tax_point']}")
    if row.get("due_date"):
        dates.append(f"due {row['due_date']}" + (f" ({row['due_days']} days)" if row.get("due_days") else ""))
    console.print(e(" · ".join(dates)), highlight=False)
    if row.get("reason"):
        console.print(f"Reason: {e(row['reason'])}", highlight=False)
    console.print()

    parties = Table(box=None, show_header=False, pad_edge=False, expand=False)
    parties.add_column(ratio=1, overflow="fold")
    parties.add_column(ratio=1, overflow="fold")
    seller, customer = _party("Seller", row.get("seller")), _party("Customer", row.get("customer"))
    for i in range(max(len(seller), len(customer))):
        left = seller[i] if i < len(seller) else ""
        right = customer[i] if i < len(customer) else ""
        parties.add_row(f"[bold]{left}[/bold]" if i == 0 else left, f"[bold]{right}[/bold]" if i == 0 else right)
    console.print(parties)
    console.print()

    lines = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    lines.add_column("#", justify="right", no_wrap=True)
    lines.add_column("description", overflow="fold")
    lines.add_column("qty", justify="right", no_wrap=True)
    lines.add_column("unit price", justify="right", no_wrap=True)
    lines.add_column("VAT", justify="right", no_wrap=True)
    lines.add_column("net", justify="right", no_wrap=True)
    for line in row.get("lines") or []:
        lines.add_row(e(line.get("position")), e(line.get("description")), e(line.get("quantity")),
                      money(line.get("unit_price_cents")), f"{e(line.get('vat_rate'))} %", money(line.get("net_cents")))
    console.print(lines)

    totals = Table(box=None, show_header=False, pad_edge=False)
    totals.add_column(justify="right")
    totals.add_column(justify="right", no_wrap=True)
    for vat in row.get("vat_breakdown") or []:
        totals.add_row(f"VAT {e(vat.get('vat_rate'))} % of {money(vat.get('base_cents'))}", money(vat.get("vat_cents")))
    totals.add_row("net", money(row.get("net_cents")))
    totals.add_row("VAT", money(row.get("vat_cents")))
    totals.add_row("[bold]total[/bold]", f"[bold]{money(row.get('total_cents'))}[/bold]")
    if row.get("vat_ron_cents") is not None:
        totals.add_row("VAT in RON", format_minor(int(row["vat_ron_cents"]), "RON"))
    if row.get("fx_rate"):
        totals.add_row(f"rate {e(row.get('fx_date'))} ({e(row.get('fx_source'))})", e(row["fx_rate"]))
    if row.get("paid_cents"):
        totals.add_row("paid", money(row.get("paid_cents")))
        totals.add_row("[bold]balance[/bold]", f"[bold]{money(row.get('balance_cents'))}[/bold]")
    console.print(totals, justify="right")
    if row.get("vat_mention"):
        console.print(e(row["vat_mention"]), highlight=False)

    payments = row.get("payments") or []
    if payments:
        console.print()
        console.print("[bold]Payments[/bold]")
        table = Table(box=None, show_header=False, pad_edge=False)
        for _ in range(4):
            table.add_column(no_wrap=True)
        for p in payments:
            table.add_row(e(p.get("paid_at")), e(p.get("method")), money(p.get("amount_cents")), e(p.get("reference")))
        console.print(table)
    related = row.get("related_documents") or []
    if related:
        console.print()
        console.print("[bold]Related documents[/bold]")
        for doc in related:
            console.print(e(" ".join(str(v) for k, v in doc.items() if v is not None and k != "id")), highlight=False)
