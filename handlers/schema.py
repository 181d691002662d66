"""The event JSON Schema (event.schema.json) compiled once with fastjsonschema (pure)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema

from handlers.normalize import is_ipv4, is_ipv6

SCHEMA_PATH = Path(__file__).with_name("event.schema.json")
MAX_DETAIL = 256

# fastjsonschema checks ipv4/ipv6 with regexes; the ipaddress module is the stricter, exact check.
FORMATS: dict[str, Callable[[str], bool]] = {"ipv4": is_ipv4, "ipv6": is_ipv6}


@functools.cache
def event_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> Callable[[Any], Any]:
    compiled: Callable[[Any], Any] = fastjsonschema.compile(event_schema(), formats=FORMATS)
    return compiled


def _clip(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def _escaped(char: str) -> int:
    return len(json.dumps(char)) - 2


def clip_detail(text: str) -> str:
    """A rejection detail as it is kept: ASCII (other characters backslash-escaped), cut to at most
    MAX_DETAIL bytes once written as a JSON string, so a summary's size has a bound (envelope)."""
    ascii_text = text.encode("ascii", "backslashreplace").decode("ascii")
    if len(json.dumps(ascii_text)) - 2 <= MAX_DETAIL:
        return ascii_text
    size = 0
    for end, char in enumerate(ascii_text):
        size += _escaped(char)
        if size > MAX_DETAIL:
            return ascii_text[:end]
    return ascii_text


def schema_problem(event: Any) -> str | None:
    """None when `event` satisfies the schema, else a detail naming the path and the rule."""
    try:
        _validator()(event)
    except fastjsonschema.JsonSchemaValueException as exc:
        # fastjsonschema's message starts with the path ("data.ip ..."); the rule is the keyword.
        return _clip(f"{exc.message} (rule: {exc.rule})")
    return None
