"""Regenerate the files derived from the code: config.example.toml, completions/, docs/json-schemas/.

Run ``python -m praho_cli.gendocs`` after changing settings, commands or record types; a test fails
while any of these files is out of date.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

from praho_cli.records import RecordType

ROOT = Path(__file__).resolve().parents[1]
SHELLS = ("bash", "zsh", "fish")


def record_types() -> dict[str, RecordType]:
    """Every RecordType declared at module level in praho_cli.services and its domain packages."""
    import praho_cli.services as services

    found: dict[str, RecordType] = {}
    for info in pkgutil.walk_packages(services.__path__, "praho_cli.services."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, RecordType):
                found[value.name] = value
    return dict(sorted(found.items()))


def expected_files() -> dict[Path, str]:
    from praho_cli.cli.commands.completion import script
    from praho_cli.config.files import starter_file

    files: dict[Path, str] = {ROOT / "config.example.toml": starter_file()}
    for shell in SHELLS:
        files[ROOT / "completions" / f"praho.{shell}"] = script(shell)
    files[ROOT / "docs" / "exit-codes.md"] = exit_codes_doc()
    for name, rtype in record_types().items():
        files[ROOT / "docs" / "json-schemas" / f"{name}.json"] = json.dumps(rtype.json_schema(), indent=2) + "\n"
    return files


def exit_codes_doc() -> str:
    from praho_cli.cli.commands.help import EXIT_CODE_RULES, EXIT_CODE_TABLE
    from praho_cli.result import EXIT_CODES

    lines = ["# Exit codes", "", "Every praho command exits with one of these (`praho help exit-codes` prints the same",
             "table). They never change meaning. Generated from praho_cli/cli/commands/help.py.", "",
             "| code | meaning | error codes in JSON logs |", "|---|---|---|"]
    for code, meaning in EXIT_CODE_TABLE:
        names = ", ".join(f"`{c}`" for c, n in EXIT_CODES.items() if n == code)
        lines.append(f"| {code} | {meaning} | {names} |")
    lines += ["", "## How they apply", ""] + [f"- {rule}" for rule in EXIT_CODE_RULES]
    return "\n".join(lines) + "\n"


def stale_files() -> list[Path]:
    return [path for path, text in expected_files().items() if not path.exists() or path.read_text() != text]


def main() -> None:
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            sys.stderr.write(f"wrote {path.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
