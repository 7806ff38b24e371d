from __future__ import annotations

import json
import re

import pytest

from tests.conftest import table_dump

ACME = ["customers", "add", "--name", "Acme SRL", "--email", "Billing@Acme.ro", "--cui", "RO18547290",
        "--reg-com", "J40/372/2002", "--city", "București"]


def test_add_prints_the_record_as_exact_json_and_a_message_on_stderr(cli):
    r = cli(*ACME, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {
        "id": "1", "kind": "company", "name": "Acme SRL", "email": "billing@acme.ro", "country": "RO",
        "address": None, "city": "București", "postal_code": None, "county": None, "currency": "RON",
        "cui": "18547290",
        "vat_payer": True, "reg_com": "J40/372/2002", "cnp": None, "vat_number": None,
        "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z", "version": 1,
    }
    assert r.stderr == "✓ Added customer 1 (Acme SRL)\n"


def test_piped_list_is_tsv_without_ansi_and_tty_list_is_a_table(cli):
    cli(*ACME)
    cli("customers", "add", "--name", "Ion Pop", "--email", "ion@pop.ro", "--kind", "individual",
        "--cnp", "1630615123457")
    piped = cli("customers", "list", "--fields", "id,name,email,kind")
    assert piped.exit_code == 0
    assert piped.stdout == "1\tAcme SRL\tbilling@acme.ro\tcompany\n2\tIon Pop\tion@pop.ro\tindividual\n"
    assert "\x1b[" not in piped.stdout
    tty = cli("customers", "list", tty=True)
    assert tty.exit_code == 0
    assert "\x1b[1m" in tty.stdout  # bold headers on a terminal
    lines = re.sub(r"\x1b\[[0-9;]*m", "", tty.stdout).splitlines()
    assert lines[0].split()[:3] == ["id", "kind", "name"]
    assert "Acme SRL" in tty.stdout and "Ion Pop" in tty.stdout


def test_list_filters_and_jsonl(cli):
    cli(*ACME)
    cli("customers", "add", "--name", "Beta GmbH", "--email", "b@beta.de", "--country", "DE",
        "--vat-number", "DE 136 695 976", "--currency", "EUR")
    r = cli("customers", "list", "--country", "de", "-o", "jsonl", "--fields", "id,vat_number,vat_payer,currency")
    assert r.jsonl() == [{"id": "2", "vat_number": "DE136695976", "vat_payer": True, "currency": "EUR"}]
    r = cli("customers", "list", "--name", "acme", "--json", "--fields", "id")
    assert r.json() == [{"id": "1"}]
    empty = cli("customers", "list", "--name", "nobody", "--json")
    assert (empty.exit_code, empty.json()) == (0, [])


def test_show_by_id_and_by_email(cli):
    cli(*ACME)
    assert cli("customers", "show", "1", "--json").json()["email"] == "billing@acme.ro"
    assert cli("customers", "show", "BILLING@acme.ro", "--json").json()["id"] == "1"
    missing = cli("customers", "show", "nobody@x.ro")
    assert (missing.exit_code, missing.stdout) == (4, "")
    assert missing.stderr == "error: no customer 'nobody@x.ro' (give an id or an e-mail address)\n"


def test_update_changes_bumps_version_and_audits(cli):
    cli(*ACME)
    r = cli("customers", "update", "1", "--city", "Cluj-Napoca", "--postal-code", "400001", "--json")
    assert r.exit_code == 0, r.stderr
    assert (r.json()["city"], r.json()["version"]) == ("Cluj-Napoca", 2)
    stale = cli("customers", "update", "1", "--city", "Iași", "--if-version", "1")
    assert stale.exit_code == 5
    assert "is at version 2, not 1" in stale.stderr
    events = cli("audit", "list", "--entity", "customer:1", "-o", "json").json()
    assert [e["action"] for e in events] == ["customer.create", "customer.update"]
    assert events[1]["before"]["city"] == "București" and events[1]["after"]["city"] == "Cluj-Napoca"
    assert events[1]["actor"] == "tester"


def test_duplicate_email_is_a_conflict(cli):
    cli(*ACME)
    r = cli("customers", "add", "--name", "Other", "--email", "billing@ACME.ro")
    assert r.exit_code == 5
    assert r.stderr == "error: a customer with e-mail billing@acme.ro already exists\n"


def test_idempotency_key_replays_and_refuses_other_parameters(cli):
    first = cli(*ACME, "--idempotency-key", "k-1", "--json")
    again = cli(*ACME, "--idempotency-key", "k-1", "--json")
    assert first.exit_code == again.exit_code == 0
    assert first.json() == again.json()
    assert len(cli("customers", "list", "--json").json()) == 1
    other = cli("customers", "add", "--name", "Other", "--email", "o@x.ro", "--idempotency-key", "k-1")
    assert other.exit_code == 5
    assert "idempotency key 'k-1' was already used by customers.add" in other.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cui", "18547291"], "error: cui: '18547291' is not a valid Romanian CUI/CIF (check digit)\n"),
        (["--kind", "individual", "--cnp", "1630615123456"], "error: cnp: '1630615123456' is not a valid Romanian CNP\n"),
        (["--vat-number", "DE136695977", "--country", "DE"], "error: vat_number: 'DE136695977' is not a valid EU VAT number\n"),
        (["--reg-com", "X99/1/1"], "error: reg_com: 'X99/1/1' is not a valid trade register number (e.g. J40/372/2002)\n"),
        (["--country", "XX"], "error: country: 'XX' is not an ISO 3166 alpha-2 code\n"),
        (["--kind", "robot"], "error: kind: must be company or individual, not 'robot'\n"),
        (["--currency", "EURO"], "error: currency: 'EURO' is not an ISO 4217 code\n"),
        (["--country", "DE", "--cui", "RO18547290"], "error: cui/cnp/reg_com are Romanian identifiers; the customer's "
         "country is DE\n"),
    ],
)
def test_bad_identifiers_exit_2_name_the_field_and_change_nothing(cli, args, message):
    before = table_dump(cli.database_url)
    r = cli("customers", "add", "--name", "X", "--email", "x@x.ro", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", message)
    assert table_dump(cli.database_url) == before


@pytest.mark.parametrize(("args", "message"), [
    (["--name", "Acme\tSRL", "--email", "x@x.ro"], "error: name: must not contain a tab (U+0009)\n"),
    (["--name", "Acme SRL\n", "--email", "x@x.ro"], "error: name: must not contain a newline (U+000A)\n"),
    (["--name", "Acme", "--email", "x@x.ro", "--address", "Str. A 1\r\nX"],
     "error: address: must not contain a carriage return (U+000D)\n"),
])
def test_control_characters_in_names_are_refused(cli, args, message):
    before = table_dump(cli.database_url)
    r = cli("customers", "add", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", message)
    assert table_dump(cli.database_url) == before


def test_unknown_field_is_rejected_before_anything_is_written(cli):
    before = table_dump(cli.database_url)
    r = cli(*ACME, "--fields", "id,colour")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: unknown field 'colour' for customer; valid fields: id, kind, name")
    assert table_dump(cli.database_url) == before


def test_missing_required_option(cli):
    r = cli("customers", "add", "--email", "x@x.ro")
    assert (r.exit_code, r.stderr) == (2, "error: name: is required\n")


def test_jsonl_streams_from_the_ledger(cli):
    for i in range(25):
        assert cli("customers", "add", "--name", f"C{i}", "--email", f"c{i}@x.ro").exit_code == 0
    rows = cli("customers", "list", "-o", "jsonl", "--fields", "id").jsonl()
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 26)]


