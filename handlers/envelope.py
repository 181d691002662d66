"""The execution input envelope and the Step Functions payload-size estimate (pure)."""

from __future__ import annotations

import json
from typing import Any

from handlers.canonical import utf8_size
from handlers.errors import BatchRejected

PAYLOAD_LIMIT = 256 * 1024  # Step Functions: max input/output of a state, UTF-8 bytes
MAX_EVENT_BYTES = 32 * 1024  # one event's canonical JSON; larger ones are rejected event_too_large
ENVELOPE_KEY = "events"
# The batch-level attributes of every stored item. Process returns them once, as its `lineage`
# object; Write merges them into each item (handlers.table.put_request).
LINEAGE_ATTRIBUTES = ("received_at", "processed_at", "raw_key", "batch_id", "execution_id")
MAX_CLIENT_ID = 128  # event.schema.json: event_id maxLength (ASCII by its pattern)
DERIVED_ID = 32  # hex chars of a derived event_id

# Sizes are counted as the Lambda runtime writes a return value (json.dumps: ASCII-escaped,
# ", " and ": " separators), the largest of the forms a payload is measured in: >= compact JSON,
# >= UTF-8.
#
# What Process adds to an event's own JSON in its item, rounded up (the event's own event_time
# value and action stay counted; the lineage is not repeated per item):
#   ', "occurred_at": "<24>"' 43, ', "late": false' 15, ', "raw_index": <10 digits>' 25,
#   the SK's time, "#" and quotes around the event's own event_time value 27,
#   the ", " between items 2  = 112, plus slack -> 128.
ITEM_OVERHEAD = 128
# When Process derives the event_id: ', "event_id": "<32>"' (48) and its copy in the SK (32).
# A client event_id is in the event already: only its copy in the SK is added.
DERIVED_ID_OVERHEAD = 48 + DERIVED_ID
# A rejected summary {"index", "event_id", "reason", "detail"} without its event_id: keys,
# separators, a 10-digit index, the longest reason (17), a detail of <= MAX_DETAIL (256) chars
# as ASCII, the ", " between entries; rounded up. Its event_id is the client's or 32 hex chars.
REJECTED_SUMMARY_BASE = 384
# Process output / Write input around the items: keys, batch_id (twice), counts, received_at and
# processed_at, the rejected key's fixed part; raw_key (x3) and execution_id (x2) are added.
BATCH_OVERHEAD = 1024


def runtime_size(value: Any) -> int:
    """Bytes of `value` as the Lambda runtime serializes a return value (json.dumps defaults)."""
    return len(json.dumps(value))


def parse_envelope(execution_input: Any, max_events: int) -> list[Any]:
    """The received events: one event object, or the list of `{"events": [...]}`.

    Only the envelope is checked (object, list, counts); events themselves are validated by Process.
    """
    if not isinstance(execution_input, dict):
        raise BatchRejected(
            f"input must be a JSON object (one event or {{'events': [...]}}), "
            f"got {type(execution_input).__name__}"
        )
    if ENVELOPE_KEY not in execution_input:
        return [execution_input]
    extra = sorted(str(k) for k in execution_input if k != ENVELOPE_KEY)
    if extra:
        raise BatchRejected(f"batch envelope has unexpected keys {extra}; only 'events' is allowed")
    events = execution_input[ENVELOPE_KEY]
    if not isinstance(events, list):
        raise BatchRejected(f"'events' must be a list, got {type(events).__name__}")
    if not events:
        raise BatchRejected("'events' is empty")
    if len(events) > max_events:
        raise BatchRejected(
            f"batch has {len(events)} events, more than MAX_BATCH_EVENTS={max_events}"
        )
    return events


def check_event_sizes(events: list[Any]) -> None:
    """BatchRejected when an event's canonical JSON is over MAX_EVENT_BYTES: nothing is stored.

    Process still rejects such an event `event_too_large`, for raw objects that did not come
    through Ingest (replay of a foreign object).
    """
    for index, event in enumerate(events):
        size = utf8_size(event)
        if size > MAX_EVENT_BYTES:
            raise BatchRejected(
                f"event #{index} is {size} bytes, over the {MAX_EVENT_BYTES}-byte event limit; "
                "send it smaller (nothing was stored)"
            )


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


def estimate_payload_size(events: list[Any], raw_key: str, execution_id: str) -> int:
    """Upper bound of Process's output (and Write's input) for `events`, in bytes."""
    total = BATCH_OVERHEAD + 3 * runtime_size(raw_key) + 2 * runtime_size(execution_id)
    return total + sum(estimate_item_size(e) + 1 for e in events)


def check_payload_size(events: list[Any], raw_key: str, execution_id: str) -> int:
    """The estimate, or BatchRejected when the enriched batch would not fit (never truncated)."""
    estimate = estimate_payload_size(events, raw_key, execution_id)
    if estimate > PAYLOAD_LIMIT:
        raise BatchRejected(
            f"batch of {len(events)} events is estimated at {estimate} bytes after enrichment, "
            f"over the Step Functions payload limit of {PAYLOAD_LIMIT} bytes; "
            "send it as smaller batches (nothing was stored)"
        )
    return estimate
