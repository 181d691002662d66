"""Process core (pure): validate, normalize and enrich each raw event, or reject it (reason)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.unit.handlers.reference import keys
from tests.unit.handlers.reference.canonical import (
    iter_ndjson_lines,
    json_value_problem,
    short_hash_bytes,
    utf8_size,
)
from tests.unit.handlers.reference.envelope import MAX_EVENT_BYTES
from tests.unit.handlers.reference.normalize import anonymize_ip, normalize_action
from tests.unit.handlers.reference.schema import MAX_DETAIL, schema_problem
from tests.unit.handlers.reference.times import (
    EventTimeError,
    format_time,
    is_future,
    is_late,
    parse_event_time,
)

# Machine-readable rejection reasons (docs/architecture.md).
SCHEMA_VIOLATION = "schema_violation"
BAD_EVENT_TIME = "bad_event_time"
FUTURE_EVENT_TIME = "future_event_time"
INVALID_ACTION = "invalid_action"
EVENT_TOO_LARGE = "event_too_large"
NOT_JSON = "not_json"
DUPLICATE_KEY = "duplicate_key"
REASONS = (
    SCHEMA_VIOLATION,
    BAD_EVENT_TIME,
    FUTURE_EVENT_TIME,
    INVALID_ACTION,
    EVENT_TOO_LARGE,
    NOT_JSON,
    DUPLICATE_KEY,
)
OPTIONAL_TEXT_FIELDS = ("session_id", "page", "referrer", "user_agent")


@dataclass(frozen=True)
class Lineage:
    """What Process knows about the batch every item came from."""

    raw_key: str
    batch_id: str
    execution_id: str
    received_at: datetime
    processed_at: datetime
    late_threshold_hours: float


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str
    reason: str
    detail: str
    event: Any

    def summary(self) -> dict[str, Any]:
        """The entry of Process's `rejected` output list."""
        return {
            "index": self.index,
            "event_id": self.event_id,
            "reason": self.reason,
            "detail": self.detail,
        }

    def record(self) -> dict[str, Any]:
        """One line of the rejected NDJSON object: the summary plus the event as received."""
        return {**self.summary(), "event": self.event}


@dataclass
class Curated:
    items: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        valid, rejected = len(self.items), len(self.rejected)
        return {"received": valid + rejected, "valid": valid, "rejected": rejected}


class EventRejected(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:MAX_DETAIL]


def curate_event(event: Any, index: int, lineage: Lineage) -> dict[str, Any]:
    """The curated item for one received event, or EventRejected(reason, detail).

    Checks run in a fixed order and the first failure is the reason: size, JSON values
    (NaN/Infinity, DynamoDB number range), event_time rules, schema, action, future time.
    """
    size = utf8_size(event)
    if size > MAX_EVENT_BYTES:
        raise EventRejected(EVENT_TOO_LARGE, f"{size} bytes > {MAX_EVENT_BYTES} bytes")
    if not isinstance(event, dict):
        raise EventRejected(
            SCHEMA_VIOLATION, f"data must be object (rule: type), got {type(event).__name__}"
        )
    problem = json_value_problem(event)
    if problem:
        raise EventRejected(SCHEMA_VIOLATION, problem)
    moment = None
    if "event_time" in event:
        try:
            moment = parse_event_time(event["event_time"])
        except EventTimeError as exc:
            raise EventRejected(BAD_EVENT_TIME, f"data.event_time: {exc}") from None
    problem = schema_problem(event)
    if problem:
        raise EventRejected(SCHEMA_VIOLATION, problem)
    assert moment is not None  # event_time is required by the schema
    action = normalize_action(event["action"])
    if not action:
        raise EventRejected(INVALID_ACTION, f"data.action {event['action']!r} normalizes to empty")
    if is_future(moment, lineage.received_at):
        raise EventRejected(
            FUTURE_EVENT_TIME,
            f"data.event_time {format_time(moment)} is more than 24h after received_at "
            f"{format_time(lineage.received_at)}",
        )
    return enrich(event, index, action, moment, lineage)


def enrich(
    event: dict[str, Any], index: int, action: str, moment: datetime, lineage: Lineage
) -> dict[str, Any]:
    ident = keys.event_id(event)
    occurred_at = format_time(moment)
    item: dict[str, Any] = {
        "user_id": event["user_id"],
        "event_time": keys.sort_key(occurred_at, ident),
        "event_id": ident,
        "action": action,
        "occurred_at": occurred_at,
    }
    for name in OPTIONAL_TEXT_FIELDS:
        if name in event:
            item[name] = event[name]
    if "ip" in event:
        item["ip"] = anonymize_ip(event["ip"])
    if "properties" in event:
        item["properties"] = event["properties"]
    item.update(
        {
            "late": is_late(moment, lineage.received_at, lineage.late_threshold_hours),
            "received_at": format_time(lineage.received_at),
            "processed_at": format_time(lineage.processed_at),
            "raw_key": lineage.raw_key,
            "raw_index": index,
            "batch_id": lineage.batch_id,
            "execution_id": lineage.execution_id,
        }
    )
    return item


def curate_events(events: list[Any], lineage: Lineage) -> Curated:
    """Every event ends in exactly one list: items or rejected."""
    result = Curated()
    for index, event in enumerate(events):
        try:
            result.items.append(curate_event(event, index, lineage))
        except EventRejected as exc:
            result.rejected.append(
                Rejection(index, keys.event_id(event), exc.reason, exc.detail, event)
            )
    return result


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_line(line: str) -> Any:
    """A JSON value, or EventRejected(not_json | duplicate_key).

    An object that repeats a key (`{"a":1,"a":2}`) is refused rather than read last-wins like
    `json.loads`: which value the client meant is unknowable.
    """
    try:
        return json.loads(line, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        detail = f"key {str(exc.args[0])!r} appears twice in one object (rule: uniqueKeys)"
        raise EventRejected(DUPLICATE_KEY, detail) from None
    except (ValueError, RecursionError) as exc:
        raise EventRejected(NOT_JSON, f"line does not parse as JSON: {exc}"[:MAX_DETAIL]) from None


def line_event_id(line: str, reason: str) -> str:
    """Id of a line that is no event: for duplicate keys the id of its last-wins reading (a client
    event_id stays findable), for anything else the hash of the line."""
    if reason == DUPLICATE_KEY:
        return keys.event_id(json.loads(line))
    return short_hash_bytes(line.encode("utf-8", "surrogatepass"))


def curate_body(body: bytes, lineage: Lineage) -> Curated:
    """Curate an NDJSON raw object; a line that does not parse is rejected not_json."""
    result = Curated()
    for index, line in enumerate(iter_ndjson_lines(body)):
        try:
            event = parse_line(line)
        except EventRejected as exc:
            ident = line_event_id(line, exc.reason)
            result.rejected.append(Rejection(index, ident, exc.reason, exc.detail, line))
            continue
        try:
            result.items.append(curate_event(event, index, lineage))
        except EventRejected as exc:
            result.rejected.append(
                Rejection(index, keys.event_id(event), exc.reason, exc.detail, event)
            )
    return result
