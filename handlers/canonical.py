"""Canonical JSON, content hashes, NDJSON and JSON-value checks (pure)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
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


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (contract: batch_id and event_id hash this).

    NaN/Infinity are written as the JS tokens so that hashing never crashes; such events are
    rejected later (schema_violation), they only need a stable id.
    """
    return _CANONICAL.encode(value)


def canonical_bytes(value: Any) -> bytes:
    """UTF-8 of the canonical JSON; a lone surrogate (JSON allows `"\\ud800"`) is kept as its 3
    bytes, never a crash. Its length is an event's size, its short_hash_bytes the content hash."""
    return canonical_json(value).encode("utf-8", "surrogatepass")


def short_hash(value: Any) -> str:
    """First 32 hex chars of sha256 over the canonical JSON of `value`."""
    return short_hash_bytes(canonical_bytes(value))


def short_hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def utf8_size(value: Any) -> int:
    return len(canonical_bytes(value))


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


def json_value_problem(value: Any, path: str = "data", depth: int = 0) -> str | None:
    """First value the curated store cannot hold, as `<path>: <problem>`; None when all is well.

    Catches NaN/Infinity, numbers outside DynamoDB's range, empty map keys, deep nesting and lone
    surrogates.
    """
    if depth > MAX_DEPTH:
        return f"{path}: nested deeper than {MAX_DEPTH} levels (rule: maxDepth)"
    if isinstance(value, str):
        return None if _is_unicode(value) else f"{path}: lone surrogate in a string (rule: unicode)"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not -_INT_LIMIT < value < _INT_LIMIT:
            return f"{path}: integer has more than {MAX_INT_DIGITS} digits (rule: numberRange)"
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"{path}: {value!r} is not a finite number (rule: finiteNumber)"
        magnitude = abs(value)
        if magnitude and not MIN_FLOAT_MAGNITUDE <= magnitude <= MAX_FLOAT_MAGNITUDE:
            return f"{path}: {value!r} is out of the storable range (rule: numberRange)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key == "":
                return f"{path}: object keys must be non-empty strings (rule: propertyNames)"
            if not _is_unicode(key):
                return f"{path}: lone surrogate in an object key (rule: unicode)"
            problem = json_value_problem(item, f"{path}.{key}", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = json_value_problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, HugeInteger):
        digits = len(value.text.lstrip("-"))
        return (
            f"{path}: integer of {digits} digits has more than {MAX_INT_DIGITS} (rule: numberRange)"
        )
    return f"{path}: {type(value).__name__} is not a JSON value (rule: type)"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
