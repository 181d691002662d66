"""The three handlers chained as the state machine chains them (contract payloads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from benchmarks.workload import make_events
from handlers import ingest, process, write
from handlers.limits import PROCESS_OUTPUT_LIMIT

pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics:UserWarning"),
    pytest.mark.usefixtures("suppression"),  # Ingest reads the suppression list
]
TABLE = "activity-pipeline-test-events"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-test-workflow:b-9"


def run(execution_input: Any, context: Any) -> dict[str, Any]:
    text = json.dumps(execution_input)
    ingested = ingest.handler({"input": text, "execution_id": EXECUTION_ID}, context)
    processed = process.handler(
        {"raw_key": ingested["raw_key"], "execution_id": EXECUTION_ID}, context
    )
    result = write.handler({**processed, "execution_id": EXECUTION_ID}, context)
    json.dumps(result, allow_nan=False)  # every step output is strict JSON
    return result


def test_every_event_ends_in_exactly_one_place(s3: Any, dynamodb: Any, lambda_context: Any) -> None:
    click = {"user_id": "u1", "action": "Add-To-Cart", "event_time": 1714557600123, "ip": "::1"}
    events = [
        click,
        dict(reversed(click.items())),  # the same event again: one row
        {**click, "properties": {"sku": "B"}},  # same user, same millisecond: its own row
        {"user_id": "u2", "action": "PageView", "event_time": "2024-05-01T10:00:00"},  # naive
        {"user_id": "u3", "action": "x", "event_time": 1714557600000, "properties": {"n": 1.5}},
    ]
    result = run({"events": events}, lambda_context)

    assert result["counts"] == {"received": 5, "valid": 4, "rejected": 1}
    assert (result["written"], result["duplicates_removed"]) == (3, 1)
    assert [r["reason"] for r in result["rejected"]] == ["bad_event_time"]
    rows = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(rows) == 3
    assert {r["action"]["S"] for r in rows} == {"add_to_cart", "x"}
    assert all(r["ip"]["S"] == "::" for r in rows if "ip" in r)
    rejected = s3.get_object(Bucket="raw-bucket-test", Key=result["rejected_key"])
    assert json.loads(rejected["Body"].read())["event"] == events[3]

    again = run({"events": events}, lambda_context)  # a repeated batch changes nothing
    assert again["raw_key"] == result["raw_key"]
    assert (again["written"], again["already_present"], again["conflicting"]) == (0, 3, 0)
    assert dynamodb.scan(TableName=TABLE)["Items"] == rows


def test_a_batch_of_500_typical_events_fits(s3: Any, dynamodb: Any, lambda_context: Any) -> None:
    """MAX_BATCH_EVENTS=500 of the benchmark's ~216-byte events: Ingest accepts the batch,
    Process's real output stays under its limit (the payload limit less the room for the Lambda
    response and Write's execution_id; the lineage travels once, not in every item) and every
    event is stored with the batch's lineage."""
    events = make_events(500, seed=3, nonce="fit", now=datetime.now(UTC))
    assert 200 <= len(json.dumps(events)) / 500 <= 240
    ingested = ingest.handler(
        {"input": json.dumps({"events": events}), "execution_id": EXECUTION_ID}, lambda_context
    )
    processed = process.handler(
        {"raw_key": ingested["raw_key"], "execution_id": EXECUTION_ID}, lambda_context
    )
    for ensure_ascii in (True, False):
        size = len(json.dumps(processed, ensure_ascii=ensure_ascii).encode("utf-8"))
        assert size < PROCESS_OUTPUT_LIMIT
    assert processed["counts"] == {"received": 500, "valid": 500, "rejected": 0}
    result = write.handler({**processed, "execution_id": EXECUTION_ID}, lambda_context)
    assert result["written"] == 500
    rows = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(rows) == 500
    lineage = processed["lineage"]
    assert lineage["raw_key"] == ingested["raw_key"]
    assert lineage["received_at"] == ingested["received_at"]
    assert all({k: r[k]["S"] for k in lineage} == lineage for r in rows)
