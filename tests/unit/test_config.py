from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from praho_cli.config import files, schema
from praho_cli.config.settings import load
from praho_cli.result import ErrorCode, PrahoFailure


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"), **extra}


def test_defaults_without_a_file(tmp_path):
    settings = load(env_for(tmp_path))
    assert not settings.file_exists
    assert settings.path == tmp_path / "cfg" / "praho" / "config.toml"
    assert settings.get("billing.due_days") == 14
    assert settings.source("billing.due_days") == "default"


def test_precedence_flag_env_profile_file_default(tmp_path):
    cfg = write(tmp_path / "c.toml", """
log_format = "text"
actor = "from-file"
[billing]
due_days = 20
default_currency = "EUR"
[profiles.ci.billing]
due_days = 30
[profiles.ci]
actor = "from-profile"
""")
    env = env_for(tmp_path, PRAHO_CONFIG=str(cfg), PRAHO_BILLING_DUE_DAYS="40", PRAHO_PROFILE="ci")
    s = load(env, flags={"actor": "from-flag"})
    assert (s.get("actor"), s.source("actor")) == ("from-flag", "flag")
    assert (s.get("billing.due_days"), s.source("billing.due_days")) == (40, "env PRAHO_BILLING_DUE_DAYS")
    assert (s.get("billing.default_currency"), s.source("billing.default_currency")) == ("EUR", "file")
    assert s.get("billing.rounding") == "half_up"
    s2 = load(env_for(tmp_path, PRAHO_CONFIG=str(cfg)), profile_flag="ci")
    assert (s2.get("billing.due_days"), s2.source("billing.due_days")) == (30, "profile ci")
    assert (s2.get("actor"), s2.source("actor")) == ("from-profile", "profile ci")


def test_malformed_file_names_file_and_line(tmp_path):
    cfg = write(tmp_path / "c.toml", 'actor = "x"\nlog_format = \n')
    with pytest.raises(PrahoFailure) as info:
        load(env_for(tmp_path), config_flag=str(cfg))
    assert info.value.error.code == ErrorCode.CONFIG
    assert info.value.error.message.startswith(f"{cfg}:2: ")
    assert info.value.error.exit_code == 78


def test_unknown_key_is_reported_with_a_suggestion(tmp_path):
    cfg = write(tmp_path / "c.toml", '\n[billing]\ndue_dayz = 3\n')
    with pytest.raises(PrahoFailure) as info:
        load(env_for(tmp_path), config_flag=str(cfg))
    assert info.value.error.message == f"{cfg}:3: unknown setting 'billing.due_dayz' (did you mean 'billing.due_days'?)"


def test_unknown_key_in_an_unused_profile_is_still_reported(tmp_path):
    cfg = write(tmp_path / "c.toml", '[profiles.old]\nbogus = 1\n')
    with pytest.raises(PrahoFailure) as info:
        load(env_for(tmp_path), config_flag=str(cfg))
    assert "unknown setting 'bogus' in profile 'old'" in info.value.error.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[billing]\ndue_days = "ten"\n', "billing.due_days must be int, got str"),
        ('no_input = 1\n', "no_input must be bool, got int"),
        ('log_format = "xml"\n', "log_format must be one of text, json, got 'xml'"),
    ],
)
def test_wrong_types_and_choices(tmp_path, text, needle):
    cfg = write(tmp_path / "c.toml", text)
    with pytest.raises(PrahoFailure) as info:
        load(env_for(tmp_path), config_flag=str(cfg))
    assert needle in info.value.error.message


def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(PrahoFailure) as info:
        load(env_for(tmp_path, PRAHO_BILLING_DUE_DAYS="soon"))
    assert info.value.error.message == "PRAHO_BILLING_DUE_DAYS: billing.due_days must be int, got 'soon'"


def test_missing_explicit_file_and_missing_profile(tmp_path):
    with pytest.raises(PrahoFailure, match="does not exist"):
        load(env_for(tmp_path), config_flag=str(tmp_path / "nope.toml"))
    cfg = write(tmp_path / "c.toml", "[profiles.a]\n")
    with pytest.raises(PrahoFailure, match=r"no profile 'b' \(profiles: a\)"):
        load(env_for(tmp_path), config_flag=str(cfg), profile_flag="b")


