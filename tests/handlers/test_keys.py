from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.builders.analytics_sql import PARTITION_KEYS, PROJECTION_DIGITS, PROJECTION_RANGES
from handlers import keys
from handlers.curate import Lineage, curate_events
from handlers.times import format_time
from tests.examples import examples

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


def shuffled(obj: Any, rnd: random.Random) -> Any:
    if isinstance(obj, dict):
        pairs = [(k, shuffled(v, rnd)) for k, v in obj.items()]
        rnd.shuffle(pairs)
        return dict(pairs)
    if isinstance(obj, list):
        return [shuffled(v, rnd) for v in obj]
    return obj


@given(objects, st.randoms(use_true_random=False))
def test_event_id_ignores_key_order(event: dict[str, Any], rnd: random.Random) -> None:
    event.pop("event_id", None)
    again = shuffled(json.loads(json.dumps(event)), rnd)
    assert keys.event_id(again) == keys.event_id(event)
    assert len(keys.event_id(event)) == 32


@given(objects, objects)
def test_different_events_different_ids(a: dict[str, Any], b: dict[str, Any]) -> None:
    a.pop("event_id", None)
    b.pop("event_id", None)
    assert (keys.event_id(a) == keys.event_id(b)) == (a == b)


def test_client_event_id_is_used_only_when_valid() -> None:
    assert keys.event_id({"event_id": "order-42:v1"}) == "order-42:v1"
    for bad in ["", "a#b", "x" * 129, "ab\n", 42]:
        assert keys.event_id({"event_id": bad}) == keys.event_id({"event_id": bad})
        assert keys.event_id({"event_id": bad}) != bad


def test_batch_id_is_content_derived() -> None:
    events = [{"user_id": "u", "b": 1, "a": 2}, {"x": "ü"}]
    reordered = [{"a": 2, "user_id": "u", "b": 1}, {"x": "ü"}]
    assert keys.batch_id(events) == keys.batch_id(reordered)
    assert keys.batch_id(events) != keys.batch_id(list(reversed(events)))
    canonical = '[{"a":2,"b":1,"user_id":"u"},{"x":"ü"}]'
    assert keys.batch_id(events) == hashlib.sha256(canonical.encode()).hexdigest()[:32]


OLDEST = datetime(2000, 1, 1, tzinfo=UTC)
EPOCH_PARTITION = "ingest/yyyy=1970/mm=01/dd=01/hh=00/"


def test_raw_key_uses_earliest_parseable_hour() -> None:
    events = [
        {"event_time": "2024-05-01T10:59:59.999Z"},
        {"event_time": "2024-05-01T12:00:00+05:00"},  # 07:00Z, the earliest
        {"event_time": "garbage"},
        "not an object",
    ]
    assert keys.raw_key(events, "b1", OLDEST) == "ingest/yyyy=2024/mm=05/dd=01/hh=07/b1.json"
    assert keys.raw_key([{"event_time": True}], "b2", OLDEST) == f"{EPOCH_PARTITION}b2.json"
    assert keys.rejected_key("ingest/yyyy=2024/mm=05/dd=01/hh=07/b1.json") == (
        "rejected/yyyy=2024/mm=05/dd=01/hh=07/b1.json"
    )
    assert keys.conflicts_key("ingest/yyyy=2024/mm=05/dd=01/hh=07/b1.json") == (
        "rejected/yyyy=2024/mm=05/dd=01/hh=07/b1.conflicts.json"
    )


@pytest.mark.parametrize(
    ("times", "partition"),
    [
        (["0001-01-01T00:30:00.000Z", "2024-05-01T07:00:00Z"], "yyyy=2024/mm=05/dd=01/hh=07/"),
        (["9999-12-31T23:00:00Z"], "yyyy=1970/mm=01/dd=01/hh=00/"),
        (["1966-03-01T00:00:00Z", "1999-12-31T23:59:59.999Z"], "yyyy=1970/mm=01/dd=01/hh=00/"),
        (["2000-01-01T00:00:00Z", "1999-12-31T23:00:00Z"], "yyyy=2000/mm=01/dd=01/hh=00/"),
        (["2099-12-31T23:59:59.999Z", "2100-01-01T00:00:00Z"], "yyyy=2099/mm=12/dd=31/hh=23/"),
        ([-62135596800000, 253402300799999], "yyyy=1970/mm=01/dd=01/hh=00/"),
    ],
)
def test_raw_partition_is_the_earliest_time_inside_the_window(
    times: list[Any], partition: str
) -> None:
    events = [{"event_time": t} for t in times]
    assert keys.raw_key(events, "b", OLDEST) == f"ingest/{partition}b.json"


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.datetimes(timezones=st.just(UTC)).map(format_time)
        | st.integers(-(10**15), 10**15)
        | st.text(max_size=4),
        max_size=5,
    ),
    st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)),
)
def test_every_raw_partition_is_inside_the_analytics_projection(
    times: list[Any], oldest: datetime
) -> None:
    key = keys.raw_key([{"event_time": t} for t in times], "b", oldest)
    match = re.fullmatch(r"ingest/yyyy=(\d{4})/mm=(\d{2})/dd=(\d{2})/hh=(\d{2})/b\.json", key)
    assert match is not None
    for name, text in zip(PARTITION_KEYS, match.groups(), strict=True):
        low, high = PROJECTION_RANGES[name]
        assert len(text) == PROJECTION_DIGITS[name]
        assert low <= int(text) <= high, (name, text)


def test_raw_batch_id_is_the_hash_of_the_lines() -> None:
    body = b'{"a": 1e400}\n"not json"\n'
    assert keys.raw_batch_id(body) == hashlib.sha256(body).hexdigest()[:32]
    assert keys.raw_batch_id(b'{"a":1e400}\n') != keys.raw_batch_id(b'{"a":1e401}\n')


def test_same_millisecond_both_kept_same_event_once(lineage: Lineage) -> None:
    click = {"user_id": "u", "action": "click", "event_time": 1714557600123, "page": "/a"}
    other = {**click, "page": "/b"}
    curated = curate_events([click, other, dict(reversed(click.items()))], lineage)
    sks = [item["event_time"] for item in curated.items]
    assert len(sks) == 3
    assert sks[0] != sks[1]
    assert sks[0] == sks[2]
    assert all(sk.startswith("2024-05-01T10:00:00.123Z#") for sk in sks)
