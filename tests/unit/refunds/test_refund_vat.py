"""The credit-note split: exact totals, the invoice's rates, and no unexplained minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from praho_cli.billing.rates import VatCategory
from praho_cli.billing.totals import compute_totals
from praho_cli.services.billing.refunds.command import _parse_stdout
from praho_cli.services.billing.refunds.vat_split import (
    ROUNDING_LINE,
    CategoryRemainder,
    base_for_gross,
    credit_lines,
    spread,
)

S21 = CategoryRemainder("S", Decimal(21), VatCategory.STANDARD, 10000, 2100)
S19 = CategoryRemainder("S", Decimal(19), VatCategory.STANDARD, 10000, 1900)
S9 = CategoryRemainder("S", Decimal(9), VatCategory.REDUCED, 999, 90)
E0 = CategoryRemainder("E", Decimal(0), VatCategory.EXEMPT, 1000, 0)


def test_spread_sums_exactly_and_breaks_ties_in_order():
    assert spread(5000, [11900, 1089, 1000]) == [4253, 389, 358]
    assert spread(100, [1, 1, 1]) == [34, 33, 33]
    assert spread(7, [0, 0]) == [7, 0]


def test_base_for_gross_reachable_and_gaps():
    assert base_for_gross(12100, Decimal(21)) == (10000, 0)
    assert base_for_gross(3, Decimal(21)) == (2, 1)  # 2 → 2 gross, 3 → 4 gross: 3 is a gap
    assert base_for_gross(500, Decimal(0)) == (500, 0)
    assert base_for_gross(4, Decimal(21), prefer=3) == (3, 0)


@pytest.mark.parametrize("remainders", [[S21], [S19, S9, E0], [S19, S9]])
def test_every_amount_credits_exactly_and_keeps_br_co_17(remainders):
    gross = sum(r.gross_minor for r in remainders)
    for amount in range(1, gross + 1):
        lines = credit_lines(remainders, amount, "Refund")
        totals = compute_totals(lines)  # raises on a BR-CO-10/13/15/17 violation
        assert totals.total_minor == -amount
        rates = {line.vat_rate for line in lines if line.vat_code != "O"}
        assert rates <= {r.vat_rate for r in remainders}


def test_a_zero_rate_group_absorbs_the_unit_a_gap_leaves_over():
    lines = credit_lines([S21, E0], 3 + 0, "Refund")
    assert all(line.description != ROUNDING_LINE for line in lines)
    assert compute_totals(lines).total_minor == -3


def test_the_whole_remainder_takes_each_groups_exact_base():
    lines = credit_lines([S19, S9, E0], 13989, "Refund")
    totals = compute_totals(lines)
    assert [(b.vat_rate, b.base_minor, b.vat_minor) for b in totals.breakdown] == [
        (Decimal(19), -10000, -1900), (Decimal(9), -999, -90), (Decimal(0), -1000, 0)]


def test_single_rate_gap_becomes_an_explicit_rounding_line():
    lines = credit_lines([S21], 3, "Refund")
    assert [(line.description, line.vat_code, line.net_minor) for line in lines] == [
        ("Refund: S 21%", "S", -2), (ROUNDING_LINE, "O", -1)]


@pytest.mark.parametrize(("stdout", "expected"), [
    ('{"reference": "TR-9", "error": null}\n', ("TR-9", None)),
    ('{"error": "card\\u0007 expired"}', (None, "card  expired")),
    ("BANK-REF-1\nsecond line with token\n", ("BANK-REF-1", None)),
    ("", (None, None)),
    ("x" * 500, ("x" * 200, None)),
])
def test_refund_command_output_keeps_only_a_reference(stdout, expected):
    assert _parse_stdout(stdout) == expected