def test_secret_sources_in_precedence_order(tmp_path):
    secret_file = write(tmp_path / "pw.txt", "from-file\nsecond line ignored\n")
    cfg = write(tmp_path / "c.toml", f'[servers.web1]\npassword_file = "{secret_file}"\n'
                f'[servers.web2]\npassword_command = "{sys.executable} -c \'print(42 * 2)\'"\n'
                '[servers.web3]\npassword = "inline"\n')
    s = load(env_for(tmp_path), config_flag=str(cfg))
    assert s.secret("servers.web1.password") == "from-file"
    assert s.secret("servers.web2.password") == "84"
    assert s.secret("servers.web3.password") == "inline"
    assert s.secret("servers.web4.password") is None
    s_env = load(env_for(tmp_path, PRAHO_SERVERS_WEB1_PASSWORD="from-env"), config_flag=str(cfg))
    assert s_env.secret("servers.web1.password") == "from-env"
    assert "from-file" not in repr(s) and "inline" not in repr(s)


def test_failing_secret_command_does_not_leak_its_output(tmp_path):
    cfg = write(tmp_path / "c.toml", f'[servers.web1]\npassword_command = "{sys.executable} -c '
                "'import sys; print(\\\"hunter2\\\"); sys.exit(3)'\"\n")
    s = load(env_for(tmp_path), config_flag=str(cfg))
    with pytest.raises(PrahoFailure) as info:
        s.secret("servers.web1.password")
    assert info.value.error.code == ErrorCode.CONFIG
    assert "status 3" in info.value.error.message
    assert "hunter2" not in info.value.error.message


def test_world_readable_file_with_a_secret_warns(tmp_path):
    cfg = write(tmp_path / "c.toml", '[servers.web1]\npassword = "x"\n', mode=0o644)
    s = load(env_for(tmp_path), config_flag=str(cfg))
    assert len(s.warnings) == 1 and "chmod 600" in s.warnings[0]
    cfg.chmod(0o600)
    assert load(env_for(tmp_path), config_flag=str(cfg)).warnings == []


def test_set_value_keeps_comments_and_other_settings(tmp_path):
    path = tmp_path / "c.toml"
    files.write_private(path, files.starter_file())
    files.set_value(path, "billing.due_days", 30)
    files.set_value(path, "actor", "ops")
    files.set_value(path, "seller.name", "Hosting SRL")
    text = path.read_text()
    doc = tomllib.loads(text)
    assert doc["billing"]["due_days"] == 30
    assert doc["actor"] == "ops"
    assert doc["seller"]["name"] == "Hosting SRL"
    assert "# Days from issue to due date" in text  # the starter's comments survive
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    files.set_value(path, "billing.due_days", 45)
    assert tomllib.loads(path.read_text())["billing"]["due_days"] == 45
    assert path.read_text().count("due_days = ") == 1


def test_set_value_into_a_profile_and_a_new_file(tmp_path):
    path = tmp_path / "new.toml"
    files.set_value(path, "billing.due_days", 7, profile="staging")
    files.set_value(path, "output", "json")
    doc = tomllib.loads(path.read_text())
    assert doc == {"output": "json", "profiles": {"staging": {"billing": {"due_days": 7}}}}


def test_starter_file_parses_and_documents_every_setting():
    text = files.starter_file()
    sections = {s.section.split(".")[0] for s in schema.SETTINGS if s.section and "*" not in s.section}
    assert set(tomllib.loads(text)) == sections  # every table declared once, nothing set
    for setting in schema.SETTINGS:
        assert f"{setting.leaf}" in text
        assert setting.description.split(".")[0][:40] in text


def test_config_example_is_current():
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    assert example.read_text() == files.starter_file(), "regenerate: python -m praho_cli.gendocs"


def test_remove_section_keeps_every_other_line(tmp_path: Path) -> None:
    from praho_cli.config.files import has_section, remove_section

    path = tmp_path / "config.toml"
    path.write_text('# mine\nlog_level = "info"\n\n[servers.vm1]\nusername = "a"\n\n[servers.vm2]\n'
                    'username = "b"\n\n[servers.vm2.extra]\nx = 1\n\n[drift]\n# keep me\nparallel = 8\n')
    assert has_section(path, "servers.vm2") and not has_section(path, "servers.vm3")
    remove_section(path, "servers.vm2")
    assert path.read_text() == ('# mine\nlog_level = "info"\n\n[servers.vm1]\nusername = "a"\n\n[drift]\n'
                                '# keep me\nparallel = 8\n')
    assert path.stat().st_mode & 0o777 == 0o600
    dotted = tmp_path / "dotted.toml"
    dotted.write_text('servers.vm2.username = "b"\nservers.vm1.username = "a"\n')
    remove_section(dotted, "servers.vm2")
    assert tomllib.loads(dotted.read_text()) == {"servers": {"vm1": {"username": "a"}}}
