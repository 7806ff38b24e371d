"""Domain, username and password validation, and generated usernames/passwords (exact messages)."""

from __future__ import annotations

import itertools

import pytest

from praho_cli.result import Err, ErrorCode, Ok
from praho_cli.services.hosting import validation


@pytest.mark.parametrize("raw, ascii_name, unicode_name", [
    ("shop.ro", "shop.ro", "shop.ro"),
    ("  Shop.RO.  ", "shop.ro", "shop.ro"),
    ("a.b.c.example-host.co.uk", "a.b.c.example-host.co.uk", "a.b.c.example-host.co.uk"),
    ("cafenea-ţărănească.ro", "cafenea-ţărănească.ro".encode("idna").decode(), "cafenea-ţărănească.ro"),
    ("münchen.de", "xn--mnchen-3ya.de", "münchen.de"),
    ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de", "münchen.de"),
    ("x1.io", "x1.io", "x1.io"),
    ("Straße.de", "xn--strae-oqa.de", "straße.de"),  # IDNA 2008 keeps ß (IDNA 2003 made it strasse.de)
])
def test_valid_domains(raw: str, ascii_name: str, unicode_name: str) -> None:
    assert validation.normalize_domain(raw) == Ok((ascii_name, unicode_name))


@pytest.mark.parametrize("raw, message", [
    ("", "domain: must not be empty"),
    ("   ", "domain: must not be empty"),
    ("localhost", "domain: 'localhost' needs a name and a top-level domain (e.g. shop.ro)"),
    ("shop", "domain: 'shop' needs a name and a top-level domain (e.g. shop.ro)"),
    ("a." * 127 + "ro", "domain: too long (256 characters; at most 253)"),
    ("a" * 266 + ".ro", "domain: too long (269 characters; at most 253)"),
    ("ş" * 60 + ".ro", "domain: the label xn--ngaaaaaaaaaaaaaa… is too long (66 characters; at most 63)"),
    ("www.ro", "domain: www.ro is www. and a top-level domain only; give the site's own domain (e.g. shop.ro)"),
    ("shop.test", "domain: shop.test is reserved (RFC 2606/6761) and cannot be hosted"),
    ("emoji😀.ro", "domain: 'emoji😀.ro' is not a valid internationalised domain name (IDNA 2008): '😀' (U+1F600) "
                  "is not allowed in a domain name"),
    ("shop.ro\n", "domain: 'shop.ro\\n' contains a newline (U+000A)"),
    ("sh\top.ro", "domain: 'sh\\top.ro' contains a tab (U+0009)"),
    ("shop.ro\u2028", "domain: 'shop.ro\\u2028' contains a line separator (U+2028)"),
    (".".join(["ş" * 50] * 5) + ".ro", "domain: too long (287 characters in its IDNA form; at most 253)"),
    ("bad_domain.ro", "domain: 'bad_domain.ro' is malformed (labels of a-z, 0-9 and inner '-', at most 63 "
                      "characters; no IP addresses)"),
    ("x-.ro", "domain: 'x-.ro' is malformed (labels of a-z, 0-9 and inner '-', at most 63 characters; "
              "no IP addresses)"),
    ("-x.ro", "domain: '-x.ro' is malformed (labels of a-z, 0-9 and inner '-', at most 63 characters; "
              "no IP addresses)"),
    ("shop..ro", "domain: 'shop..ro' is malformed (labels of a-z, 0-9 and inner '-', at most 63 characters; "
                 "no IP addresses)"),
    ("10.0.0.1", "domain: '10.0.0.1' is malformed (labels of a-z, 0-9 and inner '-', at most 63 characters; "
                 "no IP addresses)"),
    ("a" * 64 + ".ro", "domain: the label aaaaaaaaaaaaaaaaaaaa… is too long (64 characters; at most 63)"),
    ("www.shop.ro", "domain: give shop.ro without www."),
    ("example.com", "domain: example.com is reserved (RFC 2606/6761) and cannot be hosted"),
    ("shop.example.org", "domain: shop.example.org is reserved (RFC 2606/6761) and cannot be hosted"),
    ("site.test.localhost", "domain: site.test.localhost is reserved (RFC 2606/6761) and cannot be hosted"),
    ("site.invalid", "domain: site.invalid is reserved (RFC 2606/6761) and cannot be hosted"),
    ("printer.local", "domain: printer.local is reserved (RFC 2606/6761) and cannot be hosted"),
    ("x.example", "domain: x.example is reserved (RFC 2606/6761) and cannot be hosted"),
    ("1.0.0.10.in-addr.arpa", "domain: 1.0.0.10.in-addr.arpa is reserved (RFC 2606/6761) and cannot be hosted"),
    ("hidden.onion", "domain: hidden.onion is reserved (RFC 2606/6761) and cannot be hosted"),
    ("xn--zz.ro", "domain: 'xn--zz.ro' has an invalid punycode label"),
])
def test_invalid_domains(raw: str, message: str) -> None:
    result = validation.normalize_domain(raw)
    assert isinstance(result, Err)
    assert (result.error.code, result.error.message, result.error.details) == (
        ErrorCode.INVALID, message, {"field": "domain"})


