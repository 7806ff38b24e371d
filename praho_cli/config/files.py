"""Reading and writing the TOML config file.

Read with ``tomllib``; values are rendered with ``tomli-w``. ``config set`` edits the one line that
holds the key (or un-comments the starter file's ``# key = default`` line) so the user's comments
and layout survive; the result is re-parsed before it replaces the file. Files are written through
praho_cli.private_files: mode 0600 from creation, a temporary file and a rename, never through a link.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from praho_cli.config import schema
from praho_cli.private_files import write_private
from praho_cli.result import ErrorCode, PrahoFailure


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PrahoFailure.of(ErrorCode.CONFIG, f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PrahoFailure.of(ErrorCode.CONFIG, f"{path}: not UTF-8 text") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "Expected '=' after a key in a key/value pair (at line 3, column 5)"
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            problem = message[: match.start()].strip()
            raise PrahoFailure.of(
                ErrorCode.CONFIG, f"{path}:{match.group(1)}: {problem} (column {match.group(2)})"
            ) from None
        raise PrahoFailure.of(ErrorCode.CONFIG, f"{path}: {message}") from None


def _sections(lines: list[str]) -> list[tuple[str, int]]:
    """(section name, line index) of each table header; the root table is "" at -1."""
    found: list[tuple[str, int]] = [("", -1)]
    for i, line in enumerate(lines):
        m = re.match(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$", line)
        if m:
            found.append((re.sub(r"\s*\.\s*", ".", m.group(1)).replace('"', ""), i))
    return found


def _key_re(leaf: str, commented: bool) -> re.Pattern[str]:
    prefix = r"^\s*#\s*" if commented else r"^\s*"
    return re.compile(prefix + re.escape(leaf) + r"\s*=")


def find_key_line(text: str, dotted: str) -> int | None:
    """1-based line of ``dotted`` in the file, for error messages (best effort)."""
    lines = text.splitlines()
    leaf = dotted.rsplit(".", 1)[-1]
    section = dotted.rsplit(".", 1)[0] if "." in dotted else ""
    sections = _sections(lines)
    for n, (name, start) in enumerate(sections):
        end = sections[n + 1][1] if n + 1 < len(sections) else len(lines)
        if name == section or name.endswith("." + section) or (section and name.startswith(section)):
            for i in range(start + 1, end):
                if _key_re(leaf, False).match(lines[i]):
                    return i + 1
    for i, line in enumerate(lines):
        if _key_re(leaf, False).match(line):
            return i + 1
    return None


def render_value(value: Any) -> str:
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def set_value(path: Path, dotted: str, value: Any, profile: str | None = None) -> None:
    """Set one key, keeping every other line of the file as it was."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    leaf = dotted.rsplit(".", 1)[-1]
    section = dotted.rsplit(".", 1)[0] if "." in dotted else ""
    if profile:
        section = f"profiles.{profile}" + (f".{section}" if section else "")
    new_line = f"{leaf} = {render_value(value)}"
    lines = text.splitlines()
    sections = _sections(lines)
    edited: list[str] | None = None
    for n, (name, start) in enumerate(sections):
        if name != section:
            continue
        end = sections[n + 1][1] if n + 1 < len(sections) else len(lines)
        for commented in (False, True):
            for i in range(start + 1, end):
                if _key_re(leaf, commented).match(lines[i]):
                    edited = [*lines[:i], new_line, *lines[i + 1 :]]
                    break
            if edited is not None:
                break
        if edited is None:
            insert_at = end
            while insert_at > start + 1 and not lines[insert_at - 1].strip():
                insert_at -= 1
            edited = [*lines[:insert_at], new_line, *lines[insert_at:]]
        break
    if edited is None:
        if section:
            edited = [*lines, "", f"[{section}]", new_line]
        else:
            first_header = next((i for name, i in sections if name), len(lines))
            edited = [*lines[:first_header], new_line, *lines[first_header:]]
    result = "\n".join(edited).rstrip("\n") + "\n"
    doc = tomllib.loads(result)
    target: Any = doc
    for part in (section.split(".") if section else []):
        target = target.get(part, {})
    if target.get(leaf) != value:
        # The line edit did not land where TOML reads it (an unusual layout): rewrite the document.
        doc = tomllib.loads(text) if text else {}
        node = doc
        for part in (section.split(".") if section else []):
            node = node.setdefault(part, {})
        node[leaf] = value
        result = tomli_w.dumps(doc)
    write_private(path, result, what="config file", replace=True)


def _table_of(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def has_section(path: Path, section: str) -> bool:
    """Whether the file defines the table ``section`` (e.g. ``servers.vm1``)."""
    _text, doc = read_toml(path)
    return isinstance(_table_of(doc, section), dict)


def remove_section(path: Path, section: str) -> None:
    """Remove the table ``section`` and its sub-tables, keeping every other line of the file as it was."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    sections = _sections(lines)
    drop: set[int] = set()
    for n, (name, start) in enumerate(sections):
        if start < 0 or not (name == section or name.startswith(section + ".")):
            continue
        end = sections[n + 1][1] if n + 1 < len(sections) else len(lines)
        drop.update(range(start, end))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept).strip("\n") + "\n") if kept else ""
    doc = tomllib.loads(result)
    if _table_of(doc, section) is not None:
        # Defined another way (a dotted key or an inline table): rewrite the document without it.
        doc = tomllib.loads(text)
        *parents, leaf = section.split(".")
        node = _table_of(doc, ".".join(parents)) if parents else doc
        if isinstance(node, dict):
            node.pop(leaf, None)
        result = tomli_w.dumps(doc)
    write_private(path, result, what="config file", replace=True)


def starter_file(commented_defaults: bool = True) -> str:
    """The commented starter file (`praho config init`) and config.example.toml."""
    out = [
        "# praho configuration.",
        "# Precedence: command-line flag > PRAHO_* environment variable > [profiles.NAME] > this file > default.",
        "# Secrets (passwords, passphrases) may be given as KEY_file = \"path\" (first line of the file) or",
        "# KEY_command = \"pass show x\" (first line of its output), or as the PRAHO_* environment variable.",
        "# Every setting is listed with its default; remove the leading '# ' to change one.",
        "",
    ]
    current = None
    # A TOML table may be declared once: group each section's settings where it first appears.
    order = list(dict.fromkeys(s.section for s in schema.SETTINGS))
    grouped = sorted(schema.SETTINGS, key=lambda s: order.index(s.section))
    for setting in grouped:
        section = setting.section
        if section != current:
            if section:
                out.append("")
                header = f"[{section.replace('*', 'NAME')}]"
                # A table per user-chosen name (one per server): shown commented, as a pattern.
                out.append(("# " + header) if "*" in section else header)
            current = section
        out.append("# " + setting.description)
        if setting.choices:
            out.append("# One of: " + ", ".join(repr(c) if c == "" else c for c in setting.choices))
        out.append(f"# Environment: {schema.env_name(setting.key).replace('*', 'NAME')}")
        value = setting.example if setting.example is not None else setting.default
        if setting.secret:
            out.append(f"# {setting.leaf}_command = \"pass show praho/{setting.leaf}\"")
        else:
            out.append(f"# {setting.leaf} = {render_value(value)}")
        out.append("")
    out.append("# [profiles.NAME] tables hold the same keys and are chosen with --profile NAME or PRAHO_PROFILE.")
    out.append("# [profiles.staging]")
    out.append("# database_url = \"postgresql+psycopg://praho@db.staging:5432/praho\"")
    return "\n".join(out) + "\n"
