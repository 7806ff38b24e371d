"""The Virtualmin programs the simulator knows, producing the real command's stdout and exit code.

Each program parses its argument list the way Virtualmin's Perl scripts do (a value flag takes the
next argument whatever it looks like; anything unknown is ``Unknown parameter X``), works on the
state document, and prints what the real script prints. Every argument is data: nothing is ever
passed to a shell or evaluated.

Texts follow the captures (named in the comments); where nothing was captured, the text follows
docs/virtualmin-protocol.md and is marked RECONSTRUCTED.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from praho_cli.result import ErrorCode, PrahoFailure
from praho_cli.virtualmin.simulator import texts
from praho_cli.virtualmin.simulator.state import SimState, make_domain, password_sha256


@dataclass
class Run:
    """One program run: what it printed and its exit code, plus the flags the output converter needs."""

    output: str
    exit_code: int = 0
    changed: bool = False
    # Set by the list-* programs' common flag parser (Virtualmin 7.30+): --json / --xml on the CLI.
    cli_format: str | None = None
    multiline: bool = False
    name_only: bool = False


class UsageError(Exception):
    """A script's ``usage()`` call: message, separator and usage text on stdout, exit 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Args:
    values: dict[str, list[str]] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # boolean flags, in the order given
    positional: list[str] = field(default_factory=list)

    def one(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[-1] if found else None

    def many(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def has(self, name: str) -> bool:
        return name in self.flags


def parse_args(
    argv: Sequence[str],
    *,
    value_flags: frozenset[str],
    bool_flags: frozenset[str],
    allow_positional: bool = False,
    on_flag: Callable[[str], None] | None = None,
) -> Args:
    args = Args()
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if item.startswith("--"):
            name = item[2:]
            if on_flag is not None:
                on_flag(name)
            if name in value_flags:
                # Perl's shift(@ARGV): the next argument is the value even if it looks like a flag,
                # which is why an empty desc= swallows the next flag (docs/virtualmin-protocol.md §1.3).
                value = items[index] if index < len(items) else ""
                index += 1
                args.values.setdefault(name, []).append(value)
                continue
            if name in bool_flags:
                args.flags.append(name)
                continue
            raise UsageError(f"Unknown parameter {item}")
        if allow_positional:
            args.positional.append(item)
            continue
        raise UsageError(f"Unknown parameter {item}")
    return args


# -- formatting helpers ----------------------------------------------------------------------------


def nice_size(num_bytes: int) -> str:
    """Webmin's nice_size: ``2 GiB``, ``200 MiB``, ``2.34 MiB``."""
    units = [(1024**4, "TiB"), (1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")]
    for factor, unit in units:
        if num_bytes >= factor:
            text = f"{num_bytes / factor:.2f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return f"{num_bytes} bytes"


def make_date(epoch: float) -> str:
    # The captured server prints dates as 11/26/2026 04:12 AM (cli_list-domains_multiline.txt).
    return time.strftime("%m/%d/%Y %I:%M %p", time.localtime(epoch))


def _limit(value: Any) -> str:
    return "Unlimited" if value is None else str(value)


def _blocks_nice(blocks: int | None) -> str:
    return "Unlimited" if blocks is None else nice_size(int(blocks) * 1024)


def hashed_password(domain: dict[str, Any]) -> str:
    """A yescrypt-looking hash (the real server prints one to master admins). Derived from the stored
    SHA-256 through another hash with the domain id as salt, so it never shows the password's SHA-256."""
    import base64
    import hashlib

    salt = base64.b64encode(hashlib.sha256(domain["id"].encode()).digest(), b"./").decode()[:22]
    digest = hashlib.sha256(f"{salt}${domain['password_sha256']}".encode()).digest()
    return f"$y$j9T${salt}${base64.b64encode(digest, b'./').decode().rstrip('=')}"


def usage_output(message: str, usage: str, separator: str = "\n\n") -> str:
    return f"{message}{separator}{usage}"


# -- rendering records -----------------------------------------------------------------------------


def _find(items: list[dict[str, Any]], item_id: str) -> dict[str, Any] | None:
    return next((i for i in items if i["id"] == item_id), None)


def domain_fields(domain: dict[str, Any], doc: dict[str, Any], *, full: bool) -> list[tuple[str, str]]:
    """The ``--multiline`` fields of one domain, in the captured order (cli_list-domains_multiline.txt;
    ``full=False`` is --simple-multiline, which drops the [full] fields)."""
    settings = doc["settings"]
    plan = _find(doc["plans"], domain["plan_id"]) or {"name": ""}
    template = _find(doc["templates"], domain["template_id"]) or {"name": ""}
    user = domain["user"]
    contact = domain.get("email") or f"{user}@{settings['hostname']}"
    disabled = domain.get("disabled")
    features = " ".join(domain["features"])
    fields: list[tuple[str, str]] = [
        ("ID", domain["id"]),
        ("File", f"/etc/webmin/virtual-server/domains/{domain['id']}"),
        ("Type", "Top-level server"),
        ("Description", domain["desc"]),
        ("Template ID", domain["template_id"]),
        ("Template", template["name"]),
        ("Plan ID", domain["plan_id"]),
        ("Plan", plan["name"]),
        ("Username", user),
        ("User ID", str(domain["uid"])),
        ("Group name", domain["group"]),
        ("Group ID", str(domain["gid"])),
        ("Mailbox username prefix", user),
        ("Password storage", "Hashed"),
        ("Hashed password", hashed_password(domain)),
        ("Home directory", f"/home/{user}"),
        ("Contact email", contact),
        ("Contact address", contact),
        ("Created on", make_date(domain["created"])),
        ("Created Unix time", str(domain["created"])),
        ("Created by", domain.get("created_by", "root")),
    ]
    if disabled:
        # http_list-domains_multiline_disabled.json: "Manually (captured test)" from why=captured test.
        reason = f"Manually ({disabled['why']})" if disabled.get("why") else "Manually"
        fields += [("Disabled", reason), ("Disabled at", make_date(disabled["at"]))]
    fields += [
        ("IP address", f"{settings['ip']} (Shared)"),
        ("IPv6 address", settings["ip6"]),
        ("Features", features),
        ("Plugins", ""),
    ]
    if settings.get("quotas_enabled"):
        used = int(domain.get("used_blocks") or 0)
        fields += [("Server quota", _blocks_nice(domain.get("quota"))),
                   ("Server block quota", _limit(domain.get("quota")))]
        if full:
            fields += [("Server quota used", nice_size(used * 1024)),
                       ("Server block quota used", str(used)),
                       ("Server byte quota used", str(used * 1024))]
        fields += [("User quota", _blocks_nice(domain.get("uquota"))),
                   ("User block quota", _limit(domain.get("uquota")))]
        if full:
            fields += [("User quota used", nice_size(used * 1024)),
                       ("User block quota used", str(used)),
                       ("User byte quota used", str(used * 1024))]
    if full:
        fields.append(("SSL candidate hostnames", domain["name"]))
    fields += [
        ("SSL provider subset mode", "No"),
        ("Provisioning for dns", "Local"),
        ("Provisioning for mysql", "Local"),
        ("Provisioning for spam", "Local"),
        ("Provisioning for virus", "Local"),
        ("Maximum sub-servers", "Cannot create"),
        ("Maximum alias servers", "*"),
        ("Maximum non-alias servers", "*"),
        ("Maximum mailboxes", "Unlimited"),
        ("Maximum databases", "Unlimited"),
        ("Maximum aliases", "Unlimited"),
        ("Maximum Mongrel instances", "Unlimited"),
        ("Can choose database names", "Yes"),
        ("Can rename servers", "Yes"),
        ("Can migrate backups", "No"),
        ("Sub-servers must be under main domain", "No"),
        ("Sub-servers cannot be under other domains", "No"),
        ("Sub-servers inherit IP address", "No"),
        ("Read-only mode", "No"),
        ("Allowed features", features),
        ("Edit capabilities", "users aliases passwd"),
        ("Allowed scripts", "All"),
    ]
    # A disabled domain's owner loses shell and FTP (cli_list-domains_multiline_disabled.txt).
    if disabled:
        fields += [("Shell type", "nologin"), ("Login permissions", "Email only"),
                   ("Shell command", "/dev/null")]
    else:
        fields += [("Shell type", "ssh"), ("Login permissions", "Email, FTP and SSH"),
                   ("Shell command", "/bin/bash")]
    fields.append(("Last login", "Never"))
    return fields


def render_records(records: list[tuple[str, list[tuple[str, str]]]]) -> str:
    lines: list[str] = []
    for header, fields in records:
        lines.append(header)
        lines.extend(f"    {label}: {value}" for label, value in fields)
    return "".join(line + "\n" for line in lines)


def plan_fields(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """cli_list-plans_multiline.txt order. "Server quota" is only printed for a limited plan."""
    fields: list[tuple[str, str]] = [("Name", plan["name"])]
    fields.append(("Server block quota", _limit(plan.get("quota"))))
    if plan.get("quota") is not None:
        fields.append(("Server quota", _blocks_nice(plan["quota"])))
    fields.append(("Administrator block quota", _limit(plan.get("uquota"))))
    if plan.get("uquota") is not None:
        fields.append(("Administrator quota", _blocks_nice(plan["uquota"])))
    fields += [
        ("Maximum mailbox", _limit(plan.get("max_mailbox"))),
        ("Maximum alias", _limit(plan.get("max_alias"))),
        ("Maximum dbs", _limit(plan.get("max_dbs"))),
        ("Maximum doms", _limit(plan.get("max_doms"))),
        ("Maximum aliasdoms", _limit(plan.get("max_aliasdoms"))),
        ("Maximum realdoms", _limit(plan.get("max_realdoms"))),
        ("Maximum bw", _limit(plan.get("max_bw"))),
        ("Can choose database names", "Yes"),
        ("Can rename domains", "Yes"),
        ("Can migrate backups", "No"),
        ("Can create sub-servers under any domain", "Yes"),
        ("Can create sub-servers under other domains", "No"),
        ("Allowed features", "Automatic"),
        ("Edit capabilities", "Automatic"),
        ("Allowed scripts", "All"),
        ("Resellers", "All"),
    ]
    return fields


def template_fields(template: dict[str, Any]) -> list[tuple[str, str]]:
    """cli_list-templates_multiline.txt order."""
    return [
        ("Name", template["name"]),
        ("Custom web", template["custom_web"]),
        ("Custom dns", template["custom_dns"]),
        ("Custom ftp", template["custom_ftp"]),
        ("Custom logrotate", template["custom_logrotate"]),
        ("Custom mail", template["custom_mail"]),
    ]


def _row(widths: Sequence[int], cells: Sequence[str]) -> str:
    # Perl's "%-30.30s": padded and cut to the width, columns joined by one space.
    return " ".join(f"{cell[:w]:<{w}}" for w, cell in zip(widths, cells, strict=True)) + "\n"


def _table(widths: Sequence[int], header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = _row(widths, header) + " ".join("-" * w for w in widths) + "\n"
    return out + "".join(_row(widths, row) for row in rows)


# -- list programs ---------------------------------------------------------------------------------

_MODE_FLAGS = ("name-only", "id-only", "user-only", "home-only", "file-only", "ip-only", "email-only")


class _ListMode:
    """The 7.30+ common flag parser: --multiline, --simple-multiline, --json, --xml, --*-only."""

    def __init__(self) -> None:
        self.multiline = 0
        self.only: str | None = None
        self.cli_format: str | None = None

    def see(self, name: str) -> None:
        if name == "multiline":
            self.multiline = 1
        elif name == "simple-multiline":
            self.multiline = 2
        elif name in _MODE_FLAGS:
            self.only = self.only or name
        elif name in ("json", "xml"):
            self.cli_format = name
            # --json alone implies --multiline, but not after --name-only: `--name-only --json` gives a
            # list of strings (cli_list-domains_name-only_json.txt).
            if not self.multiline and self.only is None:
                self.multiline = 1

    def run(self, output: str, exit_code: int = 0) -> Run:
        return Run(output, exit_code, cli_format=self.cli_format, multiline=self.multiline > 0,
                   name_only=self.only is not None and not self.multiline)


_LIST_DOMAINS_BOOL = frozenset({
    "multiline", "simple-multiline", "json", "xml", *_MODE_FLAGS, "ip6-only", "ssl-expiry-only",
    "enabled", "disabled", "toplevel", "subserver", "subdomain", "no-alias", "with-web", "with-ssl",
    "no-reseller", "any-reseller",
})
_LIST_DOMAINS_VALUE = frozenset({
    "domain", "user", "id", "mail-user", "with-feature", "without-feature", "plan", "template",
    "parent", "alias", "php-mode", "ip", "reseller",
})


def list_domains(doc: dict[str, Any], argv: Sequence[str]) -> Run:
    mode = _ListMode()
    try:
        args = parse_args(argv, value_flags=_LIST_DOMAINS_VALUE, bool_flags=_LIST_DOMAINS_BOOL,
                          on_flag=mode.see)
        domains = _select_domains(doc, args)
    except UsageError as exc:
        return mode.run(usage_output(exc.message, texts.USAGE_LIST_DOMAINS), 1)
    domains.sort(key=lambda d: (d["user"], d["created"], d["id"]))
    if mode.multiline:
        full = mode.multiline == 1
        return mode.run(render_records([(d["name"], domain_fields(d, doc, full=full)) for d in domains]))
    if mode.only is not None:
        pick: dict[str, Callable[[dict[str, Any]], str]] = {
            "name-only": lambda d: d["name"],
            "id-only": lambda d: d["id"],
            "user-only": lambda d: d["user"],
            "home-only": lambda d: f"/home/{d['user']}",
            "file-only": lambda d: f"/etc/webmin/virtual-server/domains/{d['id']}",
            "ip-only": lambda d: doc["settings"]["ip"],
            "email-only": lambda d: d.get("email") or f"{d['user']}@{doc['settings']['hostname']}",
        }
        return mode.run("".join(pick[mode.only](d) + "\n" for d in domains))
    # cli_list-domains.txt: Domain/Username/Description cut at 30/15/30 characters.
    rows = [(d["name"], d["user"], d["desc"]) for d in domains]
    return mode.run(_table((30, 15, 30), ("Domain", "Username", "Description"), rows))


def _select_domains(doc: dict[str, Any], args: Args) -> list[dict[str, Any]]:
    domains: list[dict[str, Any]] = list(doc["domains"])
    wanted_names = args.many("domain")
    if wanted_names:
        by_name = {d["name"]: d for d in domains}
        selected = []
        for name in wanted_names:
            # list-domains does not lower-case --domain (docs/virtualmin-protocol.md §2).
            if name not in by_name:
                raise UsageError(f"Virtual server {name} does not exist")
            selected.append(by_name[name])
        domains = selected
    for user in args.many("user"):
        owned = [d for d in doc["domains"] if d["user"] == user]
        if not owned:
            raise UsageError(f"No top-level domain owned by {user} exists")
    if args.many("user"):
        users = set(args.many("user"))
        domains = [d for d in domains if d["user"] in users]
    if args.many("id"):
        ids = args.many("id")
        for domain_id in ids:
            if not any(d["id"] == domain_id for d in doc["domains"]):
                raise UsageError(f"No virtual server with ID {domain_id} exists")
        domains = [d for d in domains if d["id"] in ids]
    plan_arg = args.one("plan")
    if plan_arg is not None:
        plan = next((p for p in doc["plans"]
                     if p["id"] == plan_arg or p["name"].lower() == plan_arg.lower()), None)
        if plan is None:
            raise UsageError(f"No plan with name or ID {plan_arg} found")
        domains = [d for d in domains if d["plan_id"] == plan["id"]]
    template_arg = args.one("template")
    if template_arg is not None:
        template = next((t for t in doc["templates"]
                         if t["id"] == template_arg or t["name"] == template_arg), None)
        if template is None:
            # The name is missing from the real message (a variable bug, docs/virtualmin-protocol.md §2.1).
            raise UsageError("No template with ID or name  was found")
        domains = [d for d in domains if d["template_id"] == template["id"]]
    if args.has("enabled"):
        domains = [d for d in domains if not d.get("disabled")]
    if args.has("disabled"):
        domains = [d for d in domains if d.get("disabled")]
    for feature in args.many("with-feature"):
        domains = [d for d in domains if feature in d["features"]]
    for feature in args.many("without-feature"):
        domains = [d for d in domains if feature not in d["features"]]
    if args.has("with-web") or args.has("with-ssl"):
        domains = [d for d in domains if "web" in d["features"]]
    # The simulator has top-level servers only: sub-server, alias and parent filters select nothing.
    if args.has("subserver") or args.has("subdomain") or args.many("parent") or args.many("alias"):
        domains = []
    return domains


def list_plans(doc: dict[str, Any], argv: Sequence[str]) -> Run:
    mode = _ListMode()
    try:
        args = parse_args(argv, value_flags=frozenset({"id", "name"}),
                          bool_flags=frozenset({"multiline", "json", "xml", "name-only", "id-only"}),
                          on_flag=mode.see)
        plans = sorted(doc["plans"], key=lambda p: p["name"].lower())
        for plan_id in args.many("id"):
            if not any(p["id"] == plan_id for p in plans):
                raise UsageError(f"No plan with ID {plan_id} was found")
        for name in args.many("name"):
            if not any(p["name"] == name for p in plans):
                raise UsageError(f"No plan with name {name} was found")
    except UsageError as exc:
        return mode.run(usage_output(exc.message, texts.USAGE_LIST_PLANS), 1)
    if args.many("id"):
        plans = [p for p in plans if p["id"] in args.many("id")]
    if args.many("name"):
        plans = [p for p in plans if p["name"] in args.many("name")]
    if mode.multiline:
        return mode.run(render_records([(p["id"], plan_fields(p)) for p in plans]))
    if mode.only == "name-only":
        return mode.run("".join(p["name"] + "\n" for p in plans))
    if mode.only == "id-only":
        return mode.run("".join(p["id"] + "\n" for p in plans))
    # cli_list-plans.txt: ID/Name/Quota/Domains at 18/40/10/8 characters.
    rows = [(p["id"], p["name"], _blocks_nice(p.get("quota")), _limit(p.get("max_doms"))) for p in plans]
    return mode.run(_table((18, 40, 10, 8), ("ID", "Name", "Quota", "Domains"), rows))


def list_templates(doc: dict[str, Any], argv: Sequence[str]) -> Run:
    mode = _ListMode()
    try:
        parse_args(argv, value_flags=frozenset(),
                   bool_flags=frozenset({"multiline", "json", "xml", "name-only", "deleted"}),
                   on_flag=mode.see)
    except UsageError as exc:
        return mode.run(usage_output(exc.message, texts.USAGE_LIST_TEMPLATES), 1)
    templates = doc["templates"]
    if mode.multiline:
        return mode.run(render_records([(t["id"], template_fields(t)) for t in templates]))
    if mode.only == "name-only":
        return mode.run("".join(t["name"] + "\n" for t in templates))
    # cli_list-templates.txt: ID/Description at 18/60 characters.
    return mode.run(_table((18, 60), ("ID", "Description"), [(t["id"], t["name"]) for t in templates]))


# -- info --------------------------------------------------------------------------------------------


def _info_sections(doc: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The sections of ``virtualmin info`` (cli_info.txt) with the counts taken from the state; the
    machine figures (cpu, load, memory) are the captured ones."""
    domains = doc["domains"]
    settings = doc["settings"]
    count = len(domains)
    with_feature = {f: sum(1 for d in domains if f in d["features"]) for f in ("unix", "dir")}
    fcount = {
        "aliases": 0, "dbs": 0, "dir": with_feature["dir"], "dns": 0, "doms": count, "ftp": 0,
        "logrotate": 0, "mail": 0, "mysql": 0, "postgres": 0, "spam": 0, "ssl": 0,
        "unix": with_feature["unix"], "users": count, "virus": 0, "web": 0, "webaliases": 0,
        "webalizer": 0, "webmin": 0,
    }
    sections: list[tuple[str, list[str]]] = [
        ("cpu", ["    * 0", "    * 2", "    * 97", "    * 0", "    * 0"]),
        ("disk_free: 0", []),
        ("disk_fs", []),
        ("disk_total: 0", []),
        ("disk_used: 0", []),
        ("fcount", [f"    {k}: {v}" for k, v in fcount.items()]),
        ("ftypes", [f"    * {t}" for t in
                    ("doms", "dns", "web", "ssl", "webaliases", "mail", "dbs", "users", "aliases")]),
        ("host", [
            f"    hostname: {settings['hostname']}",
            "    module root: /usr/share/webmin/virtual-server",
            "    os: Debian Linux 12",
            "    root: /usr/share/webmin",
            "    theme version: 10.1",
            "    virtualmin edition: GPL",
            "    virtualmin version: 8.1.0",
            "    webmin version: 2.660",
        ]),
        ("io", ["    * 8", "    * 8"]),
    ]
    if domains:
        first = sorted(domains, key=lambda d: (d["user"], d["created"]))[0]["name"]
        for key, address in (("ips", settings["ip"]), ("ips6", settings["ip6"])):
            sections.append((key, ["    * ", f"        * {address}", "        * def", "        * ",
                                   f"        * {count}", f"        * {first}"]))
    sections += [
        ("kernel", ["    arch: x86_64", "    os: Linux", "    version: 6.1.0-simulated"]),
        ("load", ["    * 0.76", "    * 0.58", "    * 0.28", "    * 2596", "    * AMD EPYC",
                  "    * AuthenticAMD", "    * 1048576", "    * 2"]),
        ("mem", ["    * 24684084", "    * 24032624", "    * 0", "    * 0", "    * 1379468", "    * "]),
        ("poss", []),
        ("procs: 82", []),
        ("progs", ["    * ", "        * Perl version", "        * 5.036000", "    * ",
                   "        * Path to Perl", "        * /usr/bin/perl"]),
        ("reboot: 0", []),
        ("status", []),
    ]
    return sections


def info(doc: dict[str, Any], argv: Sequence[str]) -> Run:
    # Every word that is not --search or --multiline is a search term, so `virtualmin info --json`
    # prints nothing and exits 0 (cli_info_json.txt).
    terms: list[str] = []
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if item == "--multiline":
            continue
        if item == "--search":
            terms.append(items[index] if index < len(items) else "")
            index += 1
            continue
        terms.append(item)
    out: list[str] = []
    for head, body in _info_sections(doc):
        name = head.split(":")[0]
        if terms and not any(t.lower() in name.lower() for t in terms):
            continue
        out.append(head if ":" in head else f"{head}: ")
        out.extend(body)
    return Run("".join(line + "\n" for line in out))


# -- mutations -----------------------------------------------------------------------------------

_FEATURES = ("unix", "dir", "dns", "mail", "web", "webalizer", "ssl", "logrotate", "mysql", "postgres",
             "spam", "virus", "webmin", "status")
_CREATE_VALUE = frozenset({
    "domain", "pass", "passfile", "user", "group", "desc", "email", "plan", "template", "parent",
    "alias", "alias-with-mail", "alias-with-dns", "superdom", "subdom", "ip", "shared-ip", "dns-ip",
    "dns-ip6", "ip6", "max-doms", "max-aliasdoms", "max-realdoms", "max-mailboxes", "max-dbs",
    "max-aliases", "quota", "uquota", "bandwidth", "suffix", "prefix", "db", "fwdto", "reseller",
    "mysql-pass", "postgres-pass", "mode", "shell", "content", "mysql-server", "postgres-server",
    "cloud-dns", "append-style", "subprefix", "proxy", "use-ssh-key",
})
_CREATE_BOOL = frozenset({
    "hashpass", "default-features", "features-from-plan", "features-from-template", "limits-from-plan",
    "limits-from-template", "allocate-ip", "ip-already", "default-ip", "no-ip", "allocate-ip6",
    "default-ip6", "no-ip6", "no-dns-ip", "no-dns-ip6", "skip-warnings", "acme", "acme-always",
    "acme-never", "letsencrypt", "letsencrypt-always", "no-email", "enable-jail", "disable-jail",
    "separate-dns-subdomain", "any-dns-subdomain", "break-ssl-cert", "link-ssl-cert", "ssl-redirect",
    "generate-ssl-cert", "generate-ssh-key", "multiline", *_FEATURES,
})
_LIMIT_FLAGS = ("quota", "uquota", "bandwidth", "max-doms", "max-aliasdoms", "max-realdoms",
                "max-mailboxes", "max-dbs", "max-aliases")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_DOMAIN_CHARS = re.compile(r"^[a-z0-9.-]+$")


def _read_passfile(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().rstrip("\n")
    except OSError as exc:
        raise UsageError(f"Failed to read password file {path} : {exc.strerror}") from None


def _check_domain_name(name: str) -> None:
    # RECONSTRUCTED messages (docs/virtualmin-protocol.md §2.2 lists these checks, not their exact wording,
    # except the first).
    if not _DOMAIN_CHARS.match(name):
        raise UsageError("Domain names cannot include anything other than letters, numbers, dots, and dashes")
    if name.startswith(".") or name.endswith("."):
        raise UsageError("Domain names cannot start or end with a dot")
    if ".." in name:
        raise UsageError("Domain names cannot contain consecutive dots")
    if _IPV4.match(name):
        raise UsageError("A domain name cannot be an IP address")
    if name.startswith("www."):
        raise UsageError("Domain name does not need to have www. at the start")


def _blocks_arg(value: str, message: str) -> int | None:
    if value.upper() == "UNLIMITED":
        return None
    if not value.isdigit():
        raise UsageError(message)
    return int(value)


def create_domain(doc: dict[str, Any], argv: Sequence[str], now: float) -> Run:
    settings = doc["settings"]
    enabled = set(settings.get("module_features", ["unix", "dir"]))

    def check_feature(name: str) -> None:
        if name in _FEATURES and name not in enabled:
            raise UsageError(
                f"The --{name} option cannot be used unless the feature is enabled in the module configuration"
            )

    try:
        args = parse_args(argv, value_flags=_CREATE_VALUE, bool_flags=_CREATE_BOOL, on_flag=check_feature)
        raw_domain = args.one("domain")
        if not raw_domain:
            raise UsageError("Missing domain name")
        name = raw_domain.lower()
        if args.one("parent") or args.one("alias") or args.one("alias-with-mail") or \
                args.one("alias-with-dns") or args.one("superdom") or args.one("subdom"):
            raise UsageError("The simulator only creates top-level virtual servers")
        password = args.one("pass")
        if password is None and args.one("passfile") is not None:
            password = _read_passfile(args.one("passfile") or "")
        if password is None:
            raise UsageError("Missing password")
        desc = args.one("desc")
        if desc is not None and ":" in desc:
            raise UsageError("Description cannot contain the : character")
        plan_id = "0"
        if args.one("plan") is not None:
            wanted = args.one("plan")
            plan = next((p for p in doc["plans"] if p["id"] == wanted or p["name"] == wanted), None)
            if plan is None:
                raise UsageError("Unknown plan name")
            plan_id = plan["id"]
        template_id = "0"
        if args.one("template"):
            wanted = args.one("template")
            template = next((t for t in doc["templates"] if t["id"] == wanted or t["name"] == wanted), None)
            if template is None:
                raise UsageError("Unknown template name")
            template_id = template["id"]
        # The clash check ignores case (docs/virtualmin-protocol.md §2.2); http_create-domain_exists.json.
        if any(d["name"].lower() == name for d in doc["domains"]):
            raise UsageError("You are already hosting this domain")
        if settings.get("strict_domain_names", True):
            _check_domain_name(name)
        users = {d["user"] for d in doc["domains"]}
        if args.one("user") is not None:
            user = (args.one("user") or "").lower()
            if user in users:
                raise UsageError("The specified administration user already exists")
        else:
            first_label = name.split(".")[0]
            if first_label not in users:
                user = first_label
            elif name not in users:
                user = name
            else:
                raise UsageError(
                    "A free automatically chosen administration username could not be found "
                    f"(both {first_label} and {name} already exist)"
                )
        explicit_limits = any(args.one(f) is not None for f in _LIMIT_FLAGS)
        quota = _blocks_arg(args.one("quota") or "UNLIMITED", "Quota must be a number of blocks") \
            if args.one("quota") is not None else None
        uquota = _blocks_arg(args.one("uquota") or "UNLIMITED", "Quota must be a number of blocks") \
            if args.one("uquota") is not None else None
    except UsageError as exc:
        return Run(usage_output(exc.message, texts.USAGE_CREATE_DOMAIN), 1)

    # unix and dir are forced on in the captured module configuration (unix=3, dir=3).
    features = ["unix", "dir"] + [f for f in _FEATURES[2:] if args.has(f)]
    record = make_domain(
        doc, name, password=password, now=now, user=user, desc=desc, email=args.one("email"),
        plan_id=plan_id, template_id=template_id, features=features, quota=quota, uquota=uquota,
        limits_from_plan=not explicit_limits,
    )
    doc["domains"].append(record)
    # cli_create-domain.txt (unix+dir features).
    output = (
        "Beginning server creation ..\n\n"
        "Saving server details ..\n.. done\n\n"
        f"Creating administration group {user} ..\n.. done\n\n"
        f"Creating administration user {user} ..\n.. done\n\n"
        "Adding administration user to groups ..\n.. done\n\n"
        "Creating home directory ..\n.. done\n\n"
        "Creating mailbox for administration user ..\n.. done\n\n"
        "Saving server details ..\n.. done\n\n"
        "All done!\n"
    )
    return Run(output, 0, changed=True)


def delete_domain(doc: dict[str, Any], argv: Sequence[str], now: float) -> Run:
    try:
        args = parse_args(argv, value_flags=frozenset({"domain", "user", "pre-command", "post-command"}),
                          bool_flags=frozenset({"only", "preserve-remote", "multiline"}))
        names = args.many("domain")
        owners = args.many("user")
        if not names and not owners:
            raise UsageError("No users or domains specified")
        targets: list[dict[str, Any]] = []
        for name in names:
            # delete-domain does not lower-case its argument (docs/virtualmin-protocol.md §2).
            found = next((d for d in doc["domains"] if d["name"] == name), None)
            if found is None:
                raise UsageError(f"Virtual server {name} does not exist")
            targets.append(found)
        for owner in owners:
            found = next((d for d in doc["domains"] if d["user"] == owner), None)
            if found is None:
                raise UsageError(f"Virtual server owned by {owner} does not exist")
            targets.append(found)
    except UsageError as exc:
        return Run(usage_output(exc.message, texts.USAGE_DELETE_DOMAIN), 1)
    output = []
    seen: set[str] = set()
    for target in targets:
        if target["id"] in seen:
            continue
        seen.add(target["id"])
        doc["domains"] = [d for d in doc["domains"] if d["id"] != target["id"]]
        # cli_delete-domain.txt
        output.append(
            f"Deleting virtual server {target['name']} ..\n"
            "    Deleting mail aliases ..\n    .. done\n\n"
            "    Deleting home directory ..\n    .. done\n\n"
            "    Deleting administration user ..\n    .. done\n\n"
            "    Deleting administration group ..\n    .. done\n\n"
            f"    Deleting server details for {target['name']} ..\n    .. done\n\n"
            ".. deleted\n\n"
        )
    return Run("".join(output), 0, changed=True)


def _find_for_state_change(doc: dict[str, Any], args: Args) -> dict[str, Any]:
    raw = args.one("domain")
    if not raw:
        raise UsageError("No domain specified")
    # disable-domain and enable-domain lower-case their argument (docs/virtualmin-protocol.md §2).
    name = raw.lower()
    found = next((d for d in doc["domains"] if d["name"] == name), None)
    if found is None:
        raise UsageError(f"Virtual server {name} does not exist")
    return found


def disable_domain(doc: dict[str, Any], argv: Sequence[str], now: float) -> Run:
    try:
        args = parse_args(argv, value_flags=frozenset({"domain", "why", "feature", "schedule"}),
                          bool_flags=frozenset({"subservers", "multiline"}))
        domain = _find_for_state_change(doc, args)
        if domain.get("disabled"):
            raise UsageError(f"Virtual server {domain['name']} is already disabled")
    except UsageError as exc:
        # The message and usage are separated by one newline only (cli_disable-domain_already-disabled.txt).
        return Run(usage_output(exc.message, texts.USAGE_DISABLE_DOMAIN, "\n"), 1)
    domain["disabled"] = {"why": args.one("why"), "at": int(now)}
    # cli_disable-domain.txt
    output = (
        f"Disabling virtual server {domain['name']} ..\n\n"
        "Locking administration user's password ..\n.. done\n\n"
        "Saving server details ..\n.. done\n\n"
        "All done!\n"
    )
    return Run(output, 0, changed=True)


def enable_domain(doc: dict[str, Any], argv: Sequence[str], now: float) -> Run:
    try:
        args = parse_args(argv, value_flags=frozenset({"domain"}),
                          bool_flags=frozenset({"subservers", "multiline"}))
        domain = _find_for_state_change(doc, args)
        if not domain.get("disabled"):
            raise UsageError(f"Virtual server {domain['name']} is not disabled")
    except UsageError as exc:
        return Run(usage_output(exc.message, texts.USAGE_ENABLE_DOMAIN, "\n"), 1)
    domain["disabled"] = None
    # cli_enable-domain.txt
    output = (
        f"Enabling virtual server {domain['name']} ..\n\n"
        "Restoring administration user's password ..\n.. done\n\n"
        "Saving server details ..\n.. done\n\n"
        "All done!\n"
    )
    return Run(output, 0, changed=True)


_MODIFY_VALUE = frozenset({
    "domain", "desc", "user", "pass", "passfile", "email", "quota", "uquota", "bw", "newdomain",
    "template", "plan", "apply-plan", "prefix", "reseller", "add-reseller", "delete-reseller",
    "ip", "ip6", "shared-ip",
})
_MODIFY_BOOL = frozenset({"plan-features", "skip-warnings", "protected", "unprotected", "apply-quotas",
                          "disable-2fa", "multiline"})


def modify_domain(doc: dict[str, Any], argv: Sequence[str], now: float) -> Run:
    """RECONSTRUCTED from docs/virtualmin-protocol.md §2.6 (not captured)."""
    try:
        args = parse_args(argv, value_flags=_MODIFY_VALUE, bool_flags=_MODIFY_BOOL)
        raw = (args.one("domain") or "").lower()
        domain = next((d for d in doc["domains"] if d["name"] == raw), None)
        if domain is None:
            # modify-domain's message ends with a full stop, unlike the other programs.
            raise UsageError(f"Virtual server {raw} does not exist.")
        desc = args.one("desc")
        if desc is not None and ":" in desc:
            raise UsageError("Description cannot contain the : character")
        password = args.one("pass")
        if password is None and args.one("passfile") is not None:
            password = _read_passfile(args.one("passfile") or "")
        quota = args.one("quota")
        uquota = args.one("uquota")
        new_quota = _blocks_arg(quota, "Quota must be a number of blocks") if quota is not None else None
        new_uquota = _blocks_arg(uquota, "Quota must be a number of blocks") if uquota is not None else None
        bandwidth = args.one("bw")
        if bandwidth is not None and bandwidth != "NONE" and not bandwidth.isdigit():
            raise UsageError("Bandwidth limit must be a number of bytes, or NONE")
        new_name = args.one("newdomain")
        if new_name is not None:
            new_name = new_name.lower()
            if any(d["name"] == new_name for d in doc["domains"] if d is not domain):
                raise UsageError(f"A domain called {new_name} already exists")
        new_user = args.one("user")
        if new_user is not None and any(d["user"] == new_user for d in doc["domains"] if d is not domain):
            raise UsageError(f"A user named {new_user} already exists")
    except UsageError as exc:
        return Run(usage_output(exc.message, texts.USAGE_MODIFY_DOMAIN), 1)

    steps: list[str] = []
    if desc is not None:
        domain["desc"] = desc
    if args.one("email") is not None:
        domain["email"] = args.one("email")
    if password is not None:
        domain["password_sha256"] = password_sha256(password)
        steps.append("Modifying administration user")
    if new_user is not None:
        domain["user"] = domain["group"] = new_user
        steps.append("Modifying administration user")
    # An unknown --plan / --apply-plan is silently ignored by the real script (docs/virtualmin-protocol.md §2.6).
    for flag, apply_limits in (("plan", False), ("apply-plan", True)):
        wanted = args.one(flag)
        plan = next((p for p in doc["plans"] if wanted is not None and wanted in (p["id"], p["name"])), None)
        if plan is not None:
            domain["plan_id"] = plan["id"]
            if apply_limits:
                domain["quota"], domain["uquota"] = plan.get("quota"), plan.get("uquota")
                steps.append("Changing disk quota")
    if quota is not None:
        domain["quota"] = new_quota
        steps.append("Changing disk quota")
    if uquota is not None:
        domain["uquota"] = new_uquota
    if bandwidth is not None:
        domain["bw_limit"] = None if bandwidth == "NONE" else int(bandwidth)
    if new_name is not None:
        domain["name"] = new_name
    lines = [f"Updating virtual server {domain['name']} ..\n\n"]
    for step in dict.fromkeys(steps):
        lines.append(f"{step} ..\n.. done\n\n")
    lines.append("Saving server details ..\n.. done\n\n")
    # modify-domain ends with "All done" without the exclamation mark.
    lines.append("All done\n")
    return Run("".join(lines), 0, changed=True)


# -- registry and runner --------------------------------------------------------------------------

ReadProgram = Callable[[dict[str, Any], Sequence[str]], Run]
WriteProgram = Callable[[dict[str, Any], Sequence[str], float], Run]

READ_PROGRAMS: dict[str, ReadProgram] = {
    "list-domains": list_domains,
    "list-plans": list_plans,
    "list-templates": list_templates,
    "info": info,
}
WRITE_PROGRAMS: dict[str, WriteProgram] = {
    "create-domain": create_domain,
    "delete-domain": delete_domain,
    "disable-domain": disable_domain,
    "enable-domain": enable_domain,
    "modify-domain": modify_domain,
}
PROGRAMS = frozenset(READ_PROGRAMS) | frozenset(WRITE_PROGRAMS)


def run_program(
    state: SimState,
    program: str,
    argv: Sequence[str],
    *,
    delay: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Run:
    """Run one program against ``state``. ``delay`` is spent like real work: inside the server lock for
    mutations (so concurrent mutations queue, as Virtualmin's file locks make them), before the read
    for reads (which Virtualmin does not serialise). Raises KeyError for an unknown program."""
    if program in READ_PROGRAMS:
        if delay > 0:
            sleep(delay)
        return READ_PROGRAMS[program](state.read(), argv)
    write = WRITE_PROGRAMS[program]
    timeout = float(state.settings().get("lock_timeout", 300.0))
    try:
        with state.locked(timeout):
            if delay > 0:
                sleep(delay)
            doc = state.load()
            result = write(doc, argv, state.clock())
            if result.changed:
                state.write(doc)
    except PrahoFailure as exc:
        if exc.error.code is not ErrorCode.LOCKED:
            raise
        # Webmin's lock_file message when another process holds the lock too long (docs/virtualmin-protocol.md §4.2).
        return Run(f"Failed to lock file {state.path} after {timeout:g} seconds. "
                   "Last error was : Locked by another process\n", 1)
    return result
