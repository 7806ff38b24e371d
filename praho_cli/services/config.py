"""Showing and changing configuration (the file, not the ledger)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from praho_cli.config import schema
from praho_cli.config.files import set_value, starter_file
from praho_cli.config.settings import Settings, coerce
from praho_cli.ledger.engine import redact_url
from praho_cli.private_files import write_private
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result

SETTING = RecordType(
    name="setting",
    title="Setting",
    fields=(
        Field("key", "string", "Dotted setting name."),
        Field("value", "string|integer|number|boolean|null", "Effective value; secrets are shown as ******** "
              "when set."),
        Field("source", "string", "Where the value comes from: default, file, profile NAME, env VAR, flag; for a "
              "secret, also file PATH or command (and which source it overrides)."),
        Field("secret", "boolean", "Whether the value is a secret (never shown)."),
    ),
)
REDACTED = "********"


def _display(key: str, settings: Settings) -> dict[str, Any]:
    found = schema.find(key)
    secret = bool(found and found[0].secret and found[1] == "value")
    if secret:
        # Which source the secret comes from (env overriding a file, a command, a file); never the secret.
        origin = settings.secret_source(key)
        shown: Any = REDACTED if origin else None
        source = origin or "default"
    else:
        shown = settings.get(key)
        source = settings.source(key)
        if key == "database_url" and shown:
            shown = redact_url(str(shown))
    return {"key": key, "value": shown, "source": source, "secret": secret}


def _secret_base(key: str) -> str | None:
    """``servers.web1.password`` for ``servers.web1.password_file`` or ``…_command``; else None."""
    found = schema.find(key)
    if found and found[0].secret and found[1] != "value":
        return key.removesuffix(found[1])
    return None


@returns_result
def show(settings: Settings) -> list[dict[str, Any]]:
    keys = [s.key for s in schema.SETTINGS if "*" not in s.key]
    configured = settings.configured_keys()
    for k in configured:
        base = _secret_base(k)
        if base and base not in configured:  # the secret a _file/_command source provides gets its own row
            configured.append(base)
    keys += [k for k in sorted(configured) if k not in keys]
    return [_display(k, settings) for k in keys]


@returns_result
def get(settings: Settings, key: str) -> dict[str, Any]:
    found = schema.find(key)
    if found is None:
        raise fail(ErrorCode.INVALID, f"unknown setting {key!r}; `praho config show` lists them")
    if "*" in key:
        raise fail(ErrorCode.INVALID, f"{key!r} is a pattern; name the server, e.g. servers.web1.username")
    return _display(key, settings)


@returns_result
def set_(settings: Settings, key: str, raw: str) -> dict[str, Any]:
    found = schema.find(key)
    if found is None:
        raise fail(ErrorCode.INVALID, f"unknown setting {key!r}; `praho config show` lists them")
    setting, how = found
    if "*" in key:
        raise fail(ErrorCode.INVALID, f"{key!r} is a pattern; name the server, e.g. servers.web1.username")
    if how == "value" and setting.secret:
        raise fail(ErrorCode.INVALID, f"{key} is a secret and is never taken from the command line (it would stay "
                   f"in your shell history); set {key}_file or {key}_command, or {schema.env_name(key)}")
    # Like an unknown key, a value of the wrong type is bad input on the command line (exit 2);
    # exit 78 is for a config file or environment that praho cannot use.
    value: Any = raw if how != "value" else coerce(setting, raw, None, code=ErrorCode.INVALID, setting_it=True)
    set_value(settings.path, key, value, settings.profile)
    return {"key": key, "value": value, "source": f"profile {settings.profile}" if settings.profile else "file",
            "secret": False}


@returns_result
def init_file(path: Path, force: bool) -> dict[str, Any]:
    """The starter file, mode 0600; an existing file only with ``force``, a symbolic link never."""
    write_private(path, starter_file(), what="config file", replace=force)
    return {"path": str(path)}
