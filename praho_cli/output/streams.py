"""Where output goes, and what kind of terminal (if any) is on the other end.

An :class:`Environment` is passed into ``main`` (httpie's pattern): production builds it from the
process, tests build one with string buffers and explicit TTY flags, so every command can be tested
both on a terminal and piped without touching real file descriptors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO


@dataclass
class Environment:
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    stdin_isatty: bool | None = None
    stdout_isatty: bool | None = None
    stderr_isatty: bool | None = None
    # None: the process's clock (UTC now, or started at PRAHO_NOW: see praho_cli/calendar.py).
    clock: Callable[[], datetime] = None  # type: ignore[assignment]  # set in __post_init__
    # Tests hand in a factory that returns a Virtualmin transport for a server connection.
    transport_factory: Callable[..., Any] | None = None
    terminal_width: int | None = None

    def __post_init__(self) -> None:
        if self.clock is None:
            from praho_cli.calendar import clock_from_environ

            self.clock = clock_from_environ(self.environ)
        if self.stdin_isatty is None:
            self.stdin_isatty = _isatty(self.stdin)
        if self.stdout_isatty is None:
            self.stdout_isatty = _isatty(self.stdout)
        if self.stderr_isatty is None:
            self.stderr_isatty = _isatty(self.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@dataclass
class Streams:
    """The output policy derived from the environment and the global flags."""

    env: Environment
    no_input: bool = False
    quiet: bool = False
    verbose: bool = False
    log_json: bool = False

    @property
    def color(self) -> bool:
        if "NO_COLOR" in self.env.environ:
            return False
        return bool(self.env.stderr_isatty)

    @property
    def can_prompt(self) -> bool:
        return not self.no_input and bool(self.env.stdin_isatty) and bool(self.env.stderr_isatty)

    @property
    def interactive(self) -> bool:
        """Progress bars and tables are for a person at a terminal."""
        return bool(self.env.stderr_isatty) and not self.log_json and not self.quiet
