from __future__ import annotations

import os
import stat
import tomllib


def test_init_show_get_set_round_trip(cli):
    r = cli("config", "init")
    assert r.exit_code == 0, r.stderr
    path = cli.home / "config" / "praho" / "config.toml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = cli("config", "init")
    assert again.exit_code == 5 and "already exists; pass --force" in again.stderr
    assert cli("config", "init", "--force").exit_code == 0
    assert cli("config", "path").stdout == f"{path}\n"
    assert cli("config", "set", "billing.due_days", "30").exit_code == 0
    assert cli("config", "get", "billing.due_days").stdout == "30\n"
    assert tomllib.loads(path.read_text())["billing"]["due_days"] == 30
    row = cli("config", "get", "billing.due_days", "--json").json()
    assert row == {"key": "billing.due_days", "value": 30, "source": "file", "secret": False}
    env_row = cli("config", "get", "billing.due_days", "--json", env={"PRAHO_BILLING_DUE_DAYS": "9"}).json()
    assert env_row["value"] == 9 and env_row["source"] == "env PRAHO_BILLING_DUE_DAYS"


def test_show_redacts_secrets_and_database_passwords(cli, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[servers.web1]\npassword = "hunter2"\n')
    cfg.chmod(0o600)
    r = cli("--config", str(cfg), "config", "show", "-o", "json",
            env={"PRAHO_DATABASE_URL": "postgresql+psycopg://praho:s3cret@db:5432/praho"})
    assert r.exit_code == 0, r.stderr
    rows = {row["key"]: row for row in r.json()}
    assert rows["servers.web1.password"] == {"key": "servers.web1.password", "value": "********", "source": "file",
                                             "secret": True}
    assert rows["database_url"]["value"] == "postgresql+psycopg://praho:***@db:5432/praho"
    assert "hunter2" not in r.stdout + r.stderr and "s3cret" not in r.stdout + r.stderr


def test_secret_values_are_refused_on_the_command_line(cli):
    r = cli("config", "set", "servers.web1.password", "hunter2")
    assert r.exit_code == 2
    assert "never taken from the command line" in r.stderr and "hunter2" not in r.stderr
    ok = cli("config", "set", "servers.web1.password_command", "pass show vmin/web1")
    assert ok.exit_code == 0


def test_set_rejects_unknown_keys_and_bad_values_alike_as_usage_errors(cli):
    """Both are bad input on the command line: exit 2, one line, and the file is not touched.
    Exit 78 stays for a config file or environment praho cannot use."""
    assert cli("config", "set", "billing.due_days", "30").exit_code == 0
    path = cli.home / "config" / "praho" / "config.toml"
    before = path.read_text()
    unknown = cli("config", "set", "billing.colour", "red")
    assert (unknown.exit_code, unknown.stderr) == (
        2, "error: unknown setting 'billing.colour'; `praho config show` lists them\n")
    bad = cli("config", "set", "billing.due_days", "soon")
    assert (bad.exit_code, bad.stderr) == (2, "error: billing.due_days must be int, got 'soon'\n")
    choice = cli("config", "set", "billing.rounding", "sideways")
    assert choice.exit_code == 2 and choice.stderr.startswith("error: billing.rounding must be one of ")
    assert path.read_text() == before
    from_env = cli("customers", "list", env={"PRAHO_BILLING_DUE_DAYS": "soon"})
    assert (from_env.exit_code, from_env.stderr) == (
        78, "error: PRAHO_BILLING_DUE_DAYS: billing.due_days must be int, got 'soon'\n")


def test_malformed_config_file_exits_78_with_file_and_line(cli, tmp_path):
    cfg = tmp_path / "broken.toml"
    cfg.write_text("[billing\ndue_days = 3\n")
    r = cli("--config", str(cfg), "customers", "list")
    assert r.exit_code == 78
    assert r.stderr.startswith(f"error: {cfg}:1: ")
    assert r.stderr.count("\n") == 1


def test_profiles_select_settings(cli, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[profiles.eu.billing]\ndefault_currency = "EUR"\n')
    r = cli("--config", str(cfg), "--profile", "eu", "config", "get", "billing.default_currency")
    assert r.stdout == "EUR\n"
    r = cli("--config", str(cfg), "config", "get", "billing.default_currency", env={"PRAHO_PROFILE": "eu"})
    assert r.stdout == "EUR\n"
    missing = cli("--config", str(cfg), "--profile", "us", "config", "show")
    assert missing.exit_code == 78 and "no profile 'us'" in missing.stderr


def test_amount_maximums_are_bounded(cli):
    r = cli("config", "set", "billing.max_line_amount", "0")
    assert (r.exit_code, r.stderr) == (2, "error: billing.max_line_amount: must be between 1 and "
                                          "1000000000000 (units of the document's currency)\n")
    assert cli("config", "set", "billing.max_document_amount", "5000000000").exit_code == 0
    assert cli("config", "get", "billing.max_document_amount").stdout == "5000000000\n"


def test_config_file_is_never_written_through_a_link(cli, tmp_path):
    """config init and config set write the config file like every private file: 0600 from creation,
    never through a symbolic link (a link's target would be replaced and chmod-ed)."""
    target = tmp_path / "elsewhere.toml"
    target.write_text("# someone else's file\n")
    target.chmod(0o644)
    link = tmp_path / "praho.toml"
    link.symlink_to(target)
    refused = f"error: config file {link} is a symbolic link; praho never writes through a link (remove it, or " \
              "give the real path)\n"
    for args in (("config", "init"), ("config", "init", "--force"), ("config", "set", "billing.due_days", "30")):
        r = cli("--config", str(link), *args)
        assert (r.exit_code, r.stderr) == (5, refused), args
    assert target.read_text() == "# someone else's file\n" and stat.S_IMODE(target.stat().st_mode) == 0o644


def test_config_init_is_private_under_any_umask(cli, tmp_path):
    path = tmp_path / "fresh" / "praho.toml"
    old = os.umask(0)
    try:
        assert cli("--config", str(path), "config", "init").exit_code == 0
        assert cli("--config", str(path), "config", "set", "billing.due_days", "30").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert tomllib.loads(path.read_text())["billing"]["due_days"] == 30


def test_show_names_the_source_of_each_secret_never_the_secret(cli, tmp_path):
    """A secret's row says where it comes from, in the order praho reads them (env first), and which
    source that overrides; the value stays redacted."""
    secret_file = tmp_path / "web2.pass"
    secret_file.write_text("from-a-file\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[servers.web1]\npassword = "hunter2"\n'
                   f'[servers.web2]\npassword_file = "{secret_file}"\n'
                   '[servers.web3]\npassword_command = "pass show vmin/web3"\n')
    cfg.chmod(0o600)
    env = {"PRAHO_SERVERS_WEB1_PASSWORD": "from-the-env"}
    r = cli("--config", str(cfg), "config", "show", "-o", "json", env=env)
    assert r.exit_code == 0, r.stderr
    rows = {row["key"]: row for row in r.json()}
    assert rows["servers.web1.password"] == {
        "key": "servers.web1.password", "value": "********", "source": "env PRAHO_SERVERS_WEB1_PASSWORD, overriding file",
        "secret": True}
    assert rows["servers.web2.password"]["source"] == f"file {secret_file} (servers.web2.password_file in file)"
    assert rows["servers.web3.password"]["source"] == "command (servers.web3.password_command in file)"
    assert {rows[k]["value"] for k in ("servers.web1.password", "servers.web2.password",
                                       "servers.web3.password")} == {"********"}
    env_file = cli("--config", str(cfg), "config", "get", "servers.web2.password", "--json",
                   env={"PRAHO_SERVERS_WEB2_PASSWORD_COMMAND": "echo x"}).json()
    assert env_file["source"] == ("command (env PRAHO_SERVERS_WEB2_PASSWORD_COMMAND), overriding file "
                                  f"{secret_file} (servers.web2.password_file in file)")
    out = r.stdout + r.stderr
    assert not any(s in out for s in ("hunter2", "from-the-env", "from-a-file"))