def test_notexample_com_is_not_reserved() -> None:
    # Only example.com and its subdomains are reserved, not names that merely end in the same letters.
    assert validation.normalize_domain("notexample.com") == Ok(("notexample.com", "notexample.com"))


@pytest.mark.parametrize("raw, expected", [
    ("shop", "shop"),
    (" shop_2 ", "shop_2"),
    ("abc", "abc"),
    ("a" * 32, "a" * 32),
    ("007", "007"),
])
def test_valid_usernames(raw: str, expected: str) -> None:
    assert validation.validate_username(raw) == Ok(expected)


@pytest.mark.parametrize("raw, message", [
    ("ab", "username: 'ab' must be 3-32 characters of a-z, 0-9 and _"),
    ("a" * 33, f"username: '{'a' * 33}' must be 3-32 characters of a-z, 0-9 and _"),
    ("Shop", "username: 'Shop' must be 3-32 characters of a-z, 0-9 and _"),
    ("shop-ro", "username: 'shop-ro' must be 3-32 characters of a-z, 0-9 and _"),
    ("shop.ro", "username: 'shop.ro' must be 3-32 characters of a-z, 0-9 and _"),
    ("șop", "username: 'șop' must be 3-32 characters of a-z, 0-9 and _"),
    ("root", "username: root is reserved"),
    ("postmaster", "username: postmaster is reserved"),
    ("www_data", "username: www_data is reserved"),
    ("virtualmin", "username: virtualmin is reserved"),
])
def test_invalid_usernames(raw: str, message: str) -> None:
    result = validation.validate_username(raw)
    assert isinstance(result, Err)
    assert (result.error.code, result.error.message, result.error.details) == (
        ErrorCode.INVALID, message, {"field": "username"})


@pytest.mark.parametrize("domain, first_three", [
    ("shop.ro", ["shop", "shop1", "shop2"]),
    ("blog.shop.ro", ["shop", "shop1", "shop2"]),  # the registrable name, not the first label
    ("shop.example-host.co.uk", ["examplehost", "examplehost1", "examplehost2"]),
    ("magazin.com.ro", ["magazin", "magazin1", "magazin2"]),
    ("my-shop.ro", ["myshop", "myshop1", "myshop2"]),
    ("42.ro", ["u42", "u421", "u422"]),  # a username never starts with a digit
    ("ab.ro", ["abweb", "abweb1", "abweb2"]),  # too short
    ("root.ro", ["rootweb", "rootweb1", "rootweb2"]),  # reserved
    ("cafenea-ţărănească.ro".encode("idna").decode(), ["cafeneataraneasca", "cafeneataraneasca1",
                                                       "cafeneataraneasca2"]),
    ("a" * 40 + ".ro", ["a" * 28, "a" * 28 + "1", "a" * 28 + "2"]),
])
def test_username_candidates(domain: str, first_three: list[str]) -> None:
    assert list(itertools.islice(validation.username_candidates(domain), 3)) == first_three


def test_every_generated_candidate_is_a_valid_username() -> None:
    for domain in ("shop.ro", "42.ro", "ab.ro", "root.ro", "a" * 63 + ".ro", "x-y-z.com"):
        for candidate in itertools.islice(validation.username_candidates(domain), 12):
            assert validation.validate_username(candidate) == Ok(candidate), (domain, candidate)


def test_generated_passwords() -> None:
    allowed = set("".join(validation.PASSWORD_CLASSES))
    seen = set()
    for _ in range(200):
        password = validation.generate_password()
        assert len(password) == 24
        assert set(password) <= allowed
        assert password[0].isalnum()
        for cls in validation.PASSWORD_CLASSES:
            assert any(c in cls for c in password), (cls, "missing")
        assert validation.check_password(password) == Ok(password)
        seen.add(password)
    assert len(seen) == 200
    assert len(validation.generate_password(8)) == 20  # never shorter than 20


@pytest.mark.parametrize("password, message", [
    ("short-Pw1", "password: at least 12 characters"),
    ("long enough Pw1", "password: no spaces, quotes, backslashes, '$' or control characters"),
    ("long-enough-'Pw1", "password: no spaces, quotes, backslashes, '$' or control characters"),
    ("long-enough-$Pw1", "password: no spaces, quotes, backslashes, '$' or control characters"),
    ("long-enough-\\Pw1", "password: no spaces, quotes, backslashes, '$' or control characters"),
    ("long-enough-`Pw1", "password: no spaces, quotes, backslashes, '$' or control characters"),
    ("long-enough-\x07Pw1", "password: no spaces, quotes, backslashes, '$' or control characters"),
])
def test_rejected_passwords_never_echo_the_password(password: str, message: str) -> None:
    result = validation.check_password(password)
    assert isinstance(result, Err)
    assert result.error.message == message
    assert password not in repr(result)
