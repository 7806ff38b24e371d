"""The state of one simulated Virtualmin server, kept in a JSON file.

One file is one server. The HTTP simulator and the ``virtualmin`` command read and write the same
file, so a domain created over SSH is visible over HTTP and the reverse.

* Readers need no lock: writers replace the file atomically (temporary file + ``os.replace``), so a
  reader always sees a whole document.
* Writers take an exclusive ``flock`` on ``<file>.lock`` for the whole mutation. ``flock`` locks
  belong to an open file description, so they serialise threads of one process as well as separate
  processes. That is how Virtualmin behaves: its mutations lock system files and run one at a time.
* Passwords are never stored: only their SHA-256, which :meth:`SimState.password_matches` checks.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import hashlib
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from praho_cli.result import ErrorCode, PrahoFailure

STATE_VERSION = 1

# Values of the server the captures were taken on (captures README, "Server configuration").
DEFAULT_SETTINGS: dict[str, Any] = {
    "hostname": "vm",
    "ip": "192.0.2.2",
    "ip6": "fd00::2",
    # Only unix and dir are enabled in the module configuration of the captured server; any other
    # feature flag fails (http_create-domain_feature-disabled.json).
    "module_features": ["unix", "dir"],
    # The captured server has quotas=0, so list-domains prints no quota fields. Turn this on to get
    # "Server quota" & co. from the plan limits.
    "quotas_enabled": False,
    # Real create-domain rejects names with characters other than letters, digits, dots and dashes.
    # Injection tests that want odd names stored verbatim switch this off.
    "strict_domain_names": True,
    # Webmin's lock_file gives up after 5 minutes.
    "lock_timeout": 300.0,
    "created_by": "root",
}

# CAPTURED: cli_list-plans_multiline.txt (the default plan of a fresh install).
DEFAULT_PLAN: dict[str, Any] = {
    "id": "0",
    "name": "Default Plan",
    "quota": 2097152,
    "uquota": 2097152,
    "max_mailbox": None,
    "max_alias": None,
    "max_dbs": None,
    "max_doms": "0",
    "max_aliasdoms": None,
    "max_realdoms": None,
    "max_bw": None,
}

# CAPTURED: cli_list-templates_multiline.txt.
DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "0",
        "name": "Default Settings",
        "custom_web": "Custom",
        "custom_dns": "None",
        "custom_ftp": "Custom",
        "custom_logrotate": "None",
        "custom_mail": "None",
    },
    {
        "id": "1",
        "name": "Settings For Sub-Servers",
        "custom_web": "Default",
        "custom_dns": "Default",
        "custom_ftp": "Default",
        "custom_logrotate": "Default",
        "custom_mail": "None",
    },
]

FIRST_UID = 1005  # the first domain of the captured server got uid/gid 1005, the second 1006


def password_sha256(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def new_document() -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "settings": copy.deepcopy(DEFAULT_SETTINGS),
        "next_uid": FIRST_UID,
        "plans": [copy.deepcopy(DEFAULT_PLAN)],
        "templates": copy.deepcopy(DEFAULT_TEMPLATES),
        "domains": [],
        "faults": [],
        "fault_counters": {},
    }


def new_domain_id(doc: dict[str, Any], now: float) -> str:
    """A Virtualmin-like id: Unix time followed by five digits (15 digits, as in the captures)."""
    taken = {d["id"] for d in doc["domains"]}
    while True:
        candidate = f"{int(now)}{random.randrange(100000):05d}"
        if candidate not in taken:
            return candidate


def make_domain(
    doc: dict[str, Any],
    name: str,
    *,
    password: str,
    now: float,
    user: str | None = None,
    desc: str | None = None,
    email: str | None = None,
    plan_id: str = "0",
    template_id: str = "0",
    features: Iterable[str] = ("unix", "dir"),
    quota: int | None = None,
    uquota: int | None = None,
    limits_from_plan: bool = True,
) -> dict[str, Any]:
    """Build a domain record (not yet added to ``doc``); takes the next uid."""
    uid = int(doc["next_uid"])
    doc["next_uid"] = uid + 1
    username = user or name.split(".")[0]
    plan = next((p for p in doc["plans"] if p["id"] == plan_id), None)
    if limits_from_plan and plan is not None:
        quota = plan.get("quota") if quota is None else quota
        uquota = plan.get("uquota") if uquota is None else uquota
    return {
        "id": new_domain_id(doc, now),
        "name": name,
        "user": username,
        "group": username,
        "uid": uid,
        "gid": uid,
        "password_sha256": password_sha256(password),
        "desc": name if desc is None else desc,
        "email": email,
        "plan_id": plan_id,
        "template_id": template_id,
        "features": list(features),
        "created": int(now),
        "created_by": doc["settings"].get("created_by", "root"),
        "disabled": None,
        "quota": quota,
        "uquota": uquota,
        "used_blocks": 0,
    }


_cache_lock = threading.Lock()
# path -> (stat key, document). Shared by every SimState of this process so that a write through one
# object is seen by all the others without re-parsing the file.
_cache: dict[str, tuple[tuple[int, int, int, int], dict[str, Any]]] = {}


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class SimState:
    """The JSON state file of one simulated server. Creates it with defaults if it does not exist."""

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path).absolute()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.clock = clock
        if not self.path.exists():
            with self.mutate():
                pass

    def __repr__(self) -> str:
        return f"SimState({str(self.path)!r})"

    # -- reading and writing -------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        """The current document. Shared and cached: treat it as read-only."""
        key_path = str(self.path)
        try:
            st = os.stat(key_path)
        except FileNotFoundError:
            return new_document()
        key = _stat_key(st)
        with _cache_lock:
            hit = _cache.get(key_path)
            if hit is not None and hit[0] == key:
                return hit[1]
        with open(key_path, encoding="utf-8") as fh:
            doc = json.load(fh)
        with _cache_lock:
            _cache[key_path] = (key, doc)
        return doc

    @contextlib.contextmanager
    def locked(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the server's exclusive lock (waits, like Webmin's lock_file, up to ``timeout``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if timeout is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise PrahoFailure.of(
                                ErrorCode.LOCKED,
                                f"Failed to lock file {self.path} after {timeout:g} seconds",
                            ) from None
                        time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    @contextlib.contextmanager
    def mutate(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Lock, load a private copy, yield it, and write it back atomically if no exception escaped."""
        with self.locked(timeout):
            doc = self.load()
            yield doc
            self.write(doc)

    def load(self) -> dict[str, Any]:
        """A private, freshly parsed copy of the document (call it while holding :meth:`locked`)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                doc: dict[str, Any] = json.load(fh)
        except FileNotFoundError:
            doc = new_document()
        return doc

    def write(self, doc: dict[str, Any]) -> None:
        """Replace the file atomically (call it while holding :meth:`locked`)."""
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        st = os.stat(self.path)
        with _cache_lock:
            _cache[str(self.path)] = (_stat_key(st), doc)

    # -- convenience for tests and benchmarks ----------------------------------------------------

    def domains(self) -> list[dict[str, Any]]:
        return list(self.read()["domains"])

    def domain(self, name: str) -> dict[str, Any] | None:
        return next((d for d in self.read()["domains"] if d["name"] == name), None)

    def password_matches(self, domain: str, password: str) -> bool:
        """True if ``password`` is exactly the password the domain was created or last modified with."""
        record = self.domain(domain)
        return record is not None and record["password_sha256"] == password_sha256(password)

    def seed_domains(
        self,
        names: Iterable[str],
        *,
        password: str = "seed-password",
        plan_id: str = "0",
        desc: str | None = None,
        disabled_why: str | None = None,
    ) -> list[dict[str, Any]]:
        """Add many domains in one write (1,000 domains take well under a second). Skips no checks
        that matter for seeding: an existing name raises ValueError."""
        now = self.clock()
        added: list[dict[str, Any]] = []
        with self.mutate() as doc:
            existing = {d["name"] for d in doc["domains"]}
            users = {d["user"] for d in doc["domains"]}
            for name in names:
                if name in existing:
                    raise ValueError(f"domain {name} already exists in {self.path}")
                user = name.split(".")[0]
                if user in users:
                    user = name
                record = make_domain(doc, name, password=password, now=now, user=user, desc=desc,
                                     plan_id=plan_id)
                if disabled_why is not None:
                    record["disabled"] = {"why": disabled_why, "at": int(now)}
                doc["domains"].append(record)
                existing.add(name)
                users.add(user)
                added.append(record)
        return added

    def add_plan(self, name: str, *, plan_id: str | None = None, **limits: Any) -> dict[str, Any]:
        """Add a plan; ``limits`` override the default plan's fields (quota, max_doms, max_bw …)."""
        with self.mutate() as doc:
            plan = copy.deepcopy(DEFAULT_PLAN)
            plan.update(limits)
            plan["name"] = name
            plan["id"] = plan_id or f"{int(self.clock())}{random.randrange(10000):04d}"
            doc["plans"].append(plan)
        return plan

    def add_template(self, name: str, *, template_id: str | None = None) -> dict[str, Any]:
        with self.mutate() as doc:
            template = dict(DEFAULT_TEMPLATES[1])
            template["name"] = name
            template["id"] = template_id or f"{int(self.clock())}{random.randrange(10000):04d}"
            doc["templates"].append(template)
        return template

    def configure(self, **settings: Any) -> None:
        """Change server settings (see DEFAULT_SETTINGS for the names)."""
        unknown = set(settings) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
        with self.mutate() as doc:
            doc["settings"].update(settings)

    def settings(self) -> dict[str, Any]:
        merged = dict(DEFAULT_SETTINGS)
        merged.update(self.read().get("settings", {}))
        return merged

    def set_faults(self, faults: Iterable[Any]) -> None:
        """Faults for every user of this file (HTTP servers and the virtualmin command)."""
        from praho_cli.virtualmin.simulator.faults import Fault

        rules = [f.to_dict() if isinstance(f, Fault) else Fault.from_dict(f).to_dict() for f in faults]
        with self.mutate() as doc:
            doc["faults"] = rules
            doc["fault_counters"] = {}

    def faults(self) -> list[Any]:
        from praho_cli.virtualmin.simulator.faults import Fault

        return [Fault.from_dict(f) for f in self.read().get("faults", [])]
