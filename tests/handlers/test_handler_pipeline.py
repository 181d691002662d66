"""The three handlers chained as the state machine chains them (contract payloads)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers import ingest, process, write

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
TABLE = "activity-pipeline-test-events"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-test-workflow:b-9"


def run(execution_input: Any, context: Any) -> dict[str, Any]:
    ingested = ingest.handler({"input": execution_input, "execution_id": EXECUTION_ID}, context)
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
    assert len(dynamodb.scan(TableName=TABLE)["Items"]) == 3
