from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.normalize import (
    anonymize_ip,
    is_ip,
    is_ipv4,
    is_ipv6,
    normalize_action,
)

SNAKE_CASE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")  # a normalized action


@pytest.mark.parametrize(
    "spelling", ["Page View", "page-view", "PageView", "pageView", "PAGE_VIEW", " page__view "]
)
def test_spellings_of_page_view(spelling: str) -> None:
    assert normalize_action(spelling) == "page_view"


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("HTTPRequest", "http_request"),
        ("step2Complete", "step2_complete"),
        ("Café visit", "cafe_visit"),
        ("add.to.cart", "add_to_cart"),
        ("登录", ""),
        ("!!!", ""),
    ],
)
def test_normalize_examples(action: str, expected: str) -> None:
    assert normalize_action(action) == expected


@given(st.text(max_size=64))
def test_normalization_is_idempotent_and_snake_case(action: str) -> None:
    once = normalize_action(action)
    assert normalize_action(once) == once
    assert once == "" or SNAKE_CASE.fullmatch(once)


words = st.lists(st.from_regex(r"[a-z]{2}[a-z0-9]{0,6}", fullmatch=True), min_size=1, max_size=5)


@given(words)
def test_equivalent_spellings_map_equal(parts: list[str]) -> None:
    spellings = {
        " ".join(p[0].upper() + p[1:] for p in parts),
        "-".join(parts),
        "".join(p[0].upper() + p[1:] for p in parts),
        parts[0] + "".join(p[0].upper() + p[1:] for p in parts[1:]),
        "_".join(p.upper() for p in parts),
        "_".join(parts),
    }
    assert {normalize_action(s) for s in spellings} == {"_".join(parts)}


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("10.0.0.0", "10.0.0.0"),
        ("2001:db8:abcd:12:34:56:78:9", "2001:db8:abcd::"),
        ("::1", "::"),
        ("::ffff:198.51.100.23", "198.51.100.0"),
    ],
)
def test_anonymize_ip(ip: str, expected: str) -> None:
    assert anonymize_ip(ip) == expected


@pytest.mark.parametrize("bad", ["1.2.3", "01.2.3.4", "256.1.1.1", "fe80::1%eth0", "", "x"])
def test_is_ip_refuses(bad: str) -> None:
    assert not is_ip(bad)


@given(st.from_regex(r"[a-z0-9]+(_[a-z0-9]+)*", fullmatch=True))
def test_lower_snake_case_is_its_own_normal_form(action: str) -> None:
    assert normalize_action(action) == action


@given(st.ip_addresses())
def test_an_address_keeps_its_network_prefix(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    """IPv4 keeps its /24, IPv6 its /48, an IPv4-mapped IPv6 address the /24 of the IPv4 address
    it carries: the address with its other bits zeroed, in the standard text form."""
    text = str(address)
    assert (is_ipv4(text), is_ipv6(text)) == (address.version == 4, address.version == 6)
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        expected = str(ipaddress.IPv4Address(int(mapped) & ~0xFF))
    elif address.version == 4:
        expected = str(ipaddress.IPv4Address(int(address) & ~0xFF))
    else:
        expected = str(ipaddress.IPv6Address(int(address) & ~((1 << 80) - 1)))
    assert anonymize_ip(text) == expected
    assert anonymize_ip(text.upper()) == expected  # IPv6 hex digits in either case
