from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.canonical import to_ndjson
from handlers.curate import Lineage, curate_body, curate_event, curate_events
from handlers.normalize import ACTION_PATTERN
from handlers.reasons import REASONS
from handlers.times import format_time


def test_curated_item_is_normalized_and_enriched(event: dict[str, Any], lineage: Lineage) -> None:
    item = curate_event(event, 3, lineage)
    ident = item["event_id"]
    assert len(ident) == 32
    assert item == {
        "user_id": "user-1",
        "event_time": f"2024-05-01T10:00:00.123Z#{ident}",
        "event_id": ident,
        "action": "page_view",
        "occurred_at": "2024-05-01T10:00:00.123Z",
        "session_id": "s-1",
        "page": "/home",
        "ip": "203.0.113.0",
        "properties": {"price": 9.99, "tags": ["a", "b"], "nested": {"n": 1}},
        "late": False,
        "raw_index": 3,
        "content_hash": ident,  # the derived id is the content hash
    }
    # The batch-level attributes travel once (Process's `lineage`); Write adds them to each item.
    assert lineage.attributes() == {
        "received_at": "2024-05-01T12:00:00.500Z",
        "processed_at": "2024-05-01T12:00:01.000Z",
        "raw_key": lineage.raw_key,
        "batch_id": lineage.batch_id,
        "execution_id": lineage.execution_id,
    }


def test_client_event_id_is_kept(event: dict[str, Any], lineage: Lineage) -> None:
    item = curate_event({**event, "event_id": "client-1"}, 0, lineage)
    assert item["event_id"] == "client-1"
    assert item["event_time"] == "2024-05-01T10:00:00.123Z#client-1"


def test_late_and_future(event: dict[str, Any], lineage: Lineage) -> None:
    received = lineage.received_at
    late = {**event, "event_time": format_time(received - timedelta(hours=73))}
    assert curate_event(late, 0, lineage)["late"] is True
    near_future = {**event, "event_time": format_time(received + timedelta(hours=23))}
    assert curate_event(near_future, 0, lineage)["late"] is False
    far = {**event, "event_time": format_time(received + timedelta(hours=25))}
    (rejection,) = curate_events([far], lineage).rejected
    assert rejection.reason == "future_event_time"


@pytest.mark.parametrize(
    ("patch", "reason", "detail_part"),
    [
        ({"event_time": "2024-05-01T10:00:00"}, "bad_event_time", "naive"),
        ({"event_time": True}, "bad_event_time", "boolean"),
        ({"event_time": 1714557600000.25}, "bad_event_time", "fraction of a millisecond"),
        ({"action": "???"}, "invalid_action", "normalizes to empty"),
        ({"user_id": ""}, "schema_violation", "data.user_id"),
        ({"properties": {"x": float("nan")}}, "schema_violation", "data.properties.x"),
        ({"properties": {"x": [float("-inf")]}}, "schema_violation", "finiteNumber"),
        ({"event_time": float("inf")}, "schema_violation", "data.event_time"),
        ({"properties": {"big": 10**40}}, "schema_violation", "numberRange"),
        ({"properties": {"": 1}}, "schema_violation", "propertyNames"),
        ({"page": "x" * 33_000}, "event_too_large", "> 32768 bytes"),
    ],
)
def test_rejections(
    event: dict[str, Any], lineage: Lineage, patch: dict[str, Any], reason: str, detail_part: str
) -> None:
    curated = curate_events([{**event, **patch}], lineage)
    assert curated.items == []
    (rejection,) = curated.rejected
    assert rejection.reason == reason
    assert detail_part in rejection.detail
    assert rejection.event == {**event, **patch}
    assert len(rejection.detail) <= 256


