"""JSON as Step Functions reads, writes and measures it, for the Step Functions patches.

Step Functions' JSON parser (Jackson: AWS's own error messages are Jackson's, e.g.
"Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true'
or 'false')") keeps every number as written and refuses the non-standard tokens ``NaN``,
``Infinity`` and ``-Infinity``. Python's ``json`` reads ``1e400`` as ``inf`` (written back as
``Infinity``, not JSON), ``-0`` as ``0``, ``0.12345678901234567890123`` rounded, accepts ``NaN`` and
fails on integers over 4,300 digits. Here a number whose text Python would not write back
unchanged is a ``JsonNumber``: a ``Decimal`` that remembers its text and is written as that text
(simplejson's ``use_decimal``); every other number stays a plain ``int``/``float``.

Sizes are measured as the brief's decision 4 fixes them: the UTF-8 bytes of the compact JSON with
non-ASCII characters escaped (an emoji counts 12 bytes) — the larger of the plausible measures of
"256 KiB of data as a UTF-8 encoded string" (Step Functions Developer Guide, "Step Functions service
quotas", quotas related to task executions: maximum input or output size for a task, state, or
execution).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final

import simplejson

PAYLOAD_LIMIT: Final = 262_144
# Jackson's StreamReadConstraints default (jackson-core 2.15+): "Maximum Nesting depth: default
# 1000". AWS documents no depth limit of its own for Step Functions' input.
MAX_DEPTH: Final = 1000
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class JsonNumber(Decimal):
    """A JSON number kept exactly: compares as its value, written back as its text."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> JsonNumber:
        return self

    def __reduce__(self) -> tuple[type[JsonNumber], tuple[str]]:
        return (JsonNumber, (self.text,))


class NonStandardToken(json.JSONDecodeError):
    """``NaN``, ``Infinity`` or ``-Infinity``: JavaScript, not JSON (RFC 8259, section 6).

    A ``JSONDecodeError``, so the interpreter treats such text as it treats any text that is not
    JSON (a Lambda result that is not JSON stays a string, as moto keeps it).
    """

    def __init__(self, token: str) -> None:
        super().__init__(f"Non-standard token '{token}'", token, 0)
        self.token = token


def _integer(text: str) -> int | JsonNumber:
    if len(text) <= 4300 and str(int(text)) == text:
        return int(text)
    return JsonNumber(text)


def _fraction(text: str) -> float | JsonNumber:
    value = float(text)
    return value if repr(value) == text else JsonNumber(text)


def _refuse(token: str) -> Any:
    raise NonStandardToken(token)


def loads(text: str | bytes, **_: Any) -> Any:
    """Parse ``text`` keeping numbers exact; raises ``NonStandardToken`` or ``JSONDecodeError``."""
    return json.loads(text, parse_int=_integer, parse_float=_fraction, parse_constant=_refuse)


def _default(value: Any) -> Any:
    """As moto's encoder: dates and datetimes in ISO format, anything else unknown as its text."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def dumps(
    value: Any,
    *,
    separators: tuple[str, str] | None = (",", ":"),
    ensure_ascii: bool = True,
    sort_keys: bool = False,
    indent: int | str | None = None,
    default: Any = None,
    **_: Any,
) -> str:
    """Write ``value`` with every ``JsonNumber`` as its text (compact unless told otherwise)."""
    return str(
        simplejson.dumps(
            value,
            use_decimal=True,
            separators=separators,
            ensure_ascii=ensure_ascii,
            sort_keys=sort_keys,
            indent=indent,
            default=default or _default,
            allow_nan=True,
        )
    )


def size(value: Any) -> int:
    """Bytes of ``value`` as Step Functions measures state data (see the module docstring)."""
    return len(dumps(value).encode("utf-8"))


def depth(text: str) -> int:
    """Deepest nesting of arrays/objects in JSON ``text`` (strings skipped), without recursion."""
    deepest = level = 0
    for char in _STRING.sub("", text):
        if char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif char in "]}":
            level -= 1
    return deepest


def copy_value(value: Any, leaf: Callable[[Any], Any] = lambda item: item) -> Any:
    """A deep copy of nested dicts and lists built without recursion (any depth).

    Containers are exactly ``dict``/``list``; every other item is copied by ``leaf`` (JSON
    scalars are immutable: kept as they are by default).
    """
    if type(value) is not dict and type(value) is not list:
        return leaf(value)
    root: Any = {} if type(value) is dict else []
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for key, item in items:
            if type(item) is dict or type(item) is list:
                child: Any = {} if type(item) is dict else []
                pending.append((item, child))
            else:
                child = leaf(item)
            if type(target) is dict:
                target[key] = child
            else:
                target.append(child)
    return root
