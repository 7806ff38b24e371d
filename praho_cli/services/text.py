"""Checks on free text that people type and praho prints (names, addresses, domains)."""

from __future__ import annotations

import unicodedata

_NAMES = {"\t": "tab", "\n": "newline", "\r": "carriage return", "\x00": "NUL", "\x1b": "escape",
          "\u2028": "line separator", "\u2029": "paragraph separator"}


def control_character(text: str) -> str | None:
    """The first control character in ``text`` described for a message ("tab (U+0009)"), or None.

    Control characters (Unicode category Cc, and the line and paragraph separators) break tables,
    TSV output, invoices and log lines, and never belong in a name someone typed."""
    for char in text:
        if unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            name = _NAMES.get(char, "control character")
            return f"{name} (U+{ord(char):04X})"
    return None
