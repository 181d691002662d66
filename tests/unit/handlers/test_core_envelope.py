from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.curate import Curated, Lineage, curate_events
from handlers.envelope import (
    PAYLOAD_LIMIT,
    check_payload_size,
    estimate_payload_size,
    parse_envelope,
)
from handlers.errors import BatchRejected

RAW_KEY = "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "c" * 32 + ".json"
EXEC = (
    "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-dev-workflow:b-" + "c" * 32
)


def test_single_event_and_batch() -> None:
    assert parse_envelope({"user_id": "u"}, 10) == [{"user_id": "u"}]
    assert parse_envelope({}, 10) == [{}]
    assert parse_envelope({"events": [1, {"a": 1}]}, 10) == [1, {"a": 1}]


@pytest.mark.parametrize(
    ("execution_input", "message"),
    [
        ([{"user_id": "u"}], "must be a JSON object"),
        ("text", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"events": {"a": 1}}, "'events' must be a list"),
        ({"events": []}, "'events' is empty"),
        ({"events": [{}] * 11}, "more than MAX_BATCH_EVENTS=10"),
        ({"events": [{}], "extra": 1}, "unexpected keys ['extra']"),
    ],
)
def test_envelope_refused(execution_input: Any, message: str) -> None:
    with pytest.raises(BatchRejected, match=None) as info:
        parse_envelope(execution_input, 10)
    assert message in str(info.value)


def _event(i: int, pad: int) -> dict[str, Any]:
    return {
        "user_id": f"user-{i}",
        "action": "PageView",
        "event_time": 1714557600000 + i,
        "page": "/p/" + "é" * pad,
    }


@pytest.mark.parametrize(("count", "pad"), [(1, 0), (50, 10), (200, 0), (120, 400)])
def test_estimate_bounds_the_real_output(count: int, pad: int) -> None:
    events = [_event(i, pad) for i in range(count)]
    lineage = Lineage(
        RAW_KEY,
        "c" * 32,
        EXEC,
        datetime(2024, 5, 1, 11, tzinfo=UTC),
        datetime(2024, 5, 1, 11, tzinfo=UTC),
        72,
    )
    curated: Curated = curate_events(events, lineage)
    output = {
        "batch_id": "c" * 32,
        "raw_key": RAW_KEY,
        "items": curated.items,
        "rejected": [],
        "rejected_key": None,
        "counts": curated.counts(),
        "execution_id": EXEC,
    }
    for ensure_ascii in (True, False):
        actual = len(json.dumps(output, ensure_ascii=ensure_ascii).encode("utf-8"))
        assert estimate_payload_size(events, RAW_KEY, EXEC) >= actual


def test_oversized_batch_refused_with_estimate_and_limit() -> None:
    events = [_event(i, 600) for i in range(200)]
    with pytest.raises(BatchRejected) as info:
        check_payload_size(events, RAW_KEY, EXEC)
    message = str(info.value)
    assert f"{PAYLOAD_LIMIT} bytes" in message
    assert f"estimated at {estimate_payload_size(events, RAW_KEY, EXEC)} bytes" in message
    assert "200 events" in message


def test_small_batch_accepted() -> None:
    events = [_event(i, 0) for i in range(100)]
    assert check_payload_size(events, RAW_KEY, EXEC) < PAYLOAD_LIMIT


def test_an_event_over_its_size_limit_refuses_the_batch() -> None:
    from handlers.envelope import MAX_EVENT_BYTES, check_event_sizes
    from handlers.errors import BatchRejected

    small = {"user_id": "u", "action": "a", "event_time": 0}
    check_event_sizes([small, {**small, "page": "x" * (MAX_EVENT_BYTES - 100)}])
    with pytest.raises(BatchRejected, match=r"event #1 is \d+ bytes, over the 32768-byte"):
        check_event_sizes([small, {**small, "page": "x" * MAX_EVENT_BYTES}])