def test_praho_output_env_sets_the_default_format(cli):
    cli(*ACME)
    r = cli("customers", "list", "--fields", "id,name", env={"PRAHO_OUTPUT": "csv"})
    assert r.stdout == "id,name\n1,Acme SRL\n"


def test_log_format_json_writes_json_lines_on_stderr(cli):
    r = cli("--log-format", "json", *ACME, "--json")
    assert r.exit_code == 0
    event = json.loads(r.stderr)
    assert event["level"] == "info" and event["event"] == "customer.added" and event["id"] == "1"
    assert event["ts"] == "2026-11-26T10:00:00Z" and len(event["run_id"]) == 12
    bad = cli("--log-format", "json", "customers", "show", "99")
    assert json.loads(bad.stderr)["code"] == "not_found" and json.loads(bad.stderr)["exit_code"] == 4


def test_quiet_silences_messages_but_not_data(cli):
    r = cli("-q", *ACME, "-o", "json")
    assert r.stderr == "" and r.json()["id"] == "1"


def test_no_color_on_a_terminal_keeps_the_table_plain(cli):
    cli(*ACME)
    coloured = cli("customers", "list", tty=True)
    plain = cli("customers", "list", tty=True, env={"NO_COLOR": "1"})
    assert "\x1b[" in coloured.stdout
    assert "\x1b[" not in plain.stdout
    message = cli("customers", "add", "--name", "B", "--email", "b@b.ro", tty=True, env={"NO_COLOR": "1"})
    assert message.stderr == "✓ Added customer 2 (B)\n"


def test_actor_flag_is_recorded_in_the_audit_trail(cli):
    cli("--actor", "ana@ops", *ACME)
    events = cli("audit", "list", "-o", "json").json()
    assert events[0]["actor"] == "ana@ops"
    assert cli("audit", "list", "--actor-name", "nobody", "-o", "json").json() == []


def test_no_input_from_the_environment_refuses_to_prompt(cli):
    import io

    from praho_cli.cli.context import AppContext
    from praho_cli.output.streams import Environment
    from praho_cli.result import PrahoFailure

    env = Environment(stdin=io.StringIO("y\n"), stdout=io.StringIO(), stderr=io.StringIO(),
                      environ={"PRAHO_NO_INPUT": "1"}, stdin_isatty=True, stdout_isatty=True, stderr_isatty=True)
    app = AppContext(env)
    with pytest.raises(PrahoFailure) as info:
        app.confirm("Suspend example.ro?", yes=False)
    assert info.value.error.exit_code == 3
    asking = AppContext(Environment(stdin=io.StringIO("y\n"), stdout=io.StringIO(), stderr=io.StringIO(), environ={},
                                    stdin_isatty=True, stdout_isatty=True, stderr_isatty=True))
    asking.confirm("Suspend example.ro?", yes=False)  # answered "y" on a terminal
    declined = AppContext(Environment(stdin=io.StringIO("n\n"), stdout=io.StringIO(), stderr=io.StringIO(),
                                      environ={}, stdin_isatty=True, stdout_isatty=True, stderr_isatty=True))
    with pytest.raises(PrahoFailure, match="cancelled: nothing was changed"):
        declined.confirm("Suspend example.ro?", yes=False)
