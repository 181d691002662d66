from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from handlers.canonical import to_ndjson
from handlers.curate import Lineage, curate_body, curate_event, curate_events
from handlers.envelope import received_lines
from handlers.errors import BatchRejected
from handlers.normalize import anonymize_ip, normalize_action
from handlers.reasons import REASONS
from handlers.times import format_time, parse_event_time, truncate_ms
from tests.examples import examples

SNAKE_CASE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")  # a normalized action


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


@settings(max_examples=examples(300), deadline=None)
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
        assert SNAKE_CASE.fullmatch(item["action"])
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


def canonical_hash(value: Any) -> str:
    """The contract's content hash, written out: the first 32 hex chars of sha256 over the
    canonical JSON (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


RECEIVED = datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC)  # not on a millisecond
moments = st.integers(-(80 * 3600 * 1000), 30 * 3600 * 1000).map(
    lambda ms: RECEIVED + timedelta(milliseconds=ms)
)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
valid_times = st.one_of(
    moments.map(format_time),
    st.tuples(moments, offsets, st.sampled_from(["seconds", "milliseconds", "microseconds"])).map(
        lambda t: t[0].astimezone(t[1]).isoformat(timespec=t[2])
    ),
    moments.map(lambda m: int(m.timestamp() * 1000)),
    moments.map(lambda m: int(m.timestamp())),
)
storable_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(10**37), 10**37)
    | st.floats(allow_nan=False, min_value=-1e125, max_value=1e125).filter(
        lambda f: f == 0 or abs(f) >= 1e-130
    )
    | st.text(st.characters(codec="utf-8"), max_size=12)
)
storable = st.recursive(
    storable_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(st.characters(codec="utf-8"), min_size=1, max_size=6), inner, max_size=3
        )
    ),
    max_leaves=8,
)
short_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=16)
valid_events = st.fixed_dictionaries(
    {
        "user_id": short_text,
        "action": st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,20}", fullmatch=True),
        "event_time": valid_times,
    },
    optional={
        "event_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
        "session_id": short_text,
        "page": st.text(st.characters(codec="utf-8"), max_size=30),
        "referrer": st.text(st.characters(codec="utf-8"), max_size=30),
        "user_agent": st.text(st.characters(codec="utf-8"), max_size=30),
        "ip": st.ip_addresses().map(str),
        "properties": st.dictionaries(
            st.text(st.characters(codec="utf-8"), min_size=1, max_size=8), storable, max_size=4
        ),
    },
)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(valid_events, min_size=1, max_size=6))
def test_an_item_is_derived_from_its_event_by_the_contract(events: list[dict[str, Any]]) -> None:
    """Ids, content hash, times and fields as the contract states them, computed independently."""
    lineage = Lineage(
        raw_key="ingest/x.json",
        batch_id="x" * 32,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:wf:x",
        received_at=RECEIVED,
        processed_at=RECEIVED,
        late_threshold_hours=72,
    )
    curated = curate_events(events, lineage)
    rejected = {r.index: r for r in curated.rejected}
    items = iter(curated.items)
    for index, event in enumerate(events):
        content_hash = canonical_hash(event)
        ident = event.get("event_id", content_hash)
        if index in rejected:
            assert rejected[index].event_id == ident
            continue
        item = next(items)
        moment = parse_event_time(event["event_time"])
        occurred_at = (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
        )
        expected = {
            "user_id": event["user_id"],
            "event_time": f"{occurred_at}#{ident}",
            "event_id": ident,
            "action": normalize_action(event["action"]),
            "occurred_at": occurred_at,
            **{k: event[k] for k in ("session_id", "page", "referrer", "user_agent") if k in event},
            **({"ip": anonymize_ip(event["ip"])} if "ip" in event else {}),
            **({"properties": event["properties"]} if "properties" in event else {}),
            "late": RECEIVED - moment > timedelta(hours=72),
            "raw_index": index,
            "content_hash": content_hash,
        }
        assert json.dumps(item) == json.dumps(expected)  # key order and types too
    assert next(items, None) is None


@settings(max_examples=examples(200), deadline=None)
@given(
    received=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    ),
    threshold=st.sampled_from([0, 0.0001, 1 / 3, 24, 72, 1e6]) | st.floats(0, 1e5),
    oldest_shift=st.sampled_from([None, -1, 0, 1]) | st.integers(-(10**9), 10**9),
    shifts=st.lists(st.integers(-(10**9), 10**9) | st.integers(-2, 2), min_size=1, max_size=8),
)
def test_future_too_old_and_late_follow_the_instants(
    received: datetime, threshold: float, oldest_shift: int | None, shifts: list[int]
) -> None:
    """Times around each bound (24 h ahead, the threshold back, the oldest accepted time), to the
    millisecond, written in UTC or with the received time's offset: each rule is the comparison of
    instants the contract states."""
    oldest = (  # a whole millisecond, as the stack setting is read (handlers.aws.env_time)
        datetime.min.replace(tzinfo=UTC)
        if oldest_shift is None
        else truncate_ms(received - timedelta(hours=threshold / 2, milliseconds=oldest_shift))
    )
    lineage = Lineage(
        raw_key="ingest/x.json",
        batch_id="x" * 32,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:wf:x",
        received_at=received,
        processed_at=received,
        late_threshold_hours=threshold,
        oldest_event_time=oldest,
    )
    bases = [received + timedelta(hours=24), received - timedelta(hours=threshold), oldest]
    bases = [b for b in bases if b.year > 1] + [received]
    events = []
    for i, shift in enumerate(shifts):
        at = bases[i % len(bases)] + timedelta(milliseconds=shift)
        text = format_time(at) if i % 2 else at.isoformat()
        events.append({"user_id": "u", "action": "a", "event_time": text, "event_id": f"e{i}"})
    curated = curate_events(events, lineage)
    outcomes = {r.index: r.reason for r in curated.rejected}
    outcomes.update({item["raw_index"]: item["late"] for item in curated.items})
    expected: dict[int, str | bool] = {}
    for i, event in enumerate(events):
        moment = parse_event_time(event["event_time"])
        if moment - received > timedelta(hours=24):
            expected[i] = "future_event_time"
        elif moment < oldest:
            expected[i] = "event_too_old"
        else:
            expected[i] = received - moment > timedelta(hours=threshold)
    assert outcomes == expected


def test_a_naive_or_unbounded_lineage_is_an_error_not_a_rejection(lineage: Lineage) -> None:
    event = {"user_id": "u", "action": "a", "event_time": "2024-05-01T10:00:00Z"}
    naive = dataclasses.replace(lineage, received_at=datetime(2024, 5, 1, 12))
    with pytest.raises(TypeError):
        curate_events([event], naive)
    with pytest.raises(OverflowError):  # no timedelta holds 1e11 hours
        curate_events([event], dataclasses.replace(lineage, late_threshold_hours=1e11))
    outcomes = []
    for received, threshold in [
        (datetime(9999, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC), 0),
        (datetime(1, 1, 1, 0, 0, 0, 500, tzinfo=UTC), 1e6),
        (lineage.received_at, 1e9),  # further back than year 1: nothing is late
    ]:
        bounded = dataclasses.replace(lineage, received_at=received, late_threshold_hours=threshold)
        curated = curate_events([event], bounded)
        outcomes += [item["late"] for item in curated.items]
        outcomes += [rejection.reason for rejection in curated.rejected]
    assert outcomes == [True, "future_event_time", False]


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        valid_events | events.filter(lambda e: not isinstance(e, str)), min_size=1, max_size=6
    ),
    st.sampled_from([None, 1]),
    st.booleans(),
)
def test_an_event_as_received_reads_like_its_reserialization(
    batch: list[Any], indent: int | None, ascii_only: bool
) -> None:
    """Ingest stores each event's text exactly as received; Process reads it to the items, ids and
    reasons the compact re-serialization of the same events gives (no derived id changes). An
    element that is a JSON string is stored as a text received (its span), so it is left out."""
    text = json.dumps({"events": batch}, indent=indent, ensure_ascii=ascii_only)
    assume("NaN" not in text and "Infinity" not in text)
    try:
        lines = received_lines(text, max_events=10)
    except BatchRejected:  # too deep for Ingest: refused before anything is stored
        assume(False)
        raise
    exact = curate_body(("\n".join(lines) + "\n").encode("utf-8"), FIXED_LINEAGE)
    again = curate_body(to_ndjson(json.loads(text)["events"]), FIXED_LINEAGE)
    assert json.dumps(exact.items) == json.dumps(again.items)
    assert [(r.index, r.event_id, r.reason) for r in exact.rejected] == [
        (r.index, r.event_id, r.reason) for r in again.rejected
    ]
