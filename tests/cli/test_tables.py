"""Tables on an 80-column terminal: nothing wraps, no number or URL is broken across lines (free text
is cut with an ellipsis, then columns are left out, amounts last), amounts are titled without
`_cents`; `praho demo` shows each step once."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from praho_cli.output.render import GAP, fit_columns

ACME = ("customers", "add", "--name", "Societatea Comercială Foarte Lungă Pentru Găzduire Web SRL",
        "--email", "facturare-departament-financiar@foarte-lunga-gazduire.ro")


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


@pytest.mark.parametrize("width", [80, 60])
def test_invoice_list_fits_the_terminal_without_breaking_numbers_or_amounts(cli, width):
    assert cli(*ACME).exit_code == 0
    for amount in ("1234567.89", "5"):
        made = cli("invoices", "create", "--customer", "1", "--line", f"Hosting|1|{amount}", "-o", "json")
        assert made.exit_code == 0, made.stderr
        assert cli("invoices", "issue", made.json()["id"]).exit_code == 0
    r = cli("invoices", "list", tty=True, width=width, env={"NO_COLOR": "1"})
    assert r.exit_code == 0, r.stderr
    lines = _lines(r.stdout)
    assert all(cell_len(line.rstrip()) <= width for line in lines), r.stdout
    assert len(lines) == 4  # header, rule, two rows: no row wrapped onto a second line
    header = lines[0].split()
    assert "total" in header and not any(h.endswith("_cents") for h in header)
    assert lines[2].split()[:1] == ["1"] and lines[3].split()[:1] == ["2"]
    if "number" in header:
        assert "INV2026-000001" in lines[2] and "INV2026-000002" in lines[3]
    assert lines[2].count("1,493,827.15 RON") == 2  # total and balance, whole (1,234,567.89 + 21 % VAT)
    left_out = r.stderr.split(f"column(s) left out to fit {width} columns: ")[1]
    assert left_out.endswith(" (--fields or -o json shows them)\n")


def test_free_text_is_cut_with_an_ellipsis_before_columns_are_left_out(cli):
    assert cli(*ACME).exit_code == 0
    r = cli("customers", "list", tty=True, width=50, env={"NO_COLOR": "1"})
    lines = _lines(r.stdout)
    assert all(cell_len(line.rstrip()) <= 50 for line in lines) and len(lines) == 3, r.stdout
    assert lines[2].split()[:3] == ["1", "company", "Societatea"] and lines[2].rstrip().endswith("…")


def test_vertical_table_titles_amounts_without_cents(cli):
    assert cli(*ACME).exit_code == 0
    made = cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json")
    r = cli("invoices", "show", made.json()["id"], "--fields", "number,total_cents,status", tty=True, width=80,
            env={"NO_COLOR": "1"})
    assert [line.split()[:3] for line in _lines(r.stdout)] == [["number"], ["total", "121.00", "RON"], ["status", "draft"]]


def test_invoice_show_on_a_terminal_is_a_document(cli):
    assert cli(*ACME).exit_code == 0
    made = cli("invoices", "create", "--customer", "1", "--line", "Hosting Gold [red]x[/red]|12|10",
               "--line", "Domeniu .ro|1|50", "-o", "json")
    assert cli("invoices", "issue", made.json()["id"]).exit_code == 0
    assert cli("payments", "record", "--invoice", "INV2026-000001", "--amount", "50").exit_code == 0
    r = cli("invoices", "show", "INV2026-000001", tty=True, width=80, env={"NO_COLOR": "1"})
    assert (r.exit_code, r.stderr) == (0, "")
    lines = [line.rstrip() for line in r.stdout.split("\n")]
    assert lines[:2] == ["Invoice INV2026-000001 · partially paid",
                         "issued 2026-11-26 · tax point 2026-11-26 · due 2026-12-10 (14 days)"]
    assert lines[3].split() == ["Seller", "Customer"]
    assert lines[4].startswith("Praho Test SRL") and "Societatea Comercială" in r.stdout
    assert any(line.split()[:5] == ["1", "Hosting", "Gold", "[red]x[/red]", "12"] for line in lines)  # not markup
    assert any(line.split() == ["2", "Domeniu", ".ro", "1", "50.00", "RON", "21", "%", "50.00", "RON"] for line in lines)
    assert [line.split()[-3:] for line in lines if line.strip().startswith(("total", "paid", "balance"))] == [
        ["total", "205.70", "RON"], ["paid", "50.00", "RON"], ["balance", "155.70", "RON"]]
    assert "Payments" in lines and "{" not in r.stdout and "_cents" not in r.stdout
    assert all(cell_len(line) <= 80 for line in lines)
    assert cli("invoices", "show", "INV2026-000001", "-o", "json").json()["total_cents"] == 20570  # the record


def test_fit_columns_leaves_out_in_order_then_cuts_the_widest_text():
    # Everything fits: natural widths.
    assert fit_columns([4, 10, 6], [4, 10, 6], 80) == ([0, 1, 2], [4, 10, 6])
    # Too wide: the cuttable column (minimum 12) is cut first.
    assert fit_columns([4, 50, 6], [4, 12, 6], 30) == ([0, 1, 2], [4, 30 - 4 - 6 - 2 * GAP, 6])
    # Even minimums do not fit: the last column goes first, unless told otherwise; the first stays.
    assert fit_columns([10, 10, 10], [10, 10, 10], 25) == ([0, 1], [10, 10, 10])
    assert fit_columns([10, 10, 10], [10, 10, 10], 25, drop_order=[1, 2]) == ([0, 2], [10, 10, 10])
    assert fit_columns([10, 10, 10], [10, 10, 10], 5) == ([0], [10, 10, 10])


def test_demo_on_a_terminal_shows_each_step_once(cli):
    r = cli("demo", tty=True, width=100)
    assert r.exit_code == 0, r.stderr
    both = r.stdout + r.stderr
    for subject in ("Acme Web SRL", "magazin-acme.ro", "INV2026-000001"):
        assert subject in r.stdout
    assert both.count("add customer") == 1 and both.count("suspend account") == 1
    assert r.stderr.startswith("Running the demo (a few seconds)…\n")
    piped = cli("demo", "-o", "json", tty=True)  # data elsewhere: the steps show live on stderr, once
    assert piped.exit_code == 0 and piped.stderr.count("add customer: Acme Web SRL → id 1") == 1


def test_accounts_list_names_the_customer(cli, tmp_path):
    from tests.unit.hosting.simfleet import LocalFleet

    fleet = LocalFleet(tmp_path / "sim")

    def h(*args, **kwargs):
        return cli(*args, transport_factory=fleet.factory, **kwargs)

    assert h(*ACME).exit_code == 0
    assert h("servers", "add", "vm1", "--url", "https://vm1.hosting.ro:10000").exit_code == 0
    assert h("servers", "check", "vm1").exit_code == 0
    made = h("accounts", "create", "shop.ro", "--customer", "1", "--show-password", "-o", "json")
    assert made.exit_code == 0 and made.json()["customer_name"] == ACME[3]
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["customer_name"] == ACME[3]
    r = h("accounts", "list", tty=True, width=80, env={"NO_COLOR": "1"})
    lines = _lines(r.stdout)
    assert lines[0].split()[:3] == ["id", "domain", "customer_name"]
    assert lines[2].split()[:3] == ["1", "shop.ro", "Societatea"] and all(cell_len(x) <= 80 for x in lines)
