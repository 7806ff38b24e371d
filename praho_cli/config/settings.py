"""Effective settings: flag > PRAHO_* environment > profile > file > defaults.

Every value remembers where it came from, so ``praho config show`` can say so. Secrets are resolved
only when asked for (``Settings.secret``), never stored in a repr, never shown.
"""

from __future__ import annotations

import difflib
import os
import shlex
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from praho_cli.config import schema
from praho_cli.config.files import find_key_line, read_toml
from praho_cli.result import ErrorCode, PrahoFailure

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def default_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "praho" / "config.toml"


def default_data_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(base) / "praho"


@dataclass(frozen=True)
class Sourced:
    value: Any
    source: str  # "default", "file", "profile NAME", "env PRAHO_X", "flag --x"


def _config_error(message: str, **details: Any) -> PrahoFailure:
    return PrahoFailure.of(ErrorCode.CONFIG, message, **details)


def coerce(setting: schema.Setting, raw: Any, where: str | None, typed: bool = False,
           code: ErrorCode = ErrorCode.CONFIG, *, setting_it: bool = False) -> Any:
    """Check a value from a file (``typed``: TOML already has types) or from text (env, flags).

    A bad value is a configuration error (78) where it was read from (``where``: the file and key, the
    variable); ``config set`` passes ``where=None`` and ``code=INVALID``: there it is bad input (2).
    ``setting_it``: the value is being set (`config set`), so the setting's ``set_check`` runs too.
    """
    at = f"{where}: " if where else ""

    def bad(message: str) -> PrahoFailure:
        return PrahoFailure.of(code, at + message)

    expected = setting.type
    value = raw
    if isinstance(raw, str) and expected is not str and not typed:
        text = raw.strip().lower()
        try:
            if expected is bool:
                if text not in TRUE_WORDS | FALSE_WORDS:
                    raise ValueError(raw)
                value = text in TRUE_WORDS
            elif expected is int:
                value = int(text)
            elif expected is float:
                value = float(text)
        except ValueError:
            raise bad(f"{setting.key} must be {expected.__name__}, got {raw!r}") from None
    ok = (
        isinstance(value, bool) if expected is bool
        else (isinstance(value, int) and not isinstance(value, bool)) if expected is int
        else (isinstance(value, int | float) and not isinstance(value, bool)) if expected is float
        else isinstance(value, expected)
    )
    if not ok:
        raise bad(f"{setting.key} must be {expected.__name__}, got {type(value).__name__}")
    if expected is float:
        value = float(value)
    if setting.choices and value not in setting.choices:
        shown = ", ".join(c for c in setting.choices if c) or "(empty)"
        raise bad(f"{setting.key} must be one of {shown}, got {value!r}")
    for check in (setting.check, setting.set_check if setting_it else None):
        if check is not None:
            try:
                check(value)
            except ValueError as exc:
                raise bad(f"{setting.key}: {exc}") from None
    return value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _suggest(key: str) -> str:
    known = [s.key for s in schema.SETTINGS if "*" not in s.key]
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_table(path: Path, text: str, table: Mapping[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in _flatten(table):
        found = schema.find(key)
        line = find_key_line(text, key)
        at = f"{path}:{line}" if line else str(path)
        if found is None:
            raise _config_error(f"{at}: unknown setting {key!r}{where}{_suggest(key)}", file=str(path))
        setting, how = found
        values[key] = raw if how != "value" else coerce(setting, raw, at, typed=True)
        if how != "value" and not isinstance(raw, str):
            raise _config_error(f"{at}: {key} must be a string")
    return values


@dataclass
class Settings:
    path: Path
    file_exists: bool
    profile: str | None
    environ: Mapping[str, str]
    layers: dict[str, Sourced] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # never let a resolved secret reach a traceback or a log
        return f"Settings(path={str(self.path)!r}, profile={self.profile!r})"

    def get(self, key: str) -> Any:
        if key in self.layers:
            return self.layers[key].value
        found = schema.find(key)
        if found is None:
            raise KeyError(key)
        return found[0].default

    def source(self, key: str) -> str:
        return self.layers[key].source if key in self.layers else "default"

    def configured_keys(self) -> list[str]:
        return sorted(self.layers)

    def secret(self, key: str) -> str | None:
        """Resolve a secret from env, file, KEY_file or KEY_command, in precedence order."""
        env = self.environ
        name = schema.env_name(key)
        if env.get(name):
            return env[name]
        if env.get(name + "_FILE"):
            return read_secret_file(Path(env[name + "_FILE"]), f"{name}_FILE")
        if env.get(name + "_COMMAND"):
            return run_secret_command(env[name + "_COMMAND"], f"{name}_COMMAND")
        for layer_key, reader in (
            (key, None),
            (key + "_file", read_secret_file),
            (key + "_command", run_secret_command),
        ):
            if layer_key in self.layers and self.layers[layer_key].value:
                raw = self.layers[layer_key].value
                where = f"{layer_key} ({self.layers[layer_key].source})"
                if reader is None:
                    return str(raw)
                if reader is read_secret_file:
                    return read_secret_file(Path(os.path.expanduser(raw)), where)
                return run_secret_command(str(raw), where)
        return None

    def secret_source(self, key: str) -> str | None:
        """Where :meth:`secret` would take the secret from, in the same precedence order, without
        reading it: "env NAME", "file PATH (from WHERE)", "command (from WHERE)", or the source of a
        value in the file; a source it overrides is named. None: the secret is not set."""
        env = self.environ
        name = schema.env_name(key)
        found: list[str] = []
        if env.get(name):
            found.append(f"env {name}")
        if env.get(name + "_FILE"):
            found.append(f"file {env[name + '_FILE']} (env {name}_FILE)")
        if env.get(name + "_COMMAND"):
            found.append(f"command (env {name}_COMMAND)")
        for layer_key in (key, key + "_file", key + "_command"):
            layer = self.layers.get(layer_key)
            if layer is None or not layer.value:
                continue
            if layer_key == key:
                found.append(layer.source)
            elif layer_key.endswith("_file"):
                found.append(f"file {layer.value} ({layer_key} in {layer.source})")
            else:
                found.append(f"command ({layer_key} in {layer.source})")
        if not found:
            return None
        return found[0] + (f", overriding {'; '.join(found[1:])}" if len(found) > 1 else "")

    def has_secret(self, key: str) -> bool:
        name = schema.env_name(key)
        if any(self.environ.get(name + s) for s in ("", "_FILE", "_COMMAND")):
            return True
        return any(self.layers.get(key + s) and self.layers[key + s].value for s in ("", "_file", "_command"))


def read_secret_file(path: Path, where: str) -> str:
    """A secret file's first line; ``where`` names its source in the exit-78 error when it cannot be read."""
    try:
        first = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise _config_error(f"{where}: cannot read secret file {path}: {exc.strerror}") from None
    if not first or not first[0]:
        raise _config_error(f"{where}: secret file {path} is empty")
    return first[0]


def run_secret_command(command: str, where: str) -> str:
    """A secret command's first line of output (30 s at most); ``where`` names its source in the error."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, ValueError) as exc:
        raise _config_error(f"{where}: cannot run secret command: {exc}") from None
    except subprocess.TimeoutExpired:
        raise _config_error(f"{where}: secret command timed out after 30 s") from None
    if done.returncode != 0:
        # Its output may hold the secret or fragments of it: report the status only.
        raise _config_error(f"{where}: secret command exited with status {done.returncode}")
    lines = done.stdout.splitlines()
    if not lines or not lines[0]:
        raise _config_error(f"{where}: secret command printed nothing")
    return lines[0]


def load(
    environ: Mapping[str, str],
    config_flag: str | None = None,
    profile_flag: str | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    explicit = config_flag or environ.get("PRAHO_CONFIG") or None
    path = Path(os.path.expanduser(explicit)) if explicit else default_config_path(environ)
    profile = profile_flag or environ.get("PRAHO_PROFILE") or None
    settings = Settings(path=path, file_exists=path.exists(), profile=profile, environ=environ)

    if explicit and not path.exists():
        raise _config_error(f"config file {path} does not exist (from {'--config' if config_flag else 'PRAHO_CONFIG'})")
    if path.exists():
        text, doc = read_toml(path)
        profiles = doc.pop("profiles", {})
        if not isinstance(profiles, dict):
            raise _config_error(f"{path}: [profiles] must be a table of tables")
        for key, value in _check_table(path, text, doc, "").items():
            settings.layers[key] = Sourced(value, "file")
        if profile:
            if profile not in profiles or not isinstance(profiles[profile], dict):
                names = ", ".join(sorted(profiles)) or "none defined"
                raise _config_error(f"{path}: no profile {profile!r} (profiles: {names})")
            sub = _check_table(path, text, profiles[profile], f" in profile {profile!r}")
            for key, value in sub.items():
                settings.layers[key] = Sourced(value, f"profile {profile}")
        for name, table in profiles.items():  # validate the others too: a typo anywhere is reported
            if name != profile and isinstance(table, dict):
                _check_table(path, text, table, f" in profile {name!r}")
        _warn_permissions(settings)
    elif profile:
        raise _config_error(f"profile {profile!r} asked for, but there is no config file at {path}")

    for setting in schema.SETTINGS:
        if "*" in setting.key or setting.secret:
            continue
        name = schema.env_name(setting.key)
        if name in environ:
            settings.layers[setting.key] = Sourced(coerce(setting, environ[name], name), f"env {name}")

    for key, value in (flags or {}).items():
        if value is None:
            continue
        found = schema.find(key)
        if found is None:  # pragma: no cover - flags are wired by praho itself
            raise KeyError(key)
        settings.layers[key] = Sourced(coerce(found[0], value, f"--{key.replace('_', '-')}"), "flag")
    return settings


def _warn_permissions(settings: Settings) -> None:
    has_clear_secret = any(
        schema.is_secret_key(key) and sourced.value for key, sourced in settings.layers.items()
    )
    try:
        mode = settings.path.stat().st_mode
    except OSError:
        return
    if has_clear_secret and mode & (stat.S_IRWXG | stat.S_IRWXO):
        settings.warnings.append(
            f"{settings.path} holds secrets and is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run: chmod 600 {settings.path}"
        )
