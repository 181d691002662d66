"""Exact reading of JSON text (pure): strict, duplicate keys found, bounded depth, exact numbers.

Built on the stdlib decoder (`json.JSONDecoder` with hooks, `raw_decode` for spans), never on a
parser of our own:

- numbers come back as `Number`, their text, never converted: `1e400`, `-0`,
  `0.12345678901234567890123` and integers of any length survive (and int()'s 4,300-digit limit is
  never met);
- the non-standard tokens `NaN`, `Infinity` and `-Infinity` (`json.loads` accepts them) are refused;
- an object that repeats a key is reported (`Reading.duplicate_key`): which value was meant is
  unknowable;
- nesting is measured on the text before anything is decoded, so no text can raise RecursionError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

WHITESPACE = " \t\n\r"  # JSON's insignificant whitespace (RFC 8259, section 2)
# A string literal (escapes included) and anything that is not a bracket: what nesting ignores.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = str.maketrans({"[": "1", "{": "1", "]": "0", "}": "0"})

# Problem codes (JsonTextError.code).
NOT_JSON = "not_json"
NON_STANDARD = "non_standard_json"
TOO_DEEP = "too_deep"


class Number(str):
    """A JSON number as it is written in the text."""

    __slots__ = ()


class JsonTextError(ValueError):
    """The text cannot be read: `code` is NOT_JSON, NON_STANDARD or TOO_DEEP."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Reading:
    """A JSON text read exactly: its value (numbers as `Number`), how many number tokens it holds,
    and the first key an object repeats (None when no object repeats a key)."""

    value: Any
    numbers: int
    duplicate_key: str | None


class _NonStandard(Exception):
    pass


def _refuse_constant(token: str) -> Any:
    raise _NonStandard(token)


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count).

    Linear and without recursion. For a text that is not JSON the result is still a bound of what
    a parser would have to descend into before it failed.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_STEP)
    return max(accumulate(1 if step == "1" else -1 for step in brackets), default=0)


def too_deep(text: str, max_depth: int) -> bool:
    """Whether `text` nests deeper than `max_depth` (it cannot with no more brackets than that)."""
    return text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth


def read(text: str, *, max_depth: int) -> Reading:
    """Read a whole JSON text exactly; JsonTextError when it is not (standard) JSON or nests deeper
    than `max_depth`. Leading and trailing JSON whitespace is allowed, anything else around the
    value is not."""
    if too_deep(text, max_depth):
        raise JsonTextError(TOO_DEEP, f"the JSON nests deeper than {max_depth} levels")
    numbers = 0
    duplicate: list[str] = []

    def number(token: str) -> Number:
        nonlocal numbers
        numbers += 1
        return Number(token)

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs) and not duplicate:
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicate.append(key)
                    break
                seen.add(key)
        return result

    decoder = _decoder(number, mapping)
    try:
        value = decoder.decode(text)
    except _NonStandard as exc:
        raise JsonTextError(
            NON_STANDARD, f"{exc.args[0]} is not JSON (numbers must be finite, written as digits)"
        ) from None
    except json.JSONDecodeError as exc:
        raise JsonTextError(
            NOT_JSON, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    return Reading(value, numbers, duplicate[0] if duplicate else None)


def _decoder(
    number: Callable[[str], Any], mapping: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_float=number,
        parse_int=number,
        parse_constant=_refuse_constant,
        object_pairs_hook=mapping,
        strict=True,  # control characters inside strings are not JSON
    )


_SPANS = _decoder(Number)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in WHITESPACE:
        position += 1
    return position


def strip(text: str) -> str:
    """`text` without JSON whitespace around it: the span of the value it holds."""
    return text.strip(WHITESPACE)


def _expect(text: str, position: int, char: str) -> int:
    if text[position : position + 1] != char:
        raise JsonTextError(NOT_JSON, f"not JSON: expected {char!r} at offset {position}")
    return position + 1


def _children(text: str, position: int) -> tuple[list[tuple[str | None, int, int]], int]:
    """The spans `(key, start, end)` of the members of the object, or the elements of the array
    (key None), that opens at `position`; and the position after it closes."""
    close = "}" if text[position] == "{" else "]"
    position = _skip(text, position + 1)
    children: list[tuple[str | None, int, int]] = []
    if text[position : position + 1] == close:
        return children, position + 1
    while True:
        key: str | None = None
        try:
            if close == "}":
                key, position = _SPANS.raw_decode(text, _expect(text, position, '"') - 1)
                position = _skip(text, _expect(text, _skip(text, position), ":"))
            _, end = _SPANS.raw_decode(text, position)
        except _NonStandard as exc:
            raise JsonTextError(NON_STANDARD, f"{exc.args[0]} is not JSON") from None
        except json.JSONDecodeError as exc:
            raise JsonTextError(NOT_JSON, f"not JSON: {exc.msg} at offset {exc.pos}") from None
        children.append((key, position, end))
        position = _skip(text, end)
        if text[position : position + 1] != ",":
            return children, _expect(text, position, close)
        position = _skip(text, position + 1)


def member_texts(text: str) -> dict[str, str]:
    """The exact text of each member's value of the JSON object `text` (a repeated key: the last).

    JsonTextError (NOT_JSON) when `text` is not one JSON object.
    """
    position = _skip(text, 0)
    if text[position : position + 1] != "{":
        raise JsonTextError(NOT_JSON, "not JSON: expected an object")
    children, position = _children(text, position)
    if _skip(text, position) != len(text):
        raise JsonTextError(NOT_JSON, f"not JSON: extra data after the object at offset {position}")
    return {str(key): text[start:end] for key, start, end in children}


def member_spans(text: str) -> list[str]:
    """The exact text of each element of the array held by the only member of the object `text`.

    `text` must have been read already (read()) as an object with one member whose value is an
    array, e.g. `{"events": [...]}`: each span is the element exactly as written.
    """
    position = _skip(text, 0)
    if text[position : position + 1] != "{":
        raise ValueError("member_spans needs an object")
    _, position = _SPANS.raw_decode(text, _skip(text, position + 1))  # the member's name
    position = _skip(text, _expect(text, _skip(text, position), ":"))
    if text[position : position + 1] != "[":
        raise ValueError("member_spans needs an array member")
    elements, _ = _children(text, position)
    return [text[start:end] for _, start, end in elements]
