"""Canonical JSON, content hashes, NDJSON and JSON-value checks (pure)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

# DynamoDB numbers: 38 significant digits, magnitude 1e-130 .. 9.99e125; maps nest to 32 levels.
MAX_INT_DIGITS = 38
MAX_FLOAT_MAGNITUDE = 9.99e125
MIN_FLOAT_MAGNITUDE = 1e-130
MAX_DEPTH = 16
_INT_LIMIT = 10**MAX_INT_DIGITS  # |n| >= this has more than MAX_INT_DIGITS digits


class HugeInteger:
    """An integer literal longer than int() converts (4,300 digits): kept as its text. No store can
    hold it (json_value_problem: numberRange); handlers.rawlines reads it instead of failing."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# Built once: json.dumps with these arguments would build the same encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical_encoder() -> Callable[[Any], str]:
    """_CANONICAL.encode without its per-call cost: JSONEncoder builds its C encoder on every
    call (about half the time of encoding one event). Same text; no cycle check (JSON values
    have no cycles: a cyclic value fails with RecursionError instead of ValueError)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator
        return _CANONICAL.encode
    encoder = make(
        None, _CANONICAL.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def encode(value: Any) -> str:
        return "".join(encoder(value, 0))

    return encode


_encode_canonical = _canonical_encoder()


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (contract: batch_id and event_id hash this).

    NaN/Infinity are written as the JS tokens so that hashing never crashes; such events are
    rejected later (schema_violation), they only need a stable id.
    """
    return _encode_canonical(value)


def canonical_bytes(value: Any) -> tuple[bytes, bool]:
    """(UTF-8 of the canonical JSON, whether it holds no lone surrogate).

    Computed once per event by Process and reused: its length is the size checked against the
    event limit, its sha256 the derived event_id, and when it is valid UTF-8 no string or key of
    the event can hold a lone surrogate (all of them are in the text as they are).
    """
    text = _encode_canonical(value)
    try:
        return text.encode("utf-8"), True
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass"), False


def _utf8(text: str) -> bytes:
    """UTF-8; a lone surrogate (JSON allows `"\\ud800"`) is kept as its 3 bytes, never a crash."""
    return text.encode("utf-8", "surrogatepass")


def short_hash(value: Any) -> str:
    """First 32 hex chars of sha256 over the canonical JSON of `value`."""
    return hashlib.sha256(_utf8(canonical_json(value))).hexdigest()[:32]


def short_hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def utf8_size(value: Any) -> int:
    return len(_utf8(canonical_json(value)))


def escaped_size(value: Any) -> int:
    """Size of `value` as ASCII-escaped JSON: an upper bound of its UTF-8 size in any serializer."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=True))


def to_ndjson(records: list[Any]) -> bytes:
    """One compact JSON document per line, key order kept (the raw copy is the event as sent)."""
    lines = [ndjson_line(r) for r in records]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def ndjson_line(record: Any) -> str:
    """Compact JSON; ASCII-escaped when it holds a lone surrogate (valid UTF-8, same value)."""
    line = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=True)
    return line


def iter_ndjson_lines(body: bytes) -> Iterator[str]:
    """Non-empty lines of an NDJSON body; undecodable bytes are replaced, never dropped."""
    text = body.decode("utf-8", errors="replace")
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            yield stripped


def json_value_problem(
    value: Any, path: str = "data", depth: int = 0, *, check_unicode: bool = True
) -> str | None:
    """First value the curated store cannot hold, as `<path>: <problem>`; None when all is well.

    Catches NaN/Infinity, numbers outside DynamoDB's range, empty map keys, deep nesting and lone
    surrogates (skipped with `check_unicode=False` when the caller knows the value's JSON text is
    valid UTF-8, see canonical_bytes). The path is only built for the value that fails.
    """
    found = _value_problem(value, depth, check_unicode)
    if found is None:
        return None
    where, problem = found
    return f"{path}{where}: {problem}"


def _value_problem(value: Any, depth: int, check_unicode: bool) -> tuple[str, str] | None:
    """(path below `value`, problem) of the first failing value; None when all is well."""
    if depth > MAX_DEPTH:
        return "", f"nested deeper than {MAX_DEPTH} levels (rule: maxDepth)"
    if isinstance(value, str):
        if check_unicode and not _is_unicode(value):
            return "", "lone surrogate in a string (rule: unicode)"
        return None
    if isinstance(value, dict):
        child = depth + 1
        for key, item in value.items():
            if not isinstance(key, str) or key == "":
                return "", "object keys must be non-empty strings (rule: propertyNames)"
            if check_unicode and not _is_unicode(key):
                return "", "lone surrogate in an object key (rule: unicode)"
            # Strings are the common case: checked here rather than through a call.
            if isinstance(item, str) and child <= MAX_DEPTH:
                if check_unicode and not _is_unicode(item):
                    return f".{key}", "lone surrogate in a string (rule: unicode)"
                continue
            found = _value_problem(item, child, check_unicode)
            if found is not None:
                return f".{key}{found[0]}", found[1]
        return None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not -_INT_LIMIT < value < _INT_LIMIT:
            return "", f"integer has more than {MAX_INT_DIGITS} digits (rule: numberRange)"
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return "", f"{value!r} is not a finite number (rule: finiteNumber)"
        magnitude = abs(value)
        if magnitude and not MIN_FLOAT_MAGNITUDE <= magnitude <= MAX_FLOAT_MAGNITUDE:
            return "", f"{value!r} is out of the storable range (rule: numberRange)"
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _value_problem(item, depth + 1, check_unicode)
            if found is not None:
                return f"[{index}]{found[0]}", found[1]
        return None
    if isinstance(value, HugeInteger):
        digits = len(value.text.lstrip("-"))
        return "", f"integer of {digits} digits has more than {MAX_INT_DIGITS} (rule: numberRange)"
    return "", f"{type(value).__name__} is not a JSON value (rule: type)"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
