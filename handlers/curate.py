from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers import keys
from handlers.canonical import (
    canonical_bytes,
    iter_ndjson_lines,
    json_value_problem,
    short_hash_bytes,
)
from handlers.envelope import LINEAGE_ATTRIBUTES, MAX_EVENT_BYTES
from handlers.normalize import anonymize_ip, normalize_action
from handlers.schema import MAX_DETAIL, schema_problem
from handlers.times import (
    FUTURE_TOLERANCE,
    EventTimeError,
    format_time,
    is_future,
    is_late,
    normalize_event_time,
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
        self.detail = detail[:MAX_DETAIL]


class _Clock:
    """The batch's time judgements, computed once per batch.

    Normalized times (`YYYY-MM-DDTHH:MM:SS.sssZ`, fixed width) sort like the instants they name,
    and an event time is a whole millisecond, so "more than 24 h after received_at" and "more than
    the threshold before it" are string comparisons against two bounds rounded to the millisecond
    (the future bound down, the late bound up). When a bound cannot be formed (a naive or extreme
    received_at, a threshold no timedelta holds) every event takes the datetime path instead.
    """

    def __init__(self, lineage: Lineage) -> None:
        self.lineage = lineage
        self.received_at = format_time(lineage.received_at)
        self.exact = True
        self.future_after: str | None = None  # None: no time can be that far ahead
        self.late_before: str | None = None  # None: no time can be that far behind
        try:
            if lineage.received_at.utcoffset() is None:
                raise TypeError("naive received_at")
            received = lineage.received_at.astimezone(UTC)  # instants, not wall-clock times
            with contextlib.suppress(OverflowError):  # later than any time: nothing is future
                self.future_after = format_time(received + FUTURE_TOLERANCE)
            limit = timedelta(hours=lineage.late_threshold_hours)
            try:
                bound: datetime | None = received - limit
            except OverflowError:
                bound = None  # further back than any time: nothing is late
            if bound is not None:
                if bound.microsecond % 1000:  # round up: time < bound <=> time < ceil(bound)
                    bound += timedelta(microseconds=1000 - bound.microsecond % 1000)
                self.late_before = format_time(bound)
        except (TypeError, ValueError, OverflowError):
            self.exact = False

    def judge(self, value: Any, occurred_at: str) -> bool:
        """Whether a valid event is late (`occurred_at` = its normalized `value`), or
        EventRejected(future_event_time)."""
        if self.exact:
            future = self.future_after is not None and occurred_at > self.future_after
            late = self.late_before is not None and occurred_at < self.late_before
        else:
            moment = parse_event_time(value)
            future = is_future(moment, self.lineage.received_at)
            late = not future and is_late(
                moment, self.lineage.received_at, self.lineage.late_threshold_hours
            )
        if future:
            raise EventRejected(
                FUTURE_EVENT_TIME,
                f"data.event_time {occurred_at} is more than 24h after received_at "
                f"{self.received_at}",
            )
        return late


def curate_event(event: Any, index: int, lineage: Lineage) -> dict[str, Any]:
    """The curated item for one received event, or EventRejected(reason, detail).

    Checks run in a fixed order and the first failure is the reason: size, JSON values
    (NaN/Infinity, DynamoDB number range), event_time rules, schema, action, future time.
    The item holds the per-event attributes; Lineage.attributes() completes it.
    """
    return _curate(event, index, _Clock(lineage))


def _curate(event: Any, index: int, clock: _Clock) -> dict[str, Any]:
    data, is_utf8 = canonical_bytes(event)  # once: size, unicode pre-check, derived event_id
    if len(data) > MAX_EVENT_BYTES:
        raise EventRejected(EVENT_TOO_LARGE, f"{len(data)} bytes > {MAX_EVENT_BYTES} bytes")
    if not isinstance(event, dict):
        raise EventRejected(
            SCHEMA_VIOLATION, f"data must be object (rule: type), got {type(event).__name__}"
        )
    problem = json_value_problem(event, check_unicode=not is_utf8)
    if problem:
        raise EventRejected(SCHEMA_VIOLATION, problem)
    occurred_at = None
    if "event_time" in event:
        try:
            # Parsed before the schema runs (bad_event_time comes first); judged after it.
            occurred_at = normalize_event_time(event["event_time"])
        except EventTimeError as exc:
            raise EventRejected(BAD_EVENT_TIME, f"data.event_time: {exc}") from None
    problem = schema_problem(event)
    if problem:
        raise EventRejected(SCHEMA_VIOLATION, problem)
    action = normalize_action(event["action"])
    if not action:
        raise EventRejected(INVALID_ACTION, f"data.action {event['action']!r} normalizes to empty")
    assert occurred_at is not None  # event_time is required by the schema
    late = clock.judge(event["event_time"], occurred_at)
    given = keys.client_event_id(event)
    ident = short_hash_bytes(data) if given is None else given
    return _item(event, index, action, occurred_at, late, ident)


def enrich(
    event: dict[str, Any], index: int, action: str, moment: datetime, lineage: Lineage
) -> dict[str, Any]:
    """The item of a validated event from its parsed time (per-event attributes only)."""
    occurred_at = format_time(moment)
    late = is_late(moment, lineage.received_at, lineage.late_threshold_hours)
    return _item(event, index, action, occurred_at, late, keys.event_id(event))


def _item(
    event: dict[str, Any], index: int, action: str, occurred_at: str, late: bool, ident: str
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
    return item


def curate_events(events: list[Any], lineage: Lineage) -> Curated:
    """Every event ends in exactly one list: items or rejected."""
    result = Curated()
    clock = _Clock(lineage)
    for index, event in enumerate(events):
        _curate_into(result, event, index, clock)
    return result


def _curate_into(result: Curated, event: Any, index: int, clock: _Clock) -> None:
    """Append the event's item to ``result``, or its rejection with the reason."""
    try:
        result.items.append(_curate(event, index, clock))
    except EventRejected as exc:
        rejection = Rejection(index, keys.event_id(event), exc.reason, exc.detail, event)
        result.rejected.append(rejection)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # a key repeats: name the first repetition
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)  # json.loads would build one a line


def parse_line(line: str) -> Any:
    """A JSON value, or EventRejected(not_json | duplicate_key).

    An object that repeats a key (`{"a":1,"a":2}`) is refused rather than read last-wins like
    `json.loads`: which value the client meant is unknowable.
    """
    try:
        if line.startswith("\ufeff"):  # what json.loads refuses before decoding
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
        return _DECODER.decode(line)
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
    clock = _Clock(lineage)
    for index, line in enumerate(iter_ndjson_lines(body)):
        try:
            event = parse_line(line)
        except EventRejected as exc:
            ident = line_event_id(line, exc.reason)
            result.rejected.append(Rejection(index, ident, exc.reason, exc.detail, line))
            continue
        _curate_into(result, event, index, clock)
    return result
