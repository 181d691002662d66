"""Ids, S3 keys and DynamoDB keys (pure, content-derived, deterministic)."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from handlers.canonical import short_hash
from handlers.schema import event_schema
from handlers.times import EPOCH, EventTimeError, parse_event_time

RAW_PREFIX = "ingest/"
REJECTED_PREFIX = "rejected/"
SK_SEPARATOR = "#"


def batch_id(events: list[Any]) -> str:
    """First 32 hex chars of sha256 over the canonical JSON of the list of received events."""
    return short_hash(events)


@functools.cache
def _client_event_id() -> tuple[re.Pattern[str], int]:
    rule = event_schema()["properties"]["event_id"]
    return re.compile(rule["pattern"].replace("$", r"\Z")), int(rule["maxLength"])


def client_event_id(event: Any) -> str | None:
    """The client's event_id when the schema allows it (ASCII, no `#`), else None."""
    if isinstance(event, dict):
        given = event.get("event_id")
        pattern, max_length = _client_event_id()
        if isinstance(given, str) and len(given) <= max_length and pattern.match(given):
            return given
    return None


def event_id(event: Any) -> str:
    """The client's event_id when the schema allows it, else the hash of the event as received."""
    given = client_event_id(event)
    return short_hash(event) if given is None else given


def earliest_event_time(events: list[Any]) -> datetime | None:
    earliest: datetime | None = None
    for event in events:
        if not isinstance(event, dict) or "event_time" not in event:
            continue
        try:
            moment = parse_event_time(event["event_time"])
        except EventTimeError:
            continue
        if earliest is None or moment < earliest:
            earliest = moment
    return earliest


def partition(moment: datetime) -> str:
    return f"yyyy={moment.year:04d}/mm={moment.month:02d}/dd={moment.day:02d}/hh={moment.hour:02d}"


def raw_key(events: list[Any], batch: str) -> str:
    """`ingest/yyyy=.../hh=HH/<batch_id>.json`: hour of the earliest parseable event_time."""
    moment = earliest_event_time(events) or EPOCH
    return f"{RAW_PREFIX}{partition(moment)}/{batch}.json"


def rejected_key(raw: str) -> str:
    """`rejected/<same partition>/<batch_id>.json` for a raw key under `ingest/`."""
    return REJECTED_PREFIX + raw.removeprefix(RAW_PREFIX)


def sort_key(normalized_time: str, event: str) -> str:
    """DynamoDB SK `<YYYY-MM-DDTHH:MM:SS.sssZ>#<event_id>`."""
    return f"{normalized_time}{SK_SEPARATOR}{event}"
