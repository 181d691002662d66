"""Read event files and split them into execution inputs within the pipeline's limits (pure).

A file holds one event (a JSON object), `{"events": [...]}`, or NDJSON (one JSON value a line).
Batches hold at most `max_events` events, and both the execution input and the estimated enriched
output stay within the Step Functions payload limit (handlers.envelope), so Ingest never refuses a
batch for its size. Nothing is started before every file has been read and split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.envelope import (
    ENVELOPE_KEY,
    PAYLOAD_LIMIT,
    estimate_item_size,
    estimate_payload_size,
)

# The longest raw key and execution id Ingest can produce, for the size estimate.
_RAW_KEY = "ingest/yyyy=0000/mm=00/dd=00/hh=00/" + "0" * 32 + ".json"


class InputError(ValueError):
    """An input file cannot be sent (not JSON, empty, an event too large for any batch)."""


@dataclass(frozen=True)
class Batch:
    events: list[Any]

    @property
    def payload(self) -> dict[str, Any]:
        return {ENVELOPE_KEY: self.events}


def load_events(path: Path) -> list[Any]:
    """The events of one file; InputError names the file (and line) that is not JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not text.strip():
        raise InputError(f"{path}: empty file")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return _ndjson(path, text)
    if isinstance(document, dict) and ENVELOPE_KEY in document:
        events = document[ENVELOPE_KEY]
        if not isinstance(events, list) or set(document) != {ENVELOPE_KEY}:
            raise InputError(f'{path}: expected {{"events": [...]}} and nothing else')
        if not events:
            raise InputError(f"{path}: 'events' is empty")
        return list(events)
    return [document]


def _ndjson(path: Path, text: str) -> list[Any]:
    events: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}: not JSON ({exc.msg}); a file must hold one event, "
                '{"events": [...]}, or one JSON event per line'
            ) from None
    return events


def execution_id_for(state_machine_arn: str) -> str:
    """The longest execution ARN of a `b-<batch_id>` execution of this state machine."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + ":b-" + "0" * 32


def split(events: Iterable[Any], max_events: int, execution_id: str) -> list[Batch]:
    """Greedy, order-preserving batches within `max_events` and the payload limit.

    Sizes are kept as running sums (linear in the number of events): the execution input as
    `json.dumps` writes it, and the enriched-output estimate of handlers.envelope.
    """
    if max_events < 1:
        raise ValueError(f"max_events must be >= 1, got {max_events}")
    base_estimate = estimate_payload_size([], _RAW_KEY, execution_id)
    batches: list[Batch] = []
    current: list[Any] = []
    input_size = estimate = 0
    for index, event in enumerate(events):
        event_input = len(json.dumps(event).encode("utf-8"))
        event_estimate = estimate_item_size(event) + 1  # as Ingest's check_payload_size sums it
        if _ENVELOPE_BYTES + event_input > PAYLOAD_LIMIT:
            raise InputError(
                f"event #{index} is {event_input} bytes: larger than the Step Functions input "
                f"limit of {PAYLOAD_LIMIT} bytes on its own"
            )
        fits = (
            len(current) < max_events
            and _ENVELOPE_BYTES + input_size + _SEPARATOR_BYTES + event_input <= PAYLOAD_LIMIT
            and base_estimate + estimate + event_estimate <= PAYLOAD_LIMIT
        )
        if current and not fits:
            batches.append(Batch(current))
            current, input_size, estimate = [], 0, 0
        input_size += event_input + (_SEPARATOR_BYTES if current else 0)
        estimate += event_estimate
        current.append(event)
    if current:
        batches.append(Batch(current))
    return batches


_ENVELOPE_BYTES = len(json.dumps({ENVELOPE_KEY: []}).encode("utf-8"))  # {"events": []}
_SEPARATOR_BYTES = len(", ")


def input_size(events: list[Any]) -> int:
    """Bytes of the execution input `{"events": [...]}` as it is sent (json.dumps)."""
    return len(json.dumps({ENVELOPE_KEY: events}).encode("utf-8"))
