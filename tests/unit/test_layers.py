"""The layer rules of docs/architecture.md, checked on the source so that they bind.

- Services know no SQL: a module under ``praho_cli/services/`` imports nothing from SQLAlchemy or
  SQLModel but the types of the handles it is given (``Session``, ``Connection``).
- Errors follow one rule: inside services a failure is raised (``raise fail(...)``); the
  ``returns_result`` decorator is the only place it becomes an ``Err``. So no service module builds
  ``Ok``/``Err`` itself or catches ``PrahoFailure`` to convert it.
- Services never print, exit, commit or import the CLI's libraries.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "praho_cli"
SERVICES = sorted((ROOT / "services").rglob("*.py"))
HANDLE_TYPES = {"Session", "Connection"}
RESULT_BUILDERS = {"Ok", "Err"}


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT.parent)) for p in paths]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _names_of_exception(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return {n for elt in node.elts for n in _names_of_exception(elt)}
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


@pytest.mark.parametrize("path", SERVICES, ids=_ids(SERVICES))
def test_services_know_no_sql(path: Path) -> None:
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {
            "sqlalchemy",
            "sqlmodel",
        }:
            extra = {alias.name for alias in node.names} - HANDLE_TYPES
            if extra:
                found.append(f"line {node.lineno}: from {node.module} import {', '.join(sorted(extra))}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"sqlalchemy", "sqlmodel"}:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr in {"commit", "exec", "execute", "scalars", "scalar"}:
            found.append(f"line {node.lineno}: .{node.attr}(...)")
    assert not found, f"{path.name} holds SQL (move it into praho_cli/ledger/): {found}"


@pytest.mark.parametrize("path", SERVICES, ids=_ids(SERVICES))
def test_services_follow_the_error_rule(path: Path) -> None:
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in RESULT_BUILDERS:
            found.append(f"line {node.lineno}: {node.func.id}(...)")
        elif isinstance(node, ast.ExceptHandler) and "PrahoFailure" in _names_of_exception(node.type):
            found.append(f"line {node.lineno}: except PrahoFailure")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {
            "typer",
            "rich",
            "click",
        }:
            found.append(f"line {node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"print", "exit"}:
            found.append(f"line {node.lineno}: {node.func.id}(...)")
    assert not found, (
        f"{path.name} breaks the error rule (raise fail(...) inside, @returns_result at the edge): {found}"
    )
