"""Normalization of actions and anonymization of IP addresses (pure)."""

from __future__ import annotations

import ipaddress
import re
import unicodedata

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")  # "HTTPRequest" -> "HTTP_Request"
_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")  # "pageView" -> "page_View"
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def normalize_action(action: str) -> str:
    """Lower snake_case, so "Page View", "page-view", "PageView", "pageView" -> "page_view".

    Accents are folded to ASCII ("Café" -> "cafe"); characters with no ASCII form are separators,
    so an action made only of them normalizes to "" (the caller rejects it as invalid_action).
    """
    folded = unicodedata.normalize("NFKD", action).encode("ascii", "ignore").decode("ascii")
    # camelCase boundaries only exist in mixed case: "STEP2DONE" stays one word, like "step2done".
    mixed = folded != folded.upper()
    split = (
        _CAMEL_BOUNDARY.sub(r"\1_\2", _ACRONYM_BOUNDARY.sub(r"\1_\2", folded)) if mixed else folded
    )
    return _SEPARATORS.sub("_", split.lower()).strip("_")


def is_ip(value: str) -> bool:
    """True for a plain IPv4 or IPv6 address (no zone index, no leading zeros in IPv4)."""
    if "%" in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_ipv4(value: str) -> bool:
    return is_ip(value) and ":" not in value


def is_ipv6(value: str) -> bool:
    return is_ip(value) and ":" in value


def anonymize_ip(value: str) -> str:
    """IPv4: last octet zeroed (/24). IPv6: keep the /48 prefix, zero the rest.

    An IPv4-mapped IPv6 address is anonymized as the IPv4 address it carries.
    """
    address = ipaddress.ip_address(value)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    host_bits = address.max_prefixlen - (24 if address.version == 4 else 48)
    return str(type(address)(int(address) >> host_bits << host_bits))
