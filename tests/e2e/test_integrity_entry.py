"""Limits at the entry refuse the whole input before anything is written; the time rules hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.times import format_time
from harness.deploy import Deployment
from harness.tools import pipeline
from tests.e2e.conftest import items_for_user
from tests.e2e.integrity import deployed, raw_keys, snapshot


@pytest.fixture(scope="module")
def entry() -> Iterator[Deployment]:
    with deployed() as deployment:
        yield deployment


def event(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": "u-lim",
        "action": "click",
        "event_time": f"2025-05-05T05:05:{i % 60:02d}Z",
        **extra,
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"events": [event(i) for i in range(501)]}, "501 events, more than MAX_BATCH_EVENTS=500"),
        (
            {"events": [event(0), event(1, page="x" * 40_000), event(2)]},
            "event #1 is 40",  # bytes, over the 32768-byte event limit
        ),
        (  # ~190 KB of input (within the input margins), ~330 KB estimated once enriched
            {"events": [event(i, page="p" * 300) for i in range(500)]},
            "over Process's output limit of 256768 bytes",
        ),
        ({"events": []}, "'events' is empty"),
        ([event(0)], "input must be a JSON object"),
    ],
    ids=["too-many-events", "event-too-large", "payload-over-256KB", "empty", "not-an-object"],
)
def test_refused_before_anything_is_written(entry: Deployment, payload: Any, message: str) -> None:
    keys_before, items_before = raw_keys(entry), snapshot(entry)
    report = pipeline.run(entry, payload)

    assert report.status == "FAILED"
    assert report.states == ["Ingest", "SendToDLQ", "Failed"]
    [dead] = report.dlq_messages
    assert dead["error"]["Error"] == "BatchRejected"
    assert message in json.loads(dead["error"]["Cause"])["errorMessage"]
    assert (
        "nothing was stored" in dead["error"]["Cause"] or "events" in message or "object" in message
    )
    assert raw_keys(entry) == keys_before  # no raw object
    assert raw_keys(entry, "rejected/") == []
    assert snapshot(entry) == items_before  # no item


def test_input_that_is_not_json_is_refused_at_start_execution(entry: Deployment) -> None:
    sfn = entry.client("stepfunctions")
    arn = entry.outputs["state_machine_arn"]
    before = sfn.list_executions(stateMachineArn=arn)["executions"]
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=arn, name="not-json", input='{"user_id": "u", ')
    assert refused.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == before


def test_time_rules(entry: Deployment) -> None:
    now = datetime.now(UTC)
    cases = {
        "offset": "2025-05-05T10:30:00.123456+05:30",  # -> 05:00:00.123Z (truncated to ms)
        "epoch-s": 1746421200,  # seconds (< 1e11)
        "epoch-ms": 1746421200123,  # milliseconds (>= 1e11)
        "late": format_time(now - timedelta(hours=100)),
        "soon": format_time(now + timedelta(hours=23)),
        "future": format_time(now + timedelta(hours=25)),
        "naive": "2025-05-05T10:30:00",
    }
    events = [
        {"event_id": f"t-{name}", "user_id": "u-time", "action": "view", "event_time": value}
        for name, value in cases.items()
    ]
    report = pipeline.run(entry, {"events": events})

    assert report.status == "SUCCEEDED", report.error
    assert {r["event_id"]: r["reason"] for r in report.rejected} == {
        "t-future": "future_event_time",
        "t-naive": "bad_event_time",
    }
    items = {i["event_id"]["S"]: i for i in items_for_user(entry, "u-time")}
    occurred = {k.removeprefix("t-"): v["occurred_at"]["S"] for k, v in items.items()}
    assert occurred["offset"] == "2025-05-05T05:00:00.123Z"
    assert occurred["epoch-s"] == "2025-05-05T05:00:00.000Z"
    assert occurred["epoch-ms"] == "2025-05-05T05:00:00.123Z"
    assert {k: v["late"]["BOOL"] for k, v in items.items()} == {
        "t-offset": True,
        "t-epoch-s": True,
        "t-epoch-ms": True,
        "t-late": True,
        "t-soon": False,
    }
    received = {v["received_at"]["S"] for v in items.values()}
    assert len(received) == 1  # set once, at ingest, for the whole batch
    assert abs(datetime.fromisoformat(received.pop().replace("Z", "+00:00")) - now) < timedelta(
        minutes=1
    )
    assert items["t-offset"]["event_time"]["S"] == "2025-05-05T05:00:00.123Z#t-offset"
