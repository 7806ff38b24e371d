"""Fault knobs: make a simulated server slow, hang, fail or lose replies, for tests and benchmarks.

A :class:`Fault` applies to calls of the listed programs (all calls when ``programs`` is empty).
Each fault counts the calls it matches; the n-th matching call is affected when
``after < n <= after + times`` (``times=None``: for ever). So "fail after 3 calls" is
``Fault("http_error", status=503, after=3)`` and "lose the reply of the first create" is
``Fault("lost_reply", programs=("create-domain",), times=1)``.

Effects, over HTTP and (after the slash) in the ``virtualmin`` command:

* ``latency``: wait ``seconds``; inside the server lock for mutations. / Same.
* ``hang``: hold the connection ``seconds`` without answering, then close it; the program does not
  run. / Sleep, exit 255, no output.
* ``http_error``: answer ``status`` (e.g. 500, 502, 503) with an HTML page; the program does not
  run. / Ignored.
* ``drop``: close the connection without any response; the program does not run. / Exit 255.
* ``truncate``: run the program, send the headers and only ``keep_bytes`` of the body. / Print only
  ``keep_bytes`` of stdout.
* ``lost_reply``: run the program (the state changes), wait ``seconds``, close without answering. /
  Same, exit 255 with no output.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("latency", "hang", "http_error", "drop", "truncate", "lost_reply")


@dataclass(frozen=True)
class Fault:
    kind: str
    programs: tuple[str, ...] = ()
    seconds: float = 0.0
    status: int = 500
    keep_bytes: int = 0
    after: int = 0
    times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; valid: {', '.join(FAULT_KINDS)}")
        if self.seconds < 0 or self.keep_bytes < 0 or self.after < 0:
            raise ValueError("fault seconds, keep_bytes and after must not be negative")
        if self.times is not None and self.times < 1:
            raise ValueError("fault times must be at least 1 (or None for ever)")
        if self.kind == "http_error" and not 400 <= self.status <= 599:
            raise ValueError("http_error status must be 400-599")
        object.__setattr__(self, "programs", tuple(self.programs))

    def applies_to(self, program: str) -> bool:
        return not self.programs or program in self.programs

    def hit(self, nth_call: int) -> bool:
        """Whether the ``nth_call`` (1-based) matching call is affected."""
        if nth_call <= self.after:
            return False
        return self.times is None or nth_call <= self.after + self.times

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["programs"] = list(self.programs)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        allowed = {"kind", "programs", "seconds", "status", "keep_bytes", "after", "times"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        values = dict(data)
        values["programs"] = tuple(values.get("programs") or ())
        return cls(**values)

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse the command-line form ``KIND[:key=value,...]``, e.g.
        ``latency:seconds=0.2,programs=create-domain+delete-domain`` or ``http_error:status=503,after=3``."""
        kind, _, rest = spec.partition(":")
        data: dict[str, Any] = {"kind": kind.strip()}
        for item in filter(None, (p.strip() for p in rest.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault option {item!r} needs key=value")
            if key == "programs":
                data["programs"] = tuple(p for p in value.split("+") if p)
            elif key == "seconds":
                data["seconds"] = float(value)
            elif key in ("status", "keep_bytes", "after", "times"):
                data[key] = int(value)
            else:
                raise ValueError(f"unknown fault option {key!r}")
        return cls.from_dict(data)


@dataclass
class Effects:
    """What the faults decided for one call."""

    latency: float = 0.0
    hang: float | None = None
    http_error: int | None = None
    drop: bool = False
    truncate: int | None = None
    lost_reply: float | None = None
    hit: list[Fault] = field(default_factory=list)


def combine(faults: Sequence[Fault], counters: list[int], program: str) -> Effects:
    """Count this call against each matching fault (``counters`` is updated in place) and merge the
    effects of the faults it hits."""
    effects = Effects()
    for index, fault in enumerate(faults):
        if not fault.applies_to(program):
            continue
        counters[index] += 1
        if not fault.hit(counters[index]):
            continue
        effects.hit.append(fault)
        if fault.kind == "latency":
            effects.latency += fault.seconds
        elif fault.kind == "hang":
            effects.hang = max(effects.hang or 0.0, fault.seconds)
        elif fault.kind == "http_error":
            effects.http_error = effects.http_error or fault.status
        elif fault.kind == "drop":
            effects.drop = True
        elif fault.kind == "truncate":
            effects.truncate = fault.keep_bytes if effects.truncate is None else min(
                effects.truncate, fault.keep_bytes
            )
        elif fault.kind == "lost_reply":
            effects.lost_reply = max(effects.lost_reply or 0.0, fault.seconds)
    return effects


class FaultBook:
    """A thread-safe list of faults with their call counters (one per running server)."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults)
        self._counters = [0] * len(self._faults)

    def set(self, faults: Iterable[Fault]) -> None:
        """Replace the faults; counters start again from zero."""
        with self._lock:
            self._faults = list(faults)
            self._counters = [0] * len(self._faults)

    def get(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def effects_for(self, program: str) -> Effects:
        with self._lock:
            return combine(self._faults, self._counters, program)


def merge(first: Effects, second: Effects) -> Effects:
    """Effects of two fault sources (the server's own faults and the state file's)."""
    return Effects(
        latency=first.latency + second.latency,
        hang=_max_opt(first.hang, second.hang),
        http_error=first.http_error or second.http_error,
        drop=first.drop or second.drop,
        truncate=_min_opt(first.truncate, second.truncate),
        lost_reply=_max_opt(first.lost_reply, second.lost_reply),
        hit=first.hit + second.hit,
    )


def _max_opt(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _min_opt(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
