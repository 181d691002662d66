"""The execution input as Ingest receives it, its raw lines, and Process's output estimate (pure).

Ingest gets the execution input as JSON text (`States.JsonToString($)`) and stores one raw line
per received event, never a re-serialization:

- one event object: the whole text;
- `{"events": [...]}`: the exact text of each element;
- `{"records": ["<text>", ...]}`: each record's text when it is JSON (not a JSON string), else
  a JSON string holding the text (so the line is valid NDJSON and the text stays recoverable).

A line is the value's text span, CR and LF (only ever insignificant whitespace in JSON) turned into
spaces, lone surrogates (only ever inside strings) written as `\\uXXXX` escapes; an element that is
a JSON string is stored as a string holding its text, like a record.
"""

from __future__ import annotations

import json
import re
from typing import Any

from handlers.canonical import ndjson_line, utf8_size
from handlers.errors import BatchRejected
from handlers.jsontext import JsonTextError, member_spans, read, strip
from handlers.limits import (
    MAX_EVENT_BYTES,
    MAX_INPUT_DEPTH,
    PROCESS_OUTPUT_LIMIT,
    execution_input_problem,
)
from handlers.limits import PAYLOAD_LIMIT as PAYLOAD_LIMIT

ENVELOPE_KEY = "events"
RECORDS_KEY = "records"
# The batch-level attributes of every stored item. Process returns them once, as its `lineage`
# object; Write merges them into each item (handlers.table.put_request).
LINEAGE_ATTRIBUTES = ("received_at", "processed_at", "raw_key", "batch_id", "execution_id")
MAX_CLIENT_ID = 128  # event.schema.json: event_id maxLength (ASCII by its pattern)
DERIVED_ID = 32  # hex chars of a derived event_id
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def span_line(span: str) -> str:
    """The raw line of a JSON value's text: one line, valid UTF-8, the same JSON."""
    line = span.replace("\r", " ").replace("\n", " ")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(_escape_surrogate, line)
    return line


def text_line(text: str) -> str:
    """The raw line of a text received that is no JSON event: a JSON string holding it."""
    return ndjson_line(text)


def event_line(span: str) -> str:
    """The raw line of an element of `events` (or of a single event input)."""
    return text_line(span) if span.startswith('"') else span_line(span)


def record_line(record: str) -> str:
    """The raw line of one record: its JSON text, or a JSON string holding a text that is none."""
    try:
        read(record, max_depth=MAX_INPUT_DEPTH)
    except JsonTextError:
        return text_line(record)
    span = strip(record)
    return text_line(record) if span.startswith('"') else span_line(span)


def received_lines(text: str, max_events: int) -> list[str]:
    """The raw lines of an execution input (its JSON text); BatchRejected when it is refused.

    Refused before anything is stored: what handlers.limits.execution_input_problem refuses, an
    input that is not an object, `events` or `records` not a non-empty list (of strings, for
    records) of at most `max_events`, or beside other keys.
    """
    problem = execution_input_problem(text)
    if problem is not None:
        raise BatchRejected(problem.message)
    value = read(text, max_depth=MAX_INPUT_DEPTH).value
    if not isinstance(value, dict):
        raise BatchRejected(
            "input must be a JSON object (one event, {'events': [...]} or {'records': [...]}), "
            f"got {_json_type(value)}"
        )
    for key in (ENVELOPE_KEY, RECORDS_KEY):
        if key in value:
            members = _members(value, key, max_events)
            if key == ENVELOPE_KEY:
                return [event_line(span) for span in member_spans(text)]
            if not all(type(record) is str for record in members):  # Number is a str too
                raise BatchRejected(f"every element of '{RECORDS_KEY}' must be a string")
            return [record_line(record) for record in members]
    return [span_line(strip(text))]


def _members(value: dict[str, Any], key: str, max_events: int) -> list[Any]:
    extra = sorted(str(k) for k in value if k != key)
    if extra:
        raise BatchRejected(
            f"batch envelope has unexpected keys {extra}; only '{key}' is allowed"[:512]
        )
    members = value[key]
    if not isinstance(members, list):
        raise BatchRejected(f"'{key}' must be a list, got {_json_type(members)}")
    if not members:
        raise BatchRejected(f"'{key}' is empty")
    if len(members) > max_events:
        raise BatchRejected(
            f"batch has {len(members)} events, more than MAX_BATCH_EVENTS={max_events}"
        )
    return members


