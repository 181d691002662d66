"""Ids, S3 keys and DynamoDB keys (pure, content-derived, deterministic)."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Any

from handlers.canonical import short_hash, short_hash_bytes
from handlers.schema import event_schema
from handlers.times import EPOCH, EventTimeError, parse_event_time

RAW_PREFIX = "ingest/"
REJECTED_PREFIX = "rejected/"
CONFLICTS_SUFFIX = ".conflicts.json"
SK_SEPARATOR = "#"
# The last instant a raw partition may name: the analytics projection covers years 1970..2099
# (components/analytics_sql.py), and the epoch partition holds everything outside the window.
LATEST_PARTITION_TIME = datetime(2099, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)


def batch_id(events: list[Any]) -> str:
    """First 32 hex chars of sha256 over the canonical JSON of a list of events (values): the
    name the clients we ship give a batch's execution (`b-<id>`)."""
    return short_hash(events)


def raw_batch_id(body: bytes) -> str:
    """Ingest's batch id: first 32 hex chars of sha256 over the raw object's body (its lines as
    received), so the same received batch always gets the same id and raw key."""
    return short_hash_bytes(body)


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


def earliest_event_time(events: list[Any], oldest: datetime) -> datetime | None:
    """The earliest parseable event_time within [oldest, LATEST_PARTITION_TIME], or None."""
    earliest: datetime | None = None
    for event in events:
        if not isinstance(event, dict) or "event_time" not in event:
            continue
        try:
            moment = parse_event_time(event["event_time"])
        except EventTimeError:
            continue
        if oldest <= moment <= LATEST_PARTITION_TIME and (earliest is None or moment < earliest):
            earliest = moment
    return earliest


def partition(moment: datetime) -> str:
    return f"yyyy={moment.year:04d}/mm={moment.month:02d}/dd={moment.day:02d}/hh={moment.hour:02d}"


def raw_key(events: list[Any], batch: str, oldest: datetime) -> str:
    """`ingest/yyyy=.../hh=HH/<batch_id>.json`: the hour of the earliest parseable event_time
    within [oldest, LATEST_PARTITION_TIME], else the epoch partition (`events` as Process reads
    them; anything that is no event has no time)."""
    moment = earliest_event_time(events, oldest) or EPOCH
    return f"{RAW_PREFIX}{partition(moment)}/{batch}.json"


def rejected_key(raw: str) -> str:
    """`rejected/<same partition>/<batch_id>.json` for a raw key under `ingest/`."""
    return REJECTED_PREFIX + raw.removeprefix(RAW_PREFIX)


def conflicts_key(raw: str) -> str:
    """`rejected/<same partition>/<batch_id>.conflicts.json`: Write's conflicting duplicates."""
    return rejected_key(raw).removesuffix(".json") + CONFLICTS_SUFFIX


def sort_key(normalized_time: str, event: str) -> str:
    """DynamoDB SK `<YYYY-MM-DDTHH:MM:SS.sssZ>#<event_id>`."""
    return f"{normalized_time}{SK_SEPARATOR}{event}"
