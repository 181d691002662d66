"""The tracker's batch limits (tracker/tracker.js DEFAULTS) against what the route and Ingest
accept: any body the tracker can build is accepted whole, whatever its characters."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from components.builders.settings import PipelineSettings, load_stack_config
from handlers.envelope import estimate_payload_size
from handlers.limits import MAX_EXECUTION_ID, PROCESS_OUTPUT_LIMIT, execution_input_problem

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "tracker" / "tracker.js").read_text(encoding="utf-8")
RAW_KEY = f"ingest/yyyy=2026/mm=01/dd=01/hh=00/{'f' * 32}.json"
EXECUTION_ID = "x" * MAX_EXECUTION_ID
KEEPALIVE_QUOTA = 65_536  # Fetch standard: in-flight keepalive bodies of a page, in bytes


def default(name: str) -> int:
    match = re.search(rf"^\s+{name}: (\d+),$", SOURCE, re.MULTILINE)
    assert match is not None, f"tracker.js has no default {name}"
    return int(match[1])


MAX_BATCH_BYTES = default("maxBatchBytes")
MAX_BATCH_EVENTS = default("maxBatchEvents")


def event(page: str = "/") -> dict[str, Any]:
    """An event as the tracker builds it, with every field it fills in."""
    return {
        "event_id": str(uuid.uuid4()),
        "user_id": f"anon-{uuid.uuid4()}",
        "action": "add_to_cart",
        "event_time": "2026-01-01T00:00:00.000Z",
        "session_id": str(uuid.uuid4()),
        "page": page,
        "properties": {"note": ""},
    }


def body(events: list[dict[str, Any]]) -> str:
    """The body as the tracker sends it: JSON.stringify of each event (non-ASCII as is)."""
    texts = (json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in events)
    return '{"events":[' + ",".join(texts) + "]}"


def size(events: list[dict[str, Any]]) -> int:
    return len(body(events).encode("utf-8"))


def fill(events: list[dict[str, Any]], unit: str) -> list[dict[str, Any]]:
    """`events` with the last one padded with `unit` up to maxBatchBytes."""
    unit_bytes = len(json.dumps(unit, ensure_ascii=False)[1:-1].encode("utf-8"))
    events[-1]["properties"]["note"] = unit * ((MAX_BATCH_BYTES - size(events)) // unit_bytes)
    return events


SHAPES = {
    # as many events as a batch holds, the smallest the tracker makes
    "many": lambda: [event() for _ in range(MAX_BATCH_EVENTS)],
    # one event as large as a batch
    "one": lambda: [event()],
    # events with long pages (2,048 characters, the schema's maximum)
    "pages": lambda: [event("/" + "p" * 2047) for _ in range(MAX_BATCH_BYTES // 2400)],
}
UNITS = {
    "ascii": "a",
    "emoji": "\U0001f600",  # 4 UTF-8 bytes, 12 once Step Functions escapes it, 14 escaped again
    "quote": '"',  # 2 bytes in the body (\"), 4 once escaped again for Ingest
    "control": "\x01",  # 6 bytes in the body (\u0001)
    "accent": "\u00e9",  # 2 UTF-8 bytes, 6 escaped
}


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_full_batch_of_any_characters_is_accepted_whole(shape: str, unit: str) -> None:
    events = fill(SHAPES[shape](), UNITS[unit])
    text = body(events)
    assert MAX_BATCH_BYTES - 16 < size(events) <= MAX_BATCH_BYTES
    assert execution_input_problem(text) is None
    assert estimate_payload_size(events, RAW_KEY, EXECUTION_ID) <= PROCESS_OUTPUT_LIMIT


def test_a_batch_of_the_most_events_fits_in_its_bytes() -> None:
    assert size([event() for _ in range(MAX_BATCH_EVENTS)]) < MAX_BATCH_BYTES


def test_two_batches_fit_in_the_keepalive_quota() -> None:
    assert 2 * MAX_BATCH_BYTES <= KEEPALIVE_QUOTA


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_batch_never_holds_more_events_than_a_stack_accepts(stack: str) -> None:
    settings = PipelineSettings.from_stack_config(load_stack_config(ROOT / f"Pulumi.{stack}.yaml"))
    assert settings.max_batch_events >= MAX_BATCH_EVENTS
