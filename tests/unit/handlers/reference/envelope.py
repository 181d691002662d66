"""The execution input envelope and the Step Functions payload-size estimate (pure)."""

from __future__ import annotations

from typing import Any

from handlers.errors import BatchRejected
from tests.unit.handlers.reference.canonical import escaped_size, utf8_size

PAYLOAD_LIMIT = 256 * 1024  # Step Functions: max input/output of a state, UTF-8 bytes
MAX_EVENT_BYTES = 32 * 1024  # one event's canonical JSON; larger ones are rejected event_too_large
ENVELOPE_KEY = "events"
# Fixed per-item cost of what Process adds to an event, ASCII-escaped JSON, rounded up:
# keys and quotes of event_id/event_time(SK)/occurred_at/received_at/processed_at/raw_key/
# batch_id/execution_id/late/raw_index (~170), three 24-char timestamps plus the SK's time (96),
# a 32-char batch_id (32), an event_id if absent (32) and a second copy in the SK (<= 128),
# time growth of event_time (<= 24) and slack (~80).
ITEM_OVERHEAD = 600
# A rejected summary {"index","event_id","reason","detail"}: detail <= 256, event_id <= 128.
REJECTED_SUMMARY_MAX = 520
# Process output / Write input around the items: ids, keys, counts, execution_id.
BATCH_OVERHEAD = 1024


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


def estimate_item_size(event: Any, lineage: int) -> int:
    """Upper bound of one event's share of the Process output, in bytes.

    `lineage` is the escaped size of the per-item strings known at ingest (raw_key, execution_id).
    Normalizing the action at most doubles it (one '_' per character): its length counts twice.
    """
    if utf8_size(event) > MAX_EVENT_BYTES:
        return REJECTED_SUMMARY_MAX  # rejected event_too_large: only its summary travels on
    action = event.get("action") if isinstance(event, dict) else None
    growth = len(action) if isinstance(action, str) else 0
    item = escaped_size(event) + growth + ITEM_OVERHEAD + lineage
    return max(item, REJECTED_SUMMARY_MAX)


def estimate_payload_size(events: list[Any], raw_key: str, execution_id: str) -> int:
    lineage = escaped_size(raw_key) + escaped_size(execution_id)
    total = BATCH_OVERHEAD + 2 * escaped_size(raw_key) + escaped_size(execution_id)
    return total + sum(estimate_item_size(e, lineage) + 1 for e in events)


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
