"""Each sample event ends where the contract says: the table, the rejected set, or the DLQ."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.deploy import Deployment
from harness.tools import pipeline
from tests.e2e.conftest import EVENTS, count_items, items_for_user, load_event

# sample -> (events written, rejection reasons by index)
EXPECTED: dict[str, tuple[int, dict[int, str]]] = {
    "page_view.json": (1, {}),
    "click.json": (1, {}),
    "login.json": (1, {}),
    "micro_batch.json": (10, {}),
    "invalid_schema.json": (0, {0: "schema_violation"}),
    "bad_time.json": (0, {0: "bad_event_time"}),
    "future_time.json": (0, {0: "future_event_time"}),
    "batch_with_one_invalid.json": (3, {2: "schema_violation"}),
}


# sample -> the error the entry refuses the whole input with (it then lands in the DLQ, unwritten)
REFUSED: dict[str, str] = {
    "refused_envelope.json": "BatchRejected",  # `events` beside other top-level keys
}


def test_every_sample_file_has_an_expected_outcome() -> None:
    samples = {path.name for path in EVENTS.glob("*.json")}
    assert samples == set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("sample", sorted(REFUSED))
def test_refused_sample_lands_in_the_dlq_with_nothing_written(dev: Deployment, sample: str) -> None:
    payload = load_event(sample)
    before = count_items(dev)
    report = pipeline.run(dev, payload)

    assert report.status == "FAILED"
    assert report.states[-2:] == ["SendToDLQ", "Failed"]
    [message] = report.dlq_messages
    assert message["input"] == payload
    assert message["failed_state"] == "Ingest"
    assert message["error"]["Error"] == REFUSED[sample]
    assert count_items(dev) == before
    batch = report.name.removeprefix("b-")
    listed = dev.client("s3").list_objects_v2(Bucket=dev.outputs["raw_bucket_name"])
    assert not any(batch in obj["Key"] for obj in listed.get("Contents", []))


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_ends_where_it_should(dev: Deployment, sample: str) -> None:
    written, rejected = EXPECTED[sample]
    report = pipeline.run(dev, load_event(sample))

    assert report.status == "SUCCEEDED", (report.error, report.cause)
    assert report.states == ["Ingest", "Process", "Write"]
    assert report.written == written
    assert {r["index"]: r["reason"] for r in report.rejected} == rejected
    assert report.dlq_messages == []
    raw = dev.client("s3").get_object(Bucket=dev.outputs["raw_bucket_name"], Key=report.raw_key)
    assert len(raw["Body"].read().splitlines()) == written + len(rejected)


def test_batch_with_one_invalid_stores_the_rest_and_keeps_the_reason(dev: Deployment) -> None:
    payload = load_event("batch_with_one_invalid.json")
    report = pipeline.run(dev, payload, name="batch-one-invalid-detail")
    output: dict[str, Any] = report.output or {}

    stored = {
        item["event_id"]["S"] for user in ("u-4001", "u-4002") for item in items_for_user(dev, user)
    }
    assert stored == {"bw-01", "bw-02", "bw-04"}
    assert output["counts"] == {"received": 4, "valid": 3, "rejected": 1}
    [rejection] = report.rejected
    assert rejection["event_id"] == "bw-03"
    assert "action" in rejection["detail"]
    body = (
        dev.client("s3")
        .get_object(Bucket=dev.outputs["raw_bucket_name"], Key=output["rejected_key"])["Body"]
        .read()
    )
    [line] = [json.loads(x) for x in body.splitlines()]
    assert line["reason"] == "schema_violation"
    assert line["event"] == payload["events"][2]


def test_curated_item_is_normalized_enriched_and_anonymized(dev: Deployment) -> None:
    report = pipeline.run(dev, load_event("page_view.json"), name="page-view-item-check")
    assert report.status == "SUCCEEDED"
    [item] = items_for_user(dev, "u-1001")
    assert item["action"]["S"] == "page_view"
    assert item["event_time"]["S"] == "2025-11-20T13:03:12.345Z#pv-0001"
    assert item["ip"]["S"] == "203.0.113.0"


def test_same_input_twice_leaves_no_duplicate(dev: Deployment) -> None:
    event = {"user_id": "u-replay", "action": "click", "event_time": "2025-11-20T10:00:00Z"}
    first = pipeline.run(dev, event)
    with pytest.raises(dev.client("stepfunctions").exceptions.ExecutionAlreadyExists):
        pipeline.run(dev, event)  # b-<batch_id> again: refused by name
    second = pipeline.run(dev, event, name=f"{first.name}-replay")

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert second.output is not None
    assert second.output["raw_key"] == first.raw_key
    assert len(items_for_user(dev, "u-replay")) == 1


def test_duplicates_inside_one_batch_are_removed_before_batch_write(dev: Deployment) -> None:
    event = {"user_id": "u-dup", "action": "login", "event_time": "2025-11-20T10:00:00Z"}
    report = pipeline.run(dev, {"events": [event, event, dict(event)]})

    assert report.status == "SUCCEEDED", (report.error, report.cause)
    assert report.output is not None
    assert report.output["duplicates_removed"] == 2
    assert len(items_for_user(dev, "u-dup")) == 1


def test_definition_executed_is_the_one_the_component_emitted(dev: Deployment) -> None:
    record = dev.find("aws:sfn/stateMachine:StateMachine", "workflow-state-machine")
    described = dev.client("stepfunctions").describe_state_machine(
        stateMachineArn=dev.outputs["state_machine_arn"]
    )
    assert described["definition"] == record.inputs["definition"]
    assert described["roleArn"] == record.inputs["roleArn"]
    states = json.loads(described["definition"])["States"]
    assert {"Ingest", "Process", "Write", "SendToDLQ", "Failed"} <= set(states)


def test_functions_log_to_their_own_log_groups(dev: Deployment) -> None:
    pipeline.run(dev, load_event("click.json"), name="click-logs-check")
    logs = dev.client("logs")
    for function, group in dev.outputs["log_group_names"].items():
        if function in ("workflow", "recovery"):  # the state machines' groups
            continue
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        assert streams, f"no log stream in {group}"
    assert dev.emulator.runtime.log_delivery_errors == []
