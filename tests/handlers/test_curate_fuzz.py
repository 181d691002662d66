"""Arbitrary raw NDJSON at Process's core: every line is curated or rejected with a reason, never
an unhandled error — deep nesting, huge strings, odd unicode (lone surrogates too), NaN and
Infinity, wrong types and duplicate keys (refused: `duplicate_key`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.canonical import to_ndjson
from handlers.curate import Lineage, curate_body
from handlers.reasons import REASONS
from tests.examples import examples

LINEAGE = Lineage(
    raw_key="ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "f" * 32 + ".json",
    batch_id="f" * 32,
    execution_id="arn:aws:states:us-east-1:123456789012:execution:wf:fuzz",
    received_at=datetime(2024, 5, 1, 12, tzinfo=UTC),
    processed_at=datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC),
    late_threshold_hours=72,
)
odd_text = st.text(st.characters(codec=None, categories=None), max_size=12) | st.sampled_from(
    ["\ud800", "a\udfffb", "\u0000", "\u202e", "\ufeff", "😀", "e\u0301", "\U0010ffff"]
)
leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**45), max_value=10**45)
    | st.floats()  # NaN, +-Infinity, subnormals
    | odd_text
)
value = st.recursive(
    leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3)
)
field_values = {
    "user_id": odd_text | value,
    "action": st.sampled_from(["Page View", "click", "???", ""]) | value,
    "event_time": st.sampled_from(
        ["2024-05-01T10:00:00Z", "2024-05-03T10:00:00+02:00", 1714557600, 1714557600123.0]
    )
    | value,
    "event_id": st.sampled_from(["e-1", "e#1", "", "x" * 200]) | value,
    "properties": value,
    "page": st.text(max_size=5) | st.integers(0, 40_000).map(lambda n: "x" * n),
}
pairs = st.lists(
    st.sampled_from(sorted(field_values)).flatmap(lambda k: st.tuples(st.just(k), field_values[k])),
    max_size=7,
)

SNAKE_CASE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")  # a normalized action


def object_text(items: list[tuple[str, Any]], ascii_only: bool) -> str:
    """A JSON object written by hand: keys may repeat, NaN/Infinity are written as tokens."""
    body = ",".join(
        f"{json.dumps(k, ensure_ascii=ascii_only)}:{json.dumps(v, ensure_ascii=ascii_only)}"
        for k, v in items
    )
    return "{" + body + "}"


lines = st.one_of(
    st.builds(object_text, pairs, st.booleans()),
    value.map(lambda v: json.dumps(v, ensure_ascii=True)),  # lone surrogates as \\ud800 escapes
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),  # deep nesting (RecursionError too)
    st.integers(1, 40).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t),  # garbage
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=6))
def test_arbitrary_raw_lines_are_curated_or_rejected_with_a_reason(raw: list[str]) -> None:
    body = "\n".join(raw).encode("utf-8", "surrogatepass")
    curated = curate_body(body, LINEAGE)  # never raises

    expected = sum(1 for line in body.decode("utf-8", "replace").split("\n") if line.strip())
    assert curated.counts()["received"] == expected
    for rejection in curated.rejected:
        assert rejection.reason in REASONS
        assert rejection.detail
        assert isinstance(rejection.event_id, str)
        assert rejection.event_id
    for item in curated.items:
        assert SNAKE_CASE.fullmatch(item["action"])
        json.dumps(item, allow_nan=False).encode("utf-8")  # strict JSON, valid UTF-8
    # What Process writes and returns must serialise: the rejected object and its output.
    to_ndjson([r.record() for r in curated.rejected]).decode("utf-8")
    json.dumps([r.summary() for r in curated.rejected], allow_nan=False)


def test_duplicate_keys_are_refused_under_the_last_wins_id() -> None:
    line = '{"event_id":"dup-1","user_id":"u","action":"click","action":"login","event_time":0}'
    curated = curate_body(line.encode(), LINEAGE)
    assert curated.items == []
    [rejection] = curated.rejected
    assert rejection.reason == "duplicate_key"
    assert "'action' appears twice" in rejection.detail
    assert rejection.event_id == "dup-1"
    assert rejection.event == line  # kept as received: the duplicate stays visible
    nested = curate_body(b'{"user_id":"u","properties":{"a":1,"a":2}}', LINEAGE)
    assert [r.reason for r in nested.rejected] == ["duplicate_key"]


def test_lone_surrogates_are_rejected_and_the_rejection_is_valid_utf8() -> None:
    line = '{"user_id":"u\\ud800","action":"click","event_time":"2024-05-01T10:00:00Z"}'
    curated = curate_body(line.encode(), LINEAGE)
    [rejection] = curated.rejected
    assert rejection.reason == "schema_violation"
    assert "rule: unicode" in rejection.detail
    record = to_ndjson([rejection.record()])
    assert json.loads(record)["event"]["user_id"] == "u\ud800"  # escaped, not lost


def test_nan_and_infinity_tokens_are_schema_violations() -> None:
    body = (
        b'{"user_id":"u","action":"a","event_time":NaN}\n'
        b'{"user_id":"u","action":"a","event_time":0,"properties":{"x":-Infinity}}\n'
    )
    curated = curate_body(body, LINEAGE)
    assert [r.reason for r in curated.rejected] == ["schema_violation", "schema_violation"]
    assert "finiteNumber" in curated.rejected[1].detail