def test_body_with_foreign_lines(event: dict[str, Any], lineage: Lineage) -> None:
    body = to_ndjson([event]) + b"{not json\n\n" + b'"a string"\n' + b"NaN\n"
    curated = curate_body(body, lineage)
    assert [i["raw_index"] for i in curated.items] == [0]
    assert [(r.index, r.reason) for r in curated.rejected] == [
        (1, "not_json"),
        (2, "not_json"),  # a JSON string line holds a text received that is no event
        (3, "schema_violation"),
    ]
    assert curated.rejected[0].event == "{not json"
    assert curated.rejected[1].event == "a string"
    assert curated.counts() == {"received": 4, "valid": 1, "rejected": 3}


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and +-Infinity included
    | st.text(max_size=20)
)
json_any = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
fields = {
    "user_id": st.text(max_size=10) | json_any,
    "action": st.text(max_size=20) | json_any,
    "event_time": st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(
        ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00+14:00", 1714557600000, 1714557600]
    )
    | json_any,
    "ip": st.sampled_from(["1.2.3.4", "::1", "bad"]) | json_any,
    "properties": json_any,
    "event_id": st.text(max_size=10) | json_any,
}
events = json_any | st.fixed_dictionaries(
    {"user_id": fields["user_id"], "action": fields["action"], "event_time": fields["event_time"]},
    optional={k: v for k, v in fields.items() if k not in ("user_id", "action", "event_time")},
)


FIXED_LINEAGE = Lineage(
    raw_key="ingest/yyyy=2024/mm=05/dd=01/hh=10/x.json",
    batch_id="x" * 32,
    execution_id="arn:aws:states:us-east-1:123456789012:execution:wf:x",
    received_at=datetime(2024, 5, 1, 12, tzinfo=UTC),
    processed_at=datetime(2024, 5, 1, 12, tzinfo=UTC),
    late_threshold_hours=72,
)


@settings(max_examples=300, deadline=None)
@given(batch=st.lists(events, max_size=5))
def test_arbitrary_json_is_curated_or_rejected_with_reason(batch: list[Any]) -> None:
    lineage = FIXED_LINEAGE
    curated = curate_events(batch, lineage)
    assert len(curated.items) + len(curated.rejected) == len(batch)
    for rejection in curated.rejected:
        assert rejection.reason in REASONS
        assert rejection.detail
        json.dumps(rejection.summary(), allow_nan=False)
    for item in curated.items:
        assert ACTION_PATTERN.match(item["action"])
        json.dumps(item, allow_nan=False)  # Step Functions payloads are strict JSON
    body_result = curate_body(to_ndjson(batch), lineage)
    assert body_result.counts() == curated.counts()


def test_an_event_before_the_oldest_time_is_too_old(
    event: dict[str, Any], lineage: Lineage
) -> None:
    bounded = dataclasses.replace(lineage, oldest_event_time=datetime(2024, 5, 1, 10, tzinfo=UTC))
    at_bound = {**event, "event_time": "2024-05-01T10:00:00.000Z"}
    before = {**event, "event_time": "2024-05-01T09:59:59.999Z"}
    epoch = {**event, "event_time": 1714557599999}  # one millisecond before, as epoch ms
    curated = curate_events([at_bound, before, epoch], bounded)
    assert [i["raw_index"] for i in curated.items] == [0]
    assert [(r.index, r.reason) for r in curated.rejected] == [
        (1, "event_too_old"),
        (2, "event_too_old"),
    ]
    assert curated.rejected[0].detail == (
        "data.event_time 2024-05-01T09:59:59.999Z is before the oldest accepted time "
        "2024-05-01T10:00:00.000Z"
    )


def test_one_batch_keeps_the_first_event_of_a_key(lineage: Lineage) -> None:
    first = {"user_id": "u", "action": "a", "event_time": 0, "event_id": "k", "page": "/1"}
    other = {**first, "page": "/2"}
    curated = curate_events([first, other, dict(reversed(first.items())), other], lineage)
    assert [i["raw_index"] for i in curated.items] == [0, 2]  # identical: Write stores it once
    assert [(r.index, r.reason, r.event_id) for r in curated.rejected] == [
        (1, "conflicting_duplicate", "k"),
        (3, "conflicting_duplicate", "k"),
    ]
    assert "raw index 0" in curated.rejected[0].detail
    assert curated.rejected[0].event == other
