from __future__ import annotations

from tests.conftest import table_dump


def test_usage_errors_are_one_line_exit_2(cli):
    r = cli("customers", "add", "--bogus")
    assert (r.exit_code, r.stderr) == (2, "error: No such option: --bogus (see 'praho customers add --help')\n")
    r = cli("frobnicate")
    assert r.exit_code == 2 and r.stderr.startswith("error: No such command 'frobnicate'.")


def test_bad_output_format(cli):
    r = cli("customers", "list", "-o", "xml")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "'xml'" in r.stderr


def test_unreachable_or_wrong_database_url(cli):
    bad = cli("customers", "list", env={"PRAHO_DATABASE_URL": "mysql://x@y/z"})
    assert (bad.exit_code, bad.stderr) == (78, "error: database_url uses 'mysql'; praho supports sqlite and postgresql\n")
    garbage = cli("customers", "list", env={"PRAHO_DATABASE_URL": "not a url"})
    assert garbage.exit_code == 78 and "not a valid database URL" in garbage.stderr
    down = cli("customers", "list", env={"PRAHO_DATABASE_URL": "postgresql+psycopg://praho:pw123@127.0.0.1:1/x"})
    assert down.exit_code == 69
    assert down.stderr == "error: cannot connect to the database at postgresql+psycopg://praho:***@127.0.0.1:1/x\n"


def test_missing_schema_and_out_of_date_schema_exit_78(cli, tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    r = cli("customers", "list", env={"PRAHO_DATABASE_URL": empty})
    assert r.exit_code == 78
    assert "has no schema yet; run `praho init`" in r.stderr
    from sqlalchemy import create_engine, text

    engine = create_engine(cli.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    r = cli("customers", "list")
    assert r.exit_code == 78 and "run `praho db upgrade`" in r.stderr


def test_bad_input_never_changes_the_ledger(cli, tmp_path):
    before = table_dump(cli.database_url)
    broken = tmp_path / "broken.toml"
    broken.write_text("output = \n")
    attempts = [
        cli("--config", str(broken), "customers", "add", "--name", "A", "--email", "a@a.ro"),
        cli("customers", "add", "--name", "A", "--email", "a@a.ro", "--cui", "123"),
        cli("customers", "add", "--name", "A", "--email", "a@a.ro", "--fields", "nope"),
        cli("customers", "add", "--name", "A", "--email", "not-an-email"),
        cli("customers", "add", "--name", "A", "--email", "a@a.ro", env={"PRAHO_BILLING_DUE_DAYS": "x"}),
    ]
    assert [a.exit_code for a in attempts] == [78, 2, 2, 2, 78]
    assert all(a.stdout == "" and a.stderr.count("\n") == 1 for a in attempts)
    assert table_dump(cli.database_url) == before


def test_destructive_confirmation_needs_yes_without_a_terminal(cli):
    import io

    from praho_cli.cli.context import AppContext
    from praho_cli.output.streams import Environment
    from praho_cli.result import PrahoFailure

    app = AppContext(Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO(), environ={},
                                 stdin_isatty=False, stdout_isatty=False, stderr_isatty=False))
    try:
        app.confirm("Delete account example.ro?", yes=False)
    except PrahoFailure as failure:
        assert failure.error.exit_code == 3
        assert failure.error.message == "Delete account example.ro? — needs confirmation; pass --yes to proceed"
    else:
        raise AssertionError("confirm must refuse without a terminal")
    app.confirm("Delete?", yes=True)


def test_help_exit_codes_table(cli):
    r = cli("help", "exit-codes", "-o", "json")
    codes = [row["code"] for row in r.json()]
    assert codes == [0, 1, 2, 3, 4, 5, 6, 7, 69, 75, 77, 78, 130]


def test_unexpected_errors_are_one_line_and_traceback_only_with_debug(cli, monkeypatch):
    from praho_cli.services.billing import customers

    def boom(*args, **kwargs):
        raise RuntimeError("secret-looking detail")

    monkeypatch.setattr(customers, "list_customers", boom)
    r = cli("customers", "list")
    assert r.exit_code == 1
    assert r.stderr == "error: unexpected internal error (RuntimeError); run again with --debug for the traceback\n"
    d = cli("--debug", "customers", "list")
    assert d.exit_code == 1 and "Traceback" in d.stderr
    assert d.stderr.endswith("\nerror: unexpected internal error (RuntimeError); the traceback is above\n")
    assert "run again with --debug" not in d.stderr


def test_library_log_records_follow_the_message_policy(cli, monkeypatch):
    import logging

    from praho_cli.services.billing import customers

    real = customers.list_customers

    def noisy(*args, **kwargs):
        logging.getLogger("praho_cli.virtualmin.http").warning("server vm1 uses plain http")
        return real(*args, **kwargs)

    monkeypatch.setattr(customers, "list_customers", noisy)
    text = cli("customers", "list")
    assert text.stderr == "warning: server vm1 uses plain http\n"
    as_json = cli("--log-format", "json", "customers", "list")
    import json

    record = json.loads(as_json.stderr)
    assert (record["level"], record["event"], record["message"]) == ("warning", "virtualmin.http",
                                                                   "server vm1 uses plain http")


def test_sim_virtualmin_help_is_praho_help_without_a_state_file(cli):
    r = cli("sim", "virtualmin", "--help")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.startswith("Usage: praho sim virtualmin [--state PATH] PROGRAM [ARGS]...\n")
    assert "--state PATH" in r.stdout and "Example: praho sim virtualmin" in r.stdout
    # After PROGRAM, --help belongs to the simulated command, which needs its state file.
    r = cli("sim", "virtualmin", "list-domains", "--help")
    assert (r.exit_code, r.stderr) == (78, "error: No simulator state file: pass --state or set PRAHO_SIM_STATE\n")


def test_verbose_shows_a_failures_details_as_lines_or_in_the_json_event(cli):
    import json

    plain = cli("customers", "add", "--name", "A", "--email", "not-an-email")
    verbose = cli("-v", "customers", "add", "--name", "A", "--email", "not-an-email")
    assert (plain.exit_code, verbose.exit_code) == (2, 2)
    assert verbose.stderr == plain.stderr + "  field: email\n"
    quiet_json = json.loads(cli("--log-format", "json", "customers", "add", "--name", "A",
                                "--email", "not-an-email").stderr)
    verbose_json = json.loads(cli("-v", "--log-format", "json", "customers", "add", "--name", "A",
                                  "--email", "not-an-email").stderr)
    assert "details" not in quiet_json
    assert verbose_json["details"] == {"field": "email"}
    assert {k: v for k, v in verbose_json.items() if k not in ("details", "ts", "run_id")} == {
        k: v for k, v in quiet_json.items() if k not in ("ts", "run_id")}
