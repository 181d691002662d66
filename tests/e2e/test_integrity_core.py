"""Through the deployed state machine: first write wins across and inside batches, records and
texts that hold no event, the time rules of the raw partition, and nesting Ingest refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers import limits
from handlers.times import format_time
from harness.deploy import Deployment
from harness.tools import pipeline
from tests.e2e.integrity import raw_keys, snapshot

NOW = datetime.now(UTC)


def order(event_id: str, page: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "user_id": "u-core",
        "action": "purchase",
        "event_time": format_time(NOW - timedelta(hours=1)),
        "page": page,
        "properties": {"amount": 100},
        **extra,
    }


def body(deployment: Deployment, key: str) -> str:
    s3 = deployment.client("s3")
    obj = s3.get_object(Bucket=deployment.outputs["raw_bucket_name"], Key=key)
    return str(obj["Body"].read().decode("utf-8"))


def test_first_write_wins_inside_and_across_batches(dev: Deployment) -> None:
    original = order("core-1", "/original")
    first = pipeline.run(
        dev,
        {
            "events": [
                original,
                dict(reversed(original.items())),  # identical content: stored once
                order("core-2", "/a"),
                order("core-2", "/b"),  # same key, other content, same batch
            ]
        },
    )
    assert first.status == "SUCCEEDED", first.cause
    assert (first.written, (first.output or {})["duplicates_removed"]) == (2, 1)
    assert [(r["index"], r["reason"]) for r in first.rejected] == [(3, "conflicting_duplicate")]
    stored = snapshot(dev)

    forged = order("core-1", "/forged", properties={"amount": 999_999})
    second = pipeline.run(dev, {"events": [forged, order("core-3", "/c")]})
    assert second.status == "SUCCEEDED", second.cause
    output: dict[str, Any] = second.output or {}
    assert (output["written"], output["conflicting"], output["already_present"]) == (1, 1, 0)
    assert [(c["index"], c["event_id"], c["reason"]) for c in output["conflicts"]] == [
        (0, "core-1", "conflicting_duplicate")
    ]
    (record,) = [json.loads(line) for line in body(dev, output["conflicts_key"]).splitlines()]
    assert record["event"]["page"] == "/forged"
    assert output["conflicts_key"].endswith(".conflicts.json")

    third = pipeline.run(dev, {"events": [order("core-0", "/z"), original]})  # re-sent later
    assert third.status == "SUCCEEDED", third.cause
    assert ((third.output or {})["written"], (third.output or {})["already_present"]) == (1, 1)
    after = snapshot(dev)
    assert {key: after[key] for key in stored} == stored  # every attribute of the first write
    assert after[("u-core", stored_key(stored, "core-1"))]["page"] == {"S": "/original"}


def stored_key(items: dict[tuple[str, str], Any], event_id: str) -> str:
    (sk,) = [sk for (_, sk), item in items.items() if item["event_id"]["S"] == event_id]
    return sk


def test_records_and_time_rules_end_with_their_reasons(dev: Deployment) -> None:
    when = format_time(NOW)
    valid = '{"user_id": "u-rec",\r\n "action": "View",  "event_time": "' + when + '"}'
    records = {
        "this is not JSON": "not_json",
        '{"events": [{"user_id": "u-rec"}], "extra": 1}': "invalid_envelope",
        '{"a": 1, "a": 2}': "duplicate_key",
        valid: "stored",
        json.dumps({"user_id": "u-rec", "action": "a", "event_time": "1999-12-31T23:00:00Z"}): (
            "event_too_old"
        ),
        json.dumps({"user_id": "u-rec", "action": "a", "event_time": "0001-01-01T01:00:00Z"}): (
            "event_too_old"
        ),
        json.dumps({"user_id": "u-rec", "action": "a", "event_time": "9999-12-31T23:00:00Z"}): (
            "future_event_time"
        ),
        json.dumps(
            {"user_id": "u-rec", "action": "a", "event_time": "2025-11-20T00:00:00.\u0663Z"}
        ): "bad_event_time",
        '{"user_id": "u-rec", "properties": ' + "[" * 80 + "]" * 80 + "}": "schema_violation",
    }
    report = pipeline.run(dev, {"records": list(records)})

    assert report.status == "SUCCEEDED", report.cause
    reasons = {r["index"]: r["reason"] for r in report.rejected}
    assert [reasons.get(i, "stored") for i in range(len(records))] == list(records.values())
    assert report.raw_key is not None
    # The earliest times (years 0001 and 1999) are outside [oldestEventTime, 2099]: the batch is
    # in the hour of the valid event, inside the analytics projection.
    assert report.raw_key.startswith(f"ingest/yyyy={NOW:%Y}/mm={NOW:%m}/dd={NOW:%d}/hh={NOW:%H}/")
    lines = body(dev, report.raw_key).splitlines()
    assert lines[3] == valid.replace("\r\n", "  ")  # the record's text, exactly
    assert json.loads(lines[0]) == "this is not JSON"


def test_an_input_nested_too_deep_goes_to_the_dlq_and_nothing_is_stored(dev: Deployment) -> None:
    before = raw_keys(dev)
    deep: Any = {"user_id": "u-deep", "action": "a", "event_time": 0}
    for _ in range(70):
        deep = {"properties": deep}
    report = pipeline.run(dev, deep)

    assert report.status == "FAILED"
    [dead] = report.dlq_messages
    assert (dead["failed_state"], dead["error"]["Error"]) == ("Ingest", "BatchRejected")
    assert "nests deeper than 64 levels" in json.loads(dead["error"]["Cause"])["errorMessage"]
    assert raw_keys(dev) == before


def test_an_ingest_payload_over_the_limit_still_sends_the_dead_letter(dev: Deployment) -> None:
    # Quotes: 2 bytes each in the input, 4 once Ingest's payload escapes the input's text again.
    events = [order(f"core-q{i}", "/q", properties={"pad": '"' * 13_000}) for i in range(6)]
    text = json.dumps({"events": events})
    assert limits.input_size(text) <= limits.MAX_INPUT_SIZE < limits.PAYLOAD_LIMIT
    assert limits.ingest_payload_size(text) > limits.PAYLOAD_LIMIT
    before = raw_keys(dev)
    report = pipeline.run(dev, {"events": events})

    assert report.status == "FAILED"
    [dead] = report.dlq_messages
    assert (dead["failed_state"], dead["error"]["Error"]) == ("Ingest", "States.DataLimitExceeded")
    assert dead["input"] == json.loads(text)
    assert raw_keys(dev) == before
