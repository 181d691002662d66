"""Ingest's reading of the execution input into raw lines, and Process's output estimate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from benchmarks.workload import make_events
from handlers import table, write
from handlers.curate import Curated, Lineage, curate_events
from handlers.envelope import (
    LINEAGE_ATTRIBUTES,
    check_payload_size,
    estimate_payload_size,
    payload_base,
    received_lines,
)
from handlers.errors import BatchRejected
from handlers.limits import PROCESS_OUTPUT_LIMIT
from handlers.process import output_payload, shape_output

RAW_KEY = "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "c" * 32 + ".json"
EXEC = (
    "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-dev-workflow:b-" + "c" * 32
)


def test_single_event_batch_and_records() -> None:
    assert received_lines(' {"user_id": "u"}\n', 10) == ['{"user_id": "u"}']
    assert received_lines("{}", 10) == ["{}"]
    assert received_lines('{"events": [1, {"a": 1e400}, "t"]}', 10) == [
        "1",
        '{"a": 1e400}',
        '"\\"t\\""',
    ]
    assert received_lines('{"records": ["{\\"a\\":\\r\\n-0}", "x"]}', 10) == [
        '{"a":  -0}',
        '"x"',
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"user_id": "u"}]', "must be a JSON object"),
        (
            '"text"',
            "must be a JSON object (one event, {'events': [...]} or {'records': [...]}), "
            "got string",
        ),
        ("null", "got null"),
        ("1e400", "got number"),
        ('{"events": {"a": 1}}', "'events' must be a list, got dict"),
        ('{"events": []}', "'events' is empty"),
        ('{"events": [' + ",".join(["{}"] * 11) + "]}", "more than MAX_BATCH_EVENTS=10"),
        ('{"events": [{}], "extra": 1}', "unexpected keys ['extra']"),
        ('{"events": [{}], "replay": {"raw_key": "k"}}', "unexpected keys ['replay']"),
        ('{"records": ["a", 1]}', "every element of 'records' must be a string"),
        ('{"records": "a"}', "'records' must be a list, got string"),
        ('{"events": [NaN]}', "NaN is not JSON"),
    ],
)
def test_envelope_refused(text: str, message: str) -> None:
    with pytest.raises(BatchRejected, match=None) as info:
        received_lines(text, 10)
    assert message in str(info.value)


def _event(i: int, pad: int) -> dict[str, Any]:
    return {
        "user_id": f"user-{i}",
        "action": "PageView",
        "event_time": 1714557600000 + i,
        "page": "/p/" + "é" * pad,
    }


def _typical(count: int) -> list[Any]:
    """The benchmark's workload: ~216-byte events (ids, session, page, agent, ip, properties)."""
    return make_events(count, seed=7, nonce="est", now=datetime(2024, 5, 1, 11, tzinfo=UTC))


def _client_ids(count: int) -> list[Any]:
    """Longest client ids (copied into the SK), non-ASCII and nested properties, long actions."""
    return [
        {
            **_event(i, 3),
            "event_id": f"{i:04d}" + "k" * 124,
            "action": "ÀbcDéf" * 21,
            "properties": {"ü": [1.5, {"deep": ["x", None, True]}], "n": list(range(5))},
        }
        for i in range(count)
    ]


def _mostly_rejected(count: int) -> list[Any]:
    """Rejected events travel as summaries (index, event_id, reason, detail) instead of items."""
    bad = [
        {"user_id": "u", "action": "a", "event_time": "2024-05-01T10:00:00"},  # naive
        {"user_id": "", "action": "a", "event_time": 0},  # schema: detail with the path
        {"user_id": "u", "action": "???", "event_time": 0, "event_id": "e" * 128},
        {"user_id": "u", "action": "a", "event_time": 0, "x" * 50: 1, "y" * 50: 2},
        [1, 2],
        "text",
        # details holding client text outside ASCII: escaped, and bounded once escaped
        {"user_id": "u", "action": "日本語" * 40, "event_time": 0, "event_id": "f" * 128},
        {"user_id": "u", "action": "a", "event_time": 0, "😀" * 60: 1},
        {"user_id": "u", "action": "a", "event_time": 0, '"\\' * 60: 1},
        # the same client id and time with other content: conflicting_duplicate
        {"user_id": "u", "action": "a", "event_time": 0, "event_id": "same", "page": "/a"},
        {"user_id": "u", "action": "a", "event_time": 0, "event_id": "same", "page": "/b"},
    ]
    return [bad[i % len(bad)] for i in range(count)]


def _write_output(events: list[Any]) -> dict[str, Any]:
    """Write's output when every item Process returned met other content under its key: the
    largest Write result (each item becomes a conflict summary)."""
    processed = _real_output(events)
    conflicts = [
        write.conflict_rejection(table.Conflict(i, "h" * 32, RAW_KEY, "c" * 32))
        for i in processed["items"]
    ]
    return {
        **{k: processed[k] for k in write.PASSTHROUGH},
        "written": 0,
        "duplicates_removed": 0,
        "already_present": 0,
        "conflicting": len(conflicts),
        "conflicts": [r.summary() for r in conflicts],
        "conflicts_key": RAW_KEY.replace("ingest/", "rejected/"),
        "redelivery": True,
    }


