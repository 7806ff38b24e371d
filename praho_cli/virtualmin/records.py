"""Pure parsers for Virtualmin output: no I/O, no transport, no third-party imports.

One record parser serves both transports. Over HTTP, ``remote.cgi`` runs its own multiline
converter and sends ``data: [{"name": …, "values": {key: [str, …]}}]``; over SSH we get the
``--multiline`` text and convert it here with the same rules, so both paths yield identical
:class:`RawRecord` values (tests/unit/virtualmin/test_records.py proves it on every capture pair).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, cast

# A limit as Virtualmin reports it: a number, "unlimited", or None when the server did not report it
# (quota fields are absent on servers without filesystem quotas; docs/virtualmin-protocol.md §4.5: missing ≠ zero).
Limit = int | Literal["unlimited"] | None

# Keys whose values are secrets. A master admin's list-domains shows "Password" when the server
# stores it in plain text, and database passwords (docs/virtualmin-protocol.md §2.1); none of them may leave this layer.
SECRET_KEYS = frozenset(
    {
        "password",
        "hashed_password",
        "password_for_mysql",
        "password_for_postgres",
        "encrypted_password",
    }
)


@dataclass(frozen=True)
class RawRecord:
    """One multiline object: its header line and every field as a list of strings."""

    name: str
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def first(self, key: str) -> str | None:
        found = self.values.get(key)
        return found[0] if found else None


# json-lib.pl's rules (docs/virtualmin-protocol.md §1.5). A top-level pair needs a key of two or more characters.
_TOP_PAIR = re.compile(r"^(\S[^:]+):\s*(.*)$")


def normalise_key(label: str) -> str:
    """``Maximum Mongrel instances`` -> ``maximum_mongrel_instances``; hyphens are kept."""
    return re.sub(r"\s", "_", label.lower())


def parse_multiline(text: str) -> list[RawRecord]:
    """Parse ``--multiline`` text exactly as remote.cgi's converter does.

    Top-level ``key: value`` lines before the first object become records with the value under
    ``"value"`` (remote.cgi shows them as ``{"name", "value"}``).
    """
    records: list[tuple[str, dict[str, list[str]]]] = []
    current: dict[str, list[str]] | None = None
    keys: dict[str, str] = {}  # labels repeat on every record: normalise each once
    # Perl splits on line breaks only; str.splitlines would also split on \x0b, \x1c, U+2028 …
    for raw_line in text.split("\n"):
        line = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        if not line or line.isspace():
            continue
        if not line[0].isspace():
            pair = _TOP_PAIR.match(line) if current is None else None
            if pair:
                records.append((pair.group(1), {"value": [pair.group(2)]}))
                continue
            current = {}
            records.append((line, current))
            continue
        if current is None:
            continue
        label, colon, value = line.lstrip().partition(":")
        if not colon or not label:
            continue
        key = keys.get(label)
        if key is None:
            key = keys[label] = normalise_key(label)
        values = current.get(key)
        if values is None:
            current[key] = [value.lstrip()]
        else:
            values.append(value.lstrip())
    return [RawRecord(name, {k: tuple(v) for k, v in values.items()}) for name, values in records]


def records_from_json(data: Any) -> list[RawRecord]:
    """Records from remote.cgi's JSON ``data`` (or the CLI's ``--json`` data).

    Raises ValueError when the shape is not the documented one; the transport turns that into a
    protocol error naming the server.
    """
    if not isinstance(data, list):
        raise ValueError("'data' is not a list")
    out: list[RawRecord] = []
    for item in data:
        # `virtualmin list-domains --name-only --json` gives plain strings
        # (cli_list-domains_name-only_json.txt) where remote.cgi gives objects.
        if isinstance(item, str):
            out.append(RawRecord(item, {}))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError("a 'data' item has no string 'name'")
        values = item.get("values")
        if values is None and "value" in item:
            out.append(RawRecord(item["name"], {"value": (str(item["value"]),)}))
            continue
        if not isinstance(values, dict):
            raise ValueError(f"record {item['name']!r} has no 'values' object")
        parsed: dict[str, tuple[str, ...]] = {}
        for key, value in values.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"record {item['name']!r} field {key!r} is not a list of strings")
            parsed[key] = tuple(value)
        out.append(RawRecord(item["name"], parsed))
    return out


# --------------------------------------------------------------------------- typed records


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def _limit(text: str | None) -> Limit:
    """Virtualmin prints "Unlimited" (and "*" for max-* owner limits) where there is no limit."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped.lower() in ("unlimited", "*"):
        return "unlimited"
    return _int_or_none(stripped)


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def _public_values(values: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {k: v for k, v in values.items() if k not in SECRET_KEYS}


_DISABLED_WHY = re.compile(r"^Manually \((.*)\)$", re.S)


@dataclass(frozen=True)
class DomainRecord:
    """A virtual server as list-domains --multiline reports it (secrets removed from ``values``)."""

    domain: str
    id: str
    type: str | None
    username: str | None
    plan: str | None
    plan_id: str | None
    template: str | None
    template_id: str | None
    description: str | None
    home: str | None
    parent: str | None
    ip: str | None
    ipv6: str | None
    contact_email: str | None
    created_on: str | None
    created_at: datetime | None
    features: tuple[str, ...]
    plugins: tuple[str, ...]
    disabled: bool
    disabled_reason: str | None
    disabled_at: str | None
    server_quota_blocks: Limit
    server_quota_used_bytes: int | None
    bandwidth_limit_bytes: Limit
    bandwidth_used_bytes: int | None
    values: Mapping[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def from_raw(cls, record: RawRecord) -> DomainRecord:
        get = record.first
        disabled_text = get("disabled")
        reason: str | None = None
        if disabled_text is not None:
            why = _DISABLED_WHY.match(disabled_text)
            # "Manually" alone carries no reason; other values ("For exceeding bandwidth limit")
            # are the reason themselves (docs/virtualmin-protocol.md §2.1).
            reason = why.group(1) if why else (None if disabled_text == "Manually" else disabled_text)
        created_unix = _int_or_none(get("created_unix_time"))
        ip_text = get("ip_address")
        return cls(
            domain=record.name,
            id=get("id") or "",
            type=get("type"),
            username=get("username"),
            plan=get("plan"),
            plan_id=get("plan_id"),
            template=get("template"),
            template_id=get("template_id"),
            description=get("description"),
            home=get("home_directory"),
            parent=get("parent_domain"),
            # "192.0.2.2 (Shared)": the address is the first word (http_list-domains_multiline.json).
            ip=ip_text.split()[0] if ip_text else None,
            ipv6=get("ipv6_address"),
            contact_email=get("contact_email"),
            created_on=get("created_on"),
            created_at=datetime.fromtimestamp(created_unix, UTC) if created_unix is not None else None,
            features=_words(get("features")),
            plugins=_words(get("plugins")),
            disabled=disabled_text is not None,
            disabled_reason=reason,
            disabled_at=get("disabled_at"),
            server_quota_blocks=_limit(get("server_block_quota")),
            server_quota_used_bytes=_int_or_none(get("server_byte_quota_used")),
            bandwidth_limit_bytes=_limit(get("bandwidth_byte_limit")),
            bandwidth_used_bytes=_int_or_none(get("bandwidth_byte_usage")),
            values=_public_values(record.values),
        )


# --------------------------------------------------------------------------- lean domain states

# The labels a DomainState needs, as list-domains prints them (docs/virtualmin-protocol.md §2.1). One match per
# interesting line: a header (a line starting with a non-space character) or an indented
# ``Label: value`` line with one of these labels; every other line fails after its indent, inside the
# regex engine, without reaching Python. The pattern starts with a literal line break so the engine
# jumps from line to line (the text is searched with a "\n" in front); the possessive quantifiers
# keep it from backtracking into the indent.
_STATE_LABELS = ("ID", "Type", "Parent domain", "Plan ID", "Plan", "Username", "Disabled")
_STATE_LINE = re.compile(
    r"\n(?:[ \t]++(" + "|".join(re.escape(label) for label in _STATE_LABELS) + r"):[ \t]*+([^\n]*)"
    r"|(\S[^\n]*))"
)
_NOT_TOP_LEVEL = frozenset({"Sub-server", "Alias", "Alias with own email"})


class DomainState(NamedTuple):
    """The few facts of a virtual server that drift compares: who owns it, its plan, whether it is
    disabled, and where it sits (a top-level server, or a sub-server / alias of ``parent``).

    Read from ``list-domains --simple-multiline`` text (:func:`parse_domain_states`), which a real
    server produces without the per-domain quota, database and PHP lookups of ``--multiline``. A named
    tuple, not a dataclass: a scan builds one per domain of every server, and a tuple is built several
    times faster.
    """

    domain: str
    id: str
    type: str | None
    parent: str | None
    username: str | None
    plan: str | None
    plan_id: str | None
    disabled: bool

    @property
    def top_level(self) -> bool:
        """A top-level server: an account of its own (sub-servers and aliases belong to their parent's)."""
        return self.parent is None and self.type not in _NOT_TOP_LEVEL

    @classmethod
    def from_raw(cls, record: RawRecord) -> DomainState:
        """The same facts from a parsed record (remote.cgi's ``data``, or ``--multiline`` text)."""
        get = record.first
        return cls(domain=record.name, id=get("id") or "", type=get("type"), parent=get("parent_domain"),
                   username=get("username"), plan=get("plan"), plan_id=get("plan_id"),
                   disabled=get("disabled") is not None)


def parse_domain_states(text: str) -> list[DomainState]:
    """``list-domains --simple-multiline`` (or ``--multiline``) text to :class:`DomainState` values.

    Follows remote.cgi's record rules (docs/virtualmin-protocol.md §1.5): a line starting with a
    non-space character is a record header, indented ``Label: value`` lines are its fields, the first
    occurrence of a label counts; ``key: value`` lines before the first record are top-level pairs,
    not records. Lines end at ``\n`` (a ``\r`` before it is dropped), as Perl splits them.

    Raises ValueError when a record has no ``ID`` line: every virtual server has one, so such a header
    is not a domain (plain table output, a warning printed between records, a body that is not
    list-domains output at all); the client turns it into a protocol error naming the server.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").removesuffix("\r")
    states: list[DomainState] = []
    append = states.append
    name: str | None = None
    fields: dict[str, str] = {}
    # one copy of each type and plan name, not one per domain
    keep = cast(Callable[[str | None, str | None], str | None], {}.setdefault)
    for label, value, header in _STATE_LINE.findall("\n" + text):
        if header:
            if name is not None:
                append(_state(name, fields, keep))
            elif _TOP_PAIR.match(header):
                continue  # a top-level pair before the first record (docs/virtualmin-protocol.md §1.5 rule 1)
            name, fields = header, {}
        elif name is not None and label not in fields:
            fields[label] = value
    if name is not None:
        append(_state(name, fields, keep))
    return states


def _state(name: str, fields: dict[str, str], keep: Callable[[str | None, str | None], str | None]) -> DomainState:
    get = fields.get
    ident = get("ID")
    if ident is None:
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise ValueError(f"record {shown!r} has no ID line: not list-domains output")
    kind, plan, plan_id = get("Type"), get("Plan"), get("Plan ID")
    # tuple.__new__ directly: the fields are already in order, and the named tuple's own __new__ is a
    # Python-level function (a third of the cost of a domain at this scale)
    return _new_tuple(DomainState, (name, ident, keep(kind, kind), get("Parent domain"), get("Username"),
                                    keep(plan, plan), keep(plan_id, plan_id), "Disabled" in fields))


_new_tuple = tuple.__new__


@dataclass(frozen=True)
class PlanRecord:
    """An account plan (list-plans --multiline; the header line is the plan ID)."""

    id: str
    name: str
    server_quota_blocks: Limit
    admin_quota_blocks: Limit
    max_domains: Limit
    max_mailboxes: Limit
    max_databases: Limit
    max_bandwidth_bytes: Limit
    allowed_features: tuple[str, ...] | None  # None = "Automatic"
    values: Mapping[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def from_raw(cls, record: RawRecord) -> PlanRecord:
        get = record.first
        features = get("allowed_features")
        return cls(
            id=record.name,
            name=get("name") or "",
            server_quota_blocks=_limit(get("server_block_quota")),
            admin_quota_blocks=_limit(get("administrator_block_quota")),
            max_domains=_limit(get("maximum_doms")),
            max_mailboxes=_limit(get("maximum_mailbox")),
            max_databases=_limit(get("maximum_dbs")),
            max_bandwidth_bytes=_limit(get("maximum_bw")),
            allowed_features=None if features in (None, "Automatic") else _words(features),
            values=dict(record.values),
        )


@dataclass(frozen=True)
class TemplateRecord:
    """A server template (list-templates --multiline; the header line is the template ID)."""

    id: str
    name: str
    values: Mapping[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def from_raw(cls, record: RawRecord) -> TemplateRecord:
        return cls(id=record.name, name=record.first("name") or "", values=dict(record.values))


# --------------------------------------------------------------------------- info

InfoTree = dict[str, Any]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def parse_info_tree(text: str) -> InfoTree:
    """Parse `virtualmin info` text: a recursive dump, 4-space indents, ``* `` list items.

    A ``key:`` with nothing after it is a container when indented lines follow, else an empty
    string (``disk_fs:`` on a host without local filesystems, http_info.json).
    """
    lines = [ln.rstrip("\r") for ln in text.splitlines() if ln.strip()]
    pos = 0

    def block(indent: int) -> Any:
        nonlocal pos
        if pos >= len(lines) or _indent(lines[pos]) != indent:
            return ""
        if lines[pos].lstrip(" ").startswith("*"):
            items: list[Any] = []
            while pos < len(lines) and _indent(lines[pos]) == indent:
                body = lines[pos].lstrip(" ")
                if not body.startswith("*"):
                    break
                value = body[1:].strip()
                pos += 1
                if value == "" and pos < len(lines) and _indent(lines[pos]) > indent:
                    items.append(block(_indent(lines[pos])))
                else:
                    items.append(value)
            return items
        mapping: dict[str, Any] = {}
        while pos < len(lines) and _indent(lines[pos]) == indent:
            body = lines[pos].lstrip(" ")
            key, sep, value = body.partition(":")
            pos += 1
            if not sep:
                continue
            value = value.strip()
            if value == "" and pos < len(lines) and _indent(lines[pos]) > indent:
                mapping[key] = block(_indent(lines[pos]))
            else:
                mapping[key] = value
        return mapping

    result: InfoTree = {}
    while pos < len(lines):
        start = pos
        parsed = block(_indent(lines[pos]))
        if isinstance(parsed, dict):
            result.update(parsed)
        if pos == start:  # a line deeper than its context: skip rather than loop forever
            pos += 1
    return result


def _float_or_none(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _nth_int(items: Any, index: int) -> int | None:
    if isinstance(items, list) and len(items) > index and isinstance(items[index], str):
        return _int_or_none(items[index])
    return None


@dataclass(frozen=True)
class ServerInfo:
    """What ``virtualmin info`` reports, with the fields praho uses typed."""

    hostname: str | None
    os: str | None
    virtualmin_version: str | None
    virtualmin_edition: str | None
    webmin_version: str | None
    kernel: str | None
    load_1m: float | None
    load_5m: float | None
    load_15m: float | None
    memory_total_kib: int | None
    memory_free_kib: int | None
    swap_total_kib: int | None
    swap_free_kib: int | None
    disk_total_bytes: int | None
    disk_free_bytes: int | None
    disk_used_bytes: int | None
    domain_count: int | None
    process_count: int | None
    raw: InfoTree = field(repr=False)

    @classmethod
    def from_text(cls, text: str) -> ServerInfo:
        tree = parse_info_tree(text)
        host = _as_dict(tree.get("host"))
        kernel = _as_dict(tree.get("kernel"))
        load = _as_list(tree.get("load"))
        mem = tree.get("mem")
        fcount = _as_dict(tree.get("fcount"))
        # disk_* are 0 and disk_fs is empty where the collector saw no local filesystem
        # (http_info.json, a chroot); https_info.json on the same host with /dev/vda reports them.
        disk_reported = isinstance(tree.get("disk_fs"), list) and bool(tree["disk_fs"])
        kernel_text = " ".join(str(kernel[k]) for k in ("os", "version", "arch") if kernel.get(k)) or None
        return cls(
            hostname=host.get("hostname"),
            os=host.get("os"),
            virtualmin_version=host.get("virtualmin version"),
            virtualmin_edition=host.get("virtualmin edition"),
            webmin_version=host.get("webmin version"),
            kernel=kernel_text,
            load_1m=_float_or_none(load[0]) if len(load) > 0 else None,
            load_5m=_float_or_none(load[1]) if len(load) > 1 else None,
            load_15m=_float_or_none(load[2]) if len(load) > 2 else None,
            memory_total_kib=_nth_int(mem, 0),
            memory_free_kib=_nth_int(mem, 1),
            swap_total_kib=_nth_int(mem, 2),
            swap_free_kib=_nth_int(mem, 3),
            disk_total_bytes=_int_or_none(tree.get("disk_total")) if disk_reported else None,
            disk_free_bytes=_int_or_none(tree.get("disk_free")) if disk_reported else None,
            disk_used_bytes=_int_or_none(tree.get("disk_used")) if disk_reported else None,
            domain_count=_int_or_none(fcount.get("doms")),
            process_count=_int_or_none(tree.get("procs")) if isinstance(tree.get("procs"), str) else None,
            raw=tree,
        )
