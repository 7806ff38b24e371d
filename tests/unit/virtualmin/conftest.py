from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"


def load_capture(name: str) -> dict[str, Any]:
    return json.loads((CAPTURES / name).read_text(encoding="utf-8"))


def capture_data(name: str) -> Any:
    return load_capture(name)["response"]["body_json"]["data"]


def capture_output(name: str) -> str:
    return load_capture(name)["response"]["body_json"]["output"]


def capture_text(name: str) -> str:
    return (CAPTURES / name).read_text(encoding="utf-8")


def plain_mode_stdout(name: str) -> tuple[str, int]:
    """A plain-mode (no json) HTTP capture split into the program's stdout and its exit code.

    remote.cgi appends "\\nExit status: N\\n" where N is the raw wait status (exit code x 256).
    """
    body = load_capture(name)["response"]["body"]
    head, sep, tail = body.rpartition("\nExit status: ")
    assert sep, f"{name} has no Exit status line"
    return head, int(tail.strip()) // 256


@pytest.fixture
def captures_dir() -> Path:
    return CAPTURES
