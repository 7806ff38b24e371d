"""The business's calendar: every date people read is the date in business.timezone, on both backends.

Bucharest is UTC+2 in winter and UTC+3 in summer, so the dates of the last two or three hours of a
UTC day belong to the next local day. Each test sets the CLI's clock to an instant and checks the
dates, the number's fiscal year and the VAT rate that follow from it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Cli, praho_process, table_dump


def at(cli: Cli, *when: int) -> None:
    cli.clock = lambda: datetime(*when, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def acme(cli_any: Cli) -> Cli:
    r = cli_any("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290")
    assert r.exit_code == 0, r.stderr
    return cli_any


def issue(cli: Cli, *extra: str) -> dict[str, Any]:
    created = cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", *extra, "-o", "json")
    assert created.exit_code == 0, created.stderr
    issued = cli("invoices", "issue", created.json()["id"], "-o", "json")
    assert issued.exit_code == 0, issued.stderr
    return dict(issued.json())


def dates(document: dict[str, Any]) -> tuple[Any, ...]:
    return (document["number"], document["issue_date"], document["tax_point"], document["due_date"],
            document["lines"][0]["vat_rate"])


def test_the_new_year_begins_at_local_midnight(acme: Cli) -> None:
    at(acme, 2026, 12, 31, 21, 59)  # 23:59 in Bucharest
    assert dates(issue(acme, "--due-days", "0")) == ("INV2026-000001", "2026-12-31", "2026-12-31", "2026-12-31", "21")
    at(acme, 2026, 12, 31, 22, 0)  # 00:00 on 1 January 2027
    first = issue(acme, "--due-days", "0")
    assert dates(first) == ("INV2027-000001", "2027-01-01", "2027-01-01", "2027-01-01", "21")
    assert first["issued_at"] == "2026-12-31T22:00:00Z"  # the timestamp stays UTC
    at(acme, 2026, 12, 31, 22, 30)
    assert dates(issue(acme, "--due-days", "0"))[:2] == ("INV2027-000002", "2027-01-01")
    audit = acme("invoices", "series-audit", "--series", "INV", "-o", "json", "--fields", "year,issued,ok")
    assert audit.exit_code == 0, audit.stderr
    assert audit.json() == [{"year": 2026, "issued": 1, "ok": True}, {"year": 2027, "issued": 2, "ok": True}]
    listed = acme("invoices", "list", "--issued-from", "2027-01-01", "-o", "json", "--fields", "number")
    assert listed.json() == [{"number": "INV2027-000001"}, {"number": "INV2027-000002"}]
    shown = acme("invoices", "show", "INV2027-000001", "-o", "json").json()
    assert (shown["issue_date"], shown["issued_at"]) == ("2027-01-01", "2026-12-31T22:00:00Z")


def test_the_vat_rate_changes_at_local_midnight_in_summer(acme: Cli) -> None:
    at(acme, 2025, 7, 31, 20, 59)  # 23:59 EEST: the 19 % rate still applies
    before = issue(acme)
    assert dates(before) == ("INV2025-000001", "2025-07-31", "2025-07-31", "2025-08-14", "19")
    assert before["vat_cents"] == 1900
    at(acme, 2025, 7, 31, 21, 0)  # 00:00 on 1 August 2025: 21 %
    after = issue(acme)
    assert dates(after) == ("INV2025-000002", "2025-08-01", "2025-08-01", "2025-08-15", "21")
    assert after["vat_cents"] == 2100


def test_a_due_date_30_days_across_the_october_change(acme: Cli) -> None:
    at(acme, 2026, 10, 20, 22, 30)  # 01:30 on 21 October, EEST; clocks go back on 25 October
    assert dates(issue(acme, "--due-days", "30"))[1:4] == ("2026-10-21", "2026-10-21", "2026-11-20")


def test_the_overdue_sweep_counts_local_days(acme: Cli) -> None:
    issue(acme, "--due-days", "0")  # issued and due on 26 November 2026
    at(acme, 2026, 11, 26, 21, 59)  # 23:59 on the due date: not overdue yet
    assert acme("invoices", "mark-overdue", "-o", "json").json()["marked"] == 0
    assert acme("invoices", "list", "--overdue", "-o", "json").json() == []
    at(acme, 2026, 11, 26, 22, 0)  # 00:00 on 27 November
    assert acme("invoices", "list", "--overdue", "-o", "json", "--fields", "number").json() == [
        {"number": "INV2026-000001"}]
    swept = acme("invoices", "mark-overdue", "-o", "json").json()
    assert (swept["as_of"], swept["marked"]) == ("2026-11-27", 1)


def test_the_reminder_comes_at_local_midnight_not_utc(acme: Cli) -> None:
    issue(acme, "--due-days", "0")
    env = {"PRAHO_DUNNING_REMINDER_AFTER_DAYS": "15"}

    def reminders() -> list[int]:
        r = acme("--log-format", "json", "cron", "run", "--only", "invoices-overdue", "--only", "dunning", env=env)
        assert r.exit_code == 0, r.stderr
        return [json.loads(ln)["days_overdue"] for ln in r.stderr.splitlines() if '"dunning.reminder"' in ln]

    at(acme, 2026, 12, 10, 21, 59)  # 23:59 on 10 December in Bucharest: 14 days
    assert reminders() == []
    at(acme, 2026, 12, 10, 22, 0)  # 00:00 on 11 December: 15 days (UTC still says the 10th)
    assert reminders() == [15]


def test_a_utc_business_behaves_as_utc(acme: Cli) -> None:
    env = {"PRAHO_BUSINESS_TIMEZONE": "UTC"}
    at(acme, 2026, 12, 31, 22, 30)
    created = acme("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "--due-days", "0",
                   "-o", "json", env=env)
    issued = acme("invoices", "issue", created.json()["id"], "-o", "json", env=env)
    assert dates(issued.json())[:3] == ("INV2026-000001", "2026-12-31", "2026-12-31")
    at(acme, 2027, 1, 1, 0, 30)
    created = acme("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json", env=env)
    issued = acme("invoices", "issue", created.json()["id"], "-o", "json", env=env)
    assert dates(issued.json())[:2] == ("INV2027-000001", "2027-01-01")


def test_payments_and_credit_notes_take_the_local_date(acme: Cli) -> None:
    at(acme, 2026, 12, 31, 22, 15)
    issue(acme)
    paid = acme("payments", "record", "--invoice", "INV2027-000001", "--amount", "121", "-o", "json")
    assert paid.exit_code == 0, paid.stderr
    assert paid.json()["paid_at"] == "2027-01-01"
    refund = acme("refunds", "create", "--invoice", "INV2027-000001", "--amount", "12.10", "--reason", "Goodwill",
                  "-o", "json")
    assert refund.exit_code == 0, refund.stderr
    note = refund.json()["credit_note"]
    assert (note["number"], note["issue_date"]) == ("CN2027-000001", "2027-01-01")
    listed = acme("refunds", "list", "--from", "2027-01-01", "--to", "2027-01-01", "-o", "json", "--fields", "id")
    assert listed.json() == [{"id": refund.json()["id"]}]
    assert acme("refunds", "list", "--to", "2026-12-31", "-o", "json").json() == []
    # audit list --since DATE is the start of that day in Bucharest (22:00 UTC the evening before)
    since = acme("audit", "list", "--since", "2027-01-01", "-o", "json", "--fields", "action").json()
    assert {"action": "invoice.issue"} in since
    assert acme("audit", "list", "--since", "2027-01-02", "-o", "json").json() == []


def test_documents_dated_in_utc_by_an_older_praho_are_reported(acme: Cli) -> None:
    at(acme, 2026, 12, 1, 22, 30)  # 00:30 on 2 December in Bucharest
    issue(acme)
    engine = create_engine(acme.database_url or "")
    with engine.begin() as conn:  # what a praho that dated in UTC wrote
        conn.execute(text("UPDATE billing_documents SET issue_date = '2026-12-01' WHERE number = 1"))
    engine.dispose()
    before = table_dump(acme.database_url or "")
    audit = acme("invoices", "series-audit", "-o", "json", "--fields", "series,misdated,ok")
    assert audit.exit_code == 7
    assert audit.json() == [{"series": "INV", "misdated": ["INV2026-000001"], "ok": False}]
    assert "misdated ['INV2026-000001']" in audit.stderr
    assert table_dump(acme.database_url or "") == before  # reported, never rewritten


def test_a_bad_time_zone_is_a_configuration_error(acme: Cli) -> None:
    before = table_dump(acme.database_url or "")
    r = acme("invoices", "create", "--customer", "1", "--line", "X|1|1", env={"PRAHO_BUSINESS_TIMEZONE": "Mars/Base"})
    assert r.exit_code == 78
    assert r.stderr == ("error: PRAHO_BUSINESS_TIMEZONE: business.timezone: 'Mars/Base' is not an IANA time zone "
                        "name (for example Europe/Bucharest or UTC)\n")
    bad = acme("config", "set", "business.timezone", "Europe/Bucharestt")
    assert bad.exit_code != 0 and "business.timezone" in bad.stderr
    assert table_dump(acme.database_url or "") == before
    shown = acme("config", "show", "-o", "json")
    assert next(s for s in shown.json() if s["key"] == "business.timezone")["value"] == "Europe/Bucharest"
    assert shown.stderr == ("Timestamps are UTC; every date people read (issue, tax point, due, days overdue, date "
                            "filters, a number's year) is the date in business.timezone = Europe/Bucharest\n")


def test_a_process_starts_its_clock_at_praho_now(acme: Cli) -> None:
    env = acme.env(PRAHO_NOW="2026-12-31T22:30:00Z")
    created = praho_process(["invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json"], env)
    assert created.returncode == 0, created.stderr
    issued = praho_process(["invoices", "issue", json.loads(created.stdout)["id"], "-o", "json"], env)
    assert issued.returncode == 0, issued.stderr
    document = json.loads(issued.stdout)
    assert (document["number"], document["issue_date"]) == ("INV2027-000001", "2027-01-01")
    assert document["issued_at"].startswith("2026-12-31T22:30:")
    bad = praho_process(["invoices", "issue", "1"], acme.env(PRAHO_NOW="yesterday"))
    assert bad.returncode == 78
    assert bad.stderr.startswith("error: PRAHO_NOW: 'yesterday' is not an ISO 8601 instant with an offset")


def test_numbers_follow_the_calendar(acme: Cli) -> None:
    """Issue 19 item 3: a host whose clock went back must not number a document dated before the
    series' last one; series-audit reports any inversion already in a ledger."""
    at(acme, 2026, 12, 1, 10, 0)
    issue(acme)
    draft = acme("invoices", "create", "--customer", "1", "--line", "Hosting|1|100", "-o", "json").json()["id"]
    at(acme, 2026, 10, 20, 10, 0)  # the clock went back
    before = table_dump(acme.database_url or "")
    refused = acme("invoices", "issue", draft)
    assert refused.exit_code == 5
    assert refused.stderr == ("error: series INV: a document dated 2026-10-20 cannot be numbered after "
                              "INV2026-000001 of 2026-12-01: numbers follow the calendar (check this host's "
                              "clock and business.timezone)\n")
    assert table_dump(acme.database_url or "") == before
    at(acme, 2027, 1, 2, 10, 0)
    assert issue(acme)["number"] == "INV2027-000001"
    at(acme, 2026, 12, 31, 10, 0)  # back into last year, after the new year's first number
    late = acme("invoices", "issue", draft)
    assert late.exit_code == 5 and "cannot be numbered after the series' numbers of 2027" in late.stderr
    assert table_dump(acme.database_url or "") != before  # only the 2027 invoice was added
    at(acme, 2027, 1, 2, 12, 0)
    assert acme("invoices", "issue", draft, "-o", "json").json()["number"] == "INV2027-000002"


def test_series_audit_reports_numbers_out_of_date_order(acme: Cli) -> None:
    for day in (1, 2, 3):
        at(acme, 2026, 12, day, 10, 0)
        issue(acme)
    engine = create_engine(acme.database_url or "")
    with engine.begin() as conn:  # what an older praho let a host with a wrong clock write
        conn.execute(text("UPDATE billing_documents SET issue_date = '2026-11-20', "
                          "issued_at = '2026-11-20 10:00:00' WHERE number = 2"))
    engine.dispose()
    audit = acme("invoices", "series-audit", "-o", "json", "--fields", "series,out_of_order,ok")
    assert audit.exit_code == 7
    assert audit.json() == [{"series": "INV", "out_of_order": ["INV2026-000002"], "ok": False}]
    assert "out of date order ['INV2026-000002']" in audit.stderr
