"""Process's core (pure): each received event becomes its curated item or its rejection.

Checks run in a fixed order and the first failure is the reason (docs/architecture.md,
"Rejection reasons"); a raw line that holds no event is refused by handlers.rawlines first. Inside
one batch the first event of a key wins: a later one with other content is rejected
`conflicting_duplicate`, an identical one stays (Write stores it once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers import keys
from handlers.canonical import (
    canonical_bytes,
    iter_ndjson_lines,
    json_value_problem,
    short_hash_bytes,
)
from handlers.envelope import LINEAGE_ATTRIBUTES
from handlers.limits import MAX_EVENT_BYTES
from handlers.normalize import anonymize_ip, normalize_action
from handlers.rawlines import LineRejected, read_line
from handlers.reasons import (
    BAD_EVENT_TIME,
    CONFLICTING_DUPLICATE,
    EVENT_TOO_LARGE,
    EVENT_TOO_OLD,
    FUTURE_EVENT_TIME,
    INVALID_ACTION,
    SCHEMA_VIOLATION,
)
from handlers.schema import clip_detail, schema_problem
from handlers.times import EPOCH, EventTimeError, format_time, is_future, is_late, parse_event_time

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
    # Events before it are rejected event_too_old (stack setting oldestEventTime).
    oldest_event_time: datetime = EPOCH

    def attributes(self) -> dict[str, str]:
        """The batch-level attributes of every stored item (Process's `lineage` output, once per
        batch; Write merges them into each item: handlers.table.put_request)."""
        values = {
            "batch_id": self.batch_id,
            "raw_key": self.raw_key,
            "execution_id": self.execution_id,
            "received_at": format_time(self.received_at),
            "processed_at": format_time(self.processed_at),
        }
        return {name: values[name] for name in LINEAGE_ATTRIBUTES}


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
    """`items` hold the per-event attributes only: Lineage.attributes() completes each."""

    items: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        valid, rejected = len(self.items), len(self.rejected)
        return {"received": valid + rejected, "valid": valid, "rejected": rejected}


class EventRejected(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = clip_detail(detail)


def curate_event(event: Any, index: int, lineage: Lineage) -> dict[str, Any]:
    """The curated item for one received event, or EventRejected(reason, detail).

    Checks run in a fixed order and the first failure is the reason: size, JSON values
    (NaN/Infinity, DynamoDB number range), event_time rules, schema, action, future and too old.
    The item holds the per-event attributes; Lineage.attributes() completes it.
    """
    data = canonical_bytes(event)  # once: the event's size and its content hash
    if len(data) > MAX_EVENT_BYTES:
        raise EventRejected(EVENT_TOO_LARGE, f"{len(data)} bytes > {MAX_EVENT_BYTES} bytes")
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
            # Parsed before the schema runs (bad_event_time comes first); judged after it.
            moment = parse_event_time(event["event_time"])
        except EventTimeError as exc:
            raise EventRejected(BAD_EVENT_TIME, f"data.event_time: {exc}") from None
    problem = schema_problem(event)
    if problem:
        raise EventRejected(SCHEMA_VIOLATION, problem)
    action = normalize_action(event["action"])
    if not action:
        raise EventRejected(INVALID_ACTION, f"data.action {event['action']!r} normalizes to empty")
    assert moment is not None  # event_time is required by the schema
    occurred_at = format_time(moment)
    if is_future(moment, lineage.received_at):
        raise EventRejected(
            FUTURE_EVENT_TIME,
            f"data.event_time {occurred_at} is more than 24h after received_at "
            f"{format_time(lineage.received_at)}",
        )
    late = is_late(moment, lineage.received_at, lineage.late_threshold_hours)
    if moment < lineage.oldest_event_time:
        raise EventRejected(
            EVENT_TOO_OLD,
            f"data.event_time {occurred_at} is before the oldest accepted time "
            f"{format_time(lineage.oldest_event_time)}",
        )
    content_hash = short_hash_bytes(data)
    given = keys.client_event_id(event)
    ident = content_hash if given is None else given
    return _item(event, index, action, occurred_at, late, ident, content_hash)


def _item(
    event: dict[str, Any],
    index: int,
    action: str,
    occurred_at: str,
    late: bool,
    ident: str,
    content_hash: str,
) -> dict[str, Any]:
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
    item["late"] = late
    item["raw_index"] = index
    item["content_hash"] = content_hash
    return item


class _Batch:
    """Curated events of one batch in order, keeping the first event of each key."""

    def __init__(self, lineage: Lineage) -> None:
        self.lineage = lineage
        self.result = Curated()
        self.first: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, event: Any, index: int) -> None:
        """Append the event's item, or its rejection with the reason."""
        try:
            item = curate_event(event, index, self.lineage)
        except EventRejected as exc:
            self.reject(Rejection(index, keys.event_id(event), exc.reason, exc.detail, event))
            return
        key = (item["user_id"], item["event_time"])
        first = self.first.setdefault(key, item)
        if first is not item and first["content_hash"] != item["content_hash"]:
            detail = (
                f"the event at raw index {first['raw_index']} has the same key (user_id, "
                "event_time) and other content; the first one is kept"
            )
            self.reject(Rejection(index, item["event_id"], CONFLICTING_DUPLICATE, detail, event))
            return
        self.result.items.append(item)  # an identical repeat too: Write stores it once

    def reject(self, rejection: Rejection) -> None:
        self.result.rejected.append(rejection)


def curate_events(events: list[Any], lineage: Lineage) -> Curated:
    """Every event ends in exactly one list: items or rejected."""
    batch = _Batch(lineage)
    for index, event in enumerate(events):
        batch.add(event, index)
    return batch.result


def curate_body(body: bytes, lineage: Lineage) -> Curated:
    """Curate an NDJSON raw object; a line that holds no event is rejected (handlers.rawlines)."""
    batch = _Batch(lineage)
    for index, line in enumerate(iter_ndjson_lines(body)):
        try:
            event = read_line(line)
        except LineRejected as exc:
            batch.reject(Rejection(index, exc.event_id, exc.reason, exc.detail, exc.event))
            continue
        batch.add(event, index)
    return batch.result