def _real_output(events: list[Any], checked: bool = False) -> dict[str, Any]:
    """Process's output for `events` + Write's execution_id: the largest payload between Process
    and Write (`checked`: through Process's own size check)."""
    lineage = Lineage(
        RAW_KEY,
        "c" * 32,
        EXEC,
        datetime(2024, 5, 1, 11, 0, 0, 123_000, tzinfo=UTC),
        datetime(2024, 5, 1, 11, 0, 1, 456_000, tzinfo=UTC),
        72,
        datetime(2000, 1, 1, tzinfo=UTC),
    )
    curated: Curated = curate_events(events, lineage)
    rejected_key = "rejected/" + RAW_KEY.removeprefix("ingest/") if curated.rejected else None
    shape = shape_output if checked else output_payload
    return {**shape(lineage, curated, rejected_key), "execution_id": EXEC}


def _sizes(output: dict[str, Any]) -> list[int]:
    """The output measured every way it may be counted: escaped or UTF-8, with or without spaces."""
    return [
        len(json.dumps(output, ensure_ascii=ensure_ascii, separators=separators).encode("utf-8"))
        for ensure_ascii in (True, False)
        for separators in ((",", ":"), (", ", ": "))
    ]


@pytest.mark.parametrize(
    ("events"),
    [
        [_event(0, 0)],
        [_event(i, 10) for i in range(50)],
        [_event(i, 0) for i in range(200)],
        [_event(i, 400) for i in range(120)],
        _typical(1),
        _typical(500),
        _client_ids(100),
        _mostly_rejected(300),
    ],
    ids=["one", "50-accents", "200-small", "120-large", "typical-1", "typical-500", "ids", "rej"],
)
def test_estimate_bounds_the_real_output(events: list[Any]) -> None:
    estimate = estimate_payload_size(events, RAW_KEY, EXEC)
    assert estimate >= max(_sizes(_real_output(events)))
    assert estimate >= max(_sizes(_write_output(events)))


def check(events: list[Any]) -> int:
    return check_payload_size(estimate_payload_size(events, RAW_KEY, EXEC), len(events))


def test_500_typical_events_fit_the_output_limit() -> None:
    """maxBatchEvents 500 of the benchmark's events: Ingest accepts them, Process's real output
    (with the lineage once, not per item) stays under its limit (256 KB less the room for the
    Lambda response and Write's execution_id)."""
    events = _typical(500)
    assert 200 <= sum(len(json.dumps(e)) for e in events) / 500 <= 240  # ~216-byte events
    assert check(events) <= PROCESS_OUTPUT_LIMIT
    assert max(_sizes(_real_output(events, checked=True))) < PROCESS_OUTPUT_LIMIT


def test_process_refuses_its_own_output_over_the_limit() -> None:
    with pytest.raises(
        BatchRejected, match=r"Process output is \d+ bytes, over its limit of 256768"
    ):
        _real_output([_event(i, 400) for i in range(120)], checked=True)


def test_the_lineage_travels_once_per_batch() -> None:
    output = _real_output(_typical(10))
    assert set(output["lineage"]) == set(LINEAGE_ATTRIBUTES)
    assert all(set(item).isdisjoint(LINEAGE_ATTRIBUTES) for item in output["items"])


def test_oversized_batch_refused_with_estimate_and_limit() -> None:
    events = [_event(i, 600) for i in range(200)]
    with pytest.raises(BatchRejected) as info:
        check(events)
    message = str(info.value)
    assert f"output limit of {PROCESS_OUTPUT_LIMIT} bytes" in message
    assert f"estimated at {estimate_payload_size(events, RAW_KEY, EXEC)} bytes" in message
    assert "200 events" in message


def test_small_batch_accepted() -> None:
    events = [_event(i, 0) for i in range(100)]
    assert check(events) < PROCESS_OUTPUT_LIMIT


def test_ingest_estimate_bounds_the_output_of_lines_that_hold_no_event() -> None:
    """Lines refused before they are read as events count only their summary: its detail is
    bounded once escaped, whatever client text it quotes (a repeated key outside ASCII)."""
    from handlers import ingest, keys
    from handlers.canonical import to_ndjson
    from handlers.curate import curate_body

    records = [
        *['{"' + "😀" * 80 + '": 1, "' + "😀" * 80 + '": 2}'] * 50,
        *['{"' + '\\"' * 150 + '": 1, "' + '\\"' * 150 + '": 2}'] * 50,
        "x" * 10,
        '"' + "é" * 10 + '"',
        '{"events": [], "' + "é" * 100 + '": 1}',
    ]
    lines = received_lines(json.dumps({"records": records}), 500)
    _, shares = ingest.read_lines(lines)
    body = ("\n".join(lines) + "\n").encode()
    lineage = Lineage(
        RAW_KEY,
        keys.raw_batch_id(body),
        EXEC,
        datetime(2024, 5, 1, 11, tzinfo=UTC),
        datetime(2024, 5, 1, 11, 0, 1, tzinfo=UTC),
        72,
    )
    curated = curate_body(body, lineage)
    assert curated.counts()["rejected"] == len(records)
    output = {**output_payload(lineage, curated, "rejected/x.json"), "execution_id": EXEC}
    estimate = payload_base(RAW_KEY, EXEC) + sum(shares)
    assert estimate >= max(_sizes(output))
    to_ndjson([r.record() for r in curated.rejected]).decode("utf-8")
