"""Hosting names: domains (IDNA 2008, the hosting rules), Virtualmin usernames, generated passwords."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterator

from praho_cli.result import ErrorCode, fail, returns_result

# RFC 2606 / RFC 6761 names and the ones no hosting company can sell.
RESERVED_SUFFIXES = ("localhost", "invalid", "local", "example", "test", "arpa", "onion", "internal")
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_USERNAMES = frozenset({
    "root", "admin", "administrator", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news",
    "uucp", "proxy", "www", "www_data", "backup", "list", "irc", "gnats", "nobody", "operator", "postfix",
    "postmaster", "hostmaster", "webmaster", "abuse", "mysql", "postgres", "dovecot", "named", "bind",
    "apache", "nginx", "httpd", "ftp", "sshd", "webmin", "virtualmin", "usermin", "clamav", "spamd",
    "wheel", "sudo", "adm", "staff", "users", "ubuntu", "debian", "centos", "systemd", "messagebus",
    "praho", "support", "info", "test",
})
USERNAME_RE = re.compile(r"^[a-z0-9_]{3,32}$")
LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Second-level registries whose registrable name is the third label from the right.
MULTI_LABEL_SUFFIXES = frozenset({
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.ro", "org.ro", "co.ro", "info.ro", "nom.ro", "firm.ro",
    "store.ro", "com.au", "net.au", "org.au", "co.nz", "com.br", "co.jp", "com.tr", "co.za", "com.mx", "com.ar",
    "com.pl", "com.cn", "co.in",
})
# Characters that survive every layer: no quotes, spaces, backslashes, '$', '`', '&', '%', '+', '=',
# '#', ';' or newlines (remote.cgi splits values on newlines since 7.20, docs/virtualmin-protocol.md §1.3).
PASSWORD_SYMBOLS = "-_.:@^~,"
PASSWORD_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, PASSWORD_SYMBOLS)
PASSWORD_LENGTH = 24


@returns_result
def normalize_domain(raw: str) -> tuple[str, str]:
    """(IDNA form, Unicode form) of a domain that can be hosted, or INVALID saying what is wrong."""
    parsed = parse_domain(raw).unwrap()
    ascii_name, _ = parsed
    labels = ascii_name.split(".")
    if labels[0] == "www":
        # Virtualmin refuses it too ("Domain name does not need to have www. at the start").
        if len(labels) == 2:
            raise fail(ErrorCode.INVALID, f"domain: {ascii_name} is www. and a top-level domain only; give the "
                       "site's own domain (e.g. shop.ro)", field="domain")
        raise fail(ErrorCode.INVALID, f"domain: give {'.'.join(labels[1:])} without www.", field="domain")
    if labels[-1] in RESERVED_SUFFIXES or any(ascii_name == d or ascii_name.endswith("." + d)
                                              for d in RESERVED_DOMAINS):
        raise fail(ErrorCode.INVALID, f"domain: {ascii_name} is reserved (RFC 2606/6761) and cannot be hosted",
                   field="domain")
    return parsed


@returns_result
def parse_domain(raw: str) -> tuple[str, str]:
    """(IDNA form, Unicode form) of any well-formed domain name (IDNA 2008, UTS #46 mapping), reserved
    names included: what looking an account up needs. :func:`normalize_domain` adds the hosting rules."""
    import idna

    from praho_cli.services.text import control_character

    bad = control_character(raw)
    if bad is not None:
        raise fail(ErrorCode.INVALID, f"domain: {raw!r} contains a {bad}", field="domain")
    text = raw.strip().rstrip(".").lower()
    if not text:
        raise fail(ErrorCode.INVALID, "domain: must not be empty", field="domain")
    if text.isascii():
        ascii_name = text
    else:
        try:
            ascii_name = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            if "too long" not in str(exc):
                raise fail(ErrorCode.INVALID, f"domain: {raw!r} is not a valid internationalised domain name "
                           f"(IDNA 2008): {_idna_reason(exc)}", field="domain") from None
            # Valid characters, too many of them: the lengths below say which part and by how much.
            ascii_name = ".".join(label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
                                  for label in idna.uts46_remap(text, std3_rules=True).split("."))
    labels = ascii_name.split(".")
    if len(ascii_name) > 253:
        raise fail(ErrorCode.INVALID, f"domain: too long ({len(ascii_name)} characters"
                   f"{' in its IDNA form' if ascii_name != text else ''}; at most 253)", field="domain")
    if len(labels) < 2:
        raise fail(ErrorCode.INVALID, f"domain: {raw!r} needs a name and a top-level domain (e.g. shop.ro)",
                   field="domain")
    long_label = next((label for label in labels if len(label) > 63), None)
    if long_label is not None:
        raise fail(ErrorCode.INVALID, f"domain: the label {long_label[:20]}… is too long ({len(long_label)} "
                   "characters; at most 63)", field="domain")
    if not all(LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        raise fail(ErrorCode.INVALID, f"domain: {raw!r} is malformed (labels of a-z, 0-9 and inner '-', "
                   "at most 63 characters; no IP addresses)", field="domain")
    try:
        unicode_name = idna.decode(ascii_name) if "xn--" in ascii_name else ascii_name
    except idna.IDNAError:
        raise fail(ErrorCode.INVALID, f"domain: {raw!r} has an invalid punycode label", field="domain") from None
    return ascii_name, unicode_name


def _idna_reason(exc: Exception) -> str:
    """idna's "Codepoint U+1F600 at position 6 of 'emoji😀' not allowed" as "'😀' (U+1F600) is not allowed"."""
    match = re.match(r"Codepoint (U\+[0-9A-F]+) at position \d+ of .* not allowed", str(exc))
    if match:
        char = chr(int(match.group(1)[2:], 16))
        return f"{char!r} ({match.group(1)}) is not allowed in a domain name"
    return str(exc)


@returns_result
def validate_username(raw: str) -> str:
    name = raw.strip()
    if not USERNAME_RE.match(name):
        raise fail(ErrorCode.INVALID, f"username: {raw!r} must be 3-32 characters of a-z, 0-9 and _",
                   field="username")
    if name in RESERVED_USERNAMES:
        raise fail(ErrorCode.INVALID, f"username: {name} is reserved", field="username")
    return name


def registrable_label(domain: str) -> str:
    labels = domain.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def _ascii_label(label: str) -> str:
    """An IDN label read as Unicode, diacritics dropped: ``xn--cafenea-trneasc-...`` -> cafeneataraneasca."""
    import unicodedata

    if label.startswith("xn--"):
        try:
            label = label.encode("ascii").decode("idna")
        except UnicodeError:
            label = label.removeprefix("xn--")
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")


def username_candidates(domain: str) -> Iterator[str]:
    """``shop.example.co.uk`` -> example, example1, example2, …"""
    base = re.sub(r"[^a-z0-9]", "", _ascii_label(registrable_label(domain)).lower())
    if not base or base[0].isdigit():
        base = "u" + base
    if len(base) < 3 or base in RESERVED_USERNAMES:
        base = (base + "web")[:32]
    base = base[:28]
    yield base
    n = 1
    while True:
        yield f"{base}{n}"
        n += 1


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """From ``secrets``: every character class present, nothing that breaks argument handling."""
    length = max(length, 20)
    alphabet = "".join(PASSWORD_CLASSES)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in cls for c in candidate) for cls in PASSWORD_CLASSES) and candidate[0].isalnum():
            return candidate


@returns_result
def check_password(password: str) -> str:
    """A supplied password: the same rules, so Virtualmin receives it intact."""
    if len(password) < 12:
        raise fail(ErrorCode.INVALID, "password: at least 12 characters", field="password")
    if any(c.isspace() or c in "\"'\\`$" for c in password) or not password.isprintable():
        raise fail(ErrorCode.INVALID, "password: no spaces, quotes, backslashes, '$' or control characters",
                   field="password")
    return password