def _json_type(value: Any) -> str:
    """The JSON type of a value read exactly (numbers are str subclasses there)."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "number" if type(value) is not str else "string"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else type(value).__name__


# Sizes are counted as the Lambda runtime writes a return value (json.dumps: ASCII-escaped,
# ", " and ": " separators), the largest of the forms a payload is measured in: >= compact JSON,
# >= UTF-8.
#
# What Process adds to an event's own JSON in its item, rounded up (the event's own event_time
# value and action stay counted; the lineage is not repeated per item):
#   ', "occurred_at": "<24>"' 43, ', "late": false' 15, ', "raw_index": <10 digits>' 25,
#   the SK's time, "#" and quotes around the event's own event_time value 27,
#   ', "content_hash": "<32>"' 52, the ", " between items 2  = 164, plus slack -> 176.
ITEM_OVERHEAD = 176
# When Process derives the event_id: ', "event_id": "<32>"' (48) and its copy in the SK (32).
# A client event_id is in the event already: only its copy in the SK is added.
DERIVED_ID_OVERHEAD = 48 + DERIVED_ID
# A rejected summary {"index", "event_id", "reason", "detail"} without its event_id: keys,
# separators, a 10-digit index, the longest reason (21), a detail of <= MAX_DETAIL (256) bytes
# once escaped (handlers.schema.clip_detail), the ", " between entries; rounded up. Its event_id is
# the client's or 32 hex chars. Write's conflicts are summaries of the same shape, of items.
REJECTED_SUMMARY_BASE = 384
# Process output / Write input around the items: keys, batch_id (twice), counts, received_at and
# processed_at, the rejected key's fixed part; raw_key (x3) and execution_id (x2) are added.
BATCH_OVERHEAD = 1024


def runtime_size(value: Any) -> int:
    """Bytes of `value` as the Lambda runtime serializes a return value (json.dumps defaults)."""
    return len(json.dumps(value))


def estimate_item_size(event: Any, lineage: int = 0) -> int:
    """Upper bound of one event's share of the Process output, in bytes: its item or, when it is
    rejected, its summary (including the separator that follows it).

    `lineage` is the size of any per-item lineage a caller still counts: none since Process returns
    the lineage once per batch (0; a larger value only makes the estimate more conservative).
    Normalizing the action at most doubles it (one '_' per character): its length counts twice.
    """
    given = event.get("event_id") if isinstance(event, dict) else None
    client_id = len(given) if isinstance(given, str) and len(given) <= MAX_CLIENT_ID else 0
    summary = REJECTED_SUMMARY_BASE + max(client_id, DERIVED_ID)
    if utf8_size(event) > MAX_EVENT_BYTES:
        return summary  # rejected event_too_large: only its summary travels on
    action = event.get("action") if isinstance(event, dict) else None
    growth = len(action) if isinstance(action, str) else 0
    # An event with an `event_id` keeps it (or is rejected); one without gets a derived id.
    has_id = isinstance(event, dict) and "event_id" in event
    ids = client_id if has_id else DERIVED_ID_OVERHEAD
    item = runtime_size(event) + growth + ITEM_OVERHEAD + ids + lineage
    return max(item, summary)


def estimate_rejection_size(event_id: str) -> int:
    """Upper bound of a rejected event's summary in the Process output (separator included)."""
    return REJECTED_SUMMARY_BASE + max(len(event_id), DERIVED_ID)


def payload_base(raw_key: str, execution_id: str) -> int:
    """Process's output without its items' and rejections' shares."""
    return BATCH_OVERHEAD + 3 * runtime_size(raw_key) + 2 * runtime_size(execution_id)


def estimate_payload_size(events: list[Any], raw_key: str, execution_id: str) -> int:
    """Upper bound of Process's output (and Write's input) for `events`, in bytes."""
    return payload_base(raw_key, execution_id) + sum(estimate_item_size(e) + 1 for e in events)


def check_payload_size(estimate: int, count: int) -> int:
    """The estimate, or BatchRejected when the enriched batch could exceed Process's output limit
    (handlers.limits.PROCESS_OUTPUT_LIMIT); never truncated."""
    if estimate > PROCESS_OUTPUT_LIMIT:
        raise BatchRejected(
            f"batch of {count} events is estimated at {estimate} bytes after enrichment, "
            f"over Process's output limit of {PROCESS_OUTPUT_LIMIT} bytes (the Step Functions "
            f"payload limit of {PAYLOAD_LIMIT} bytes less room for the Lambda response and "
            "Write's execution id); send it as smaller batches (nothing was stored)"
        )
    return estimate
