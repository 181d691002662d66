"""PutEvents on the bus: EventBridge's limits; a target input the pipeline refuses, dead-lettered.

Refused entries and refused deliveries start nothing; a delivery refused at the target ends in the
rule's DLQ with the event as sent and EventBridge's attributes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.limits import execution_input_problem
from harness.deploy import Deployment
from harness.tools import pipeline
from ops.executions import wait
from tests.e2e.conftest import items_for_user


@pytest.fixture(scope="module")
def dev(dev_direct: Deployment) -> Deployment:
    """This module tests the direct entry points: the dev stack with entryMode direct."""
    return dev_direct


SOURCE, DETAIL_TYPE = "activity.web", "UserActivity"


def entry(dev: Deployment, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "EventBusName": dev.outputs["event_bus_name"],
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": detail,
        **extra,
    }


def event(user_id: str, event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "action": "click",
        "event_time": "2025-08-01T00:00:00Z",
        "event_id": event_id,
        **extra,
    }


def executions(dev: Deployment) -> int:
    sfn = dev.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=dev.outputs["state_machine_arn"]
    )
    return sum(len(page["executions"]) for page in pages)


def drain_entry_dlq(dev: Deployment) -> list[dict[str, Any]]:
    sqs, url = dev.client("sqs"), dev.outputs["entry_dlq_url"]
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for message in batch:
            messages.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def nested(depth: int) -> str:
    """A Detail (an object) nesting `depth` levels."""
    return '{"n": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


# -- the request: refused whole ------------------------------------------------------------------


def test_more_than_ten_entries_or_256_kb_in_all_refuse_the_request(dev: Deployment) -> None:
    events = dev.client("events")
    before = executions(dev), len(dev.emulator.event_targets.deliveries)
    half = json.dumps({"pad": "x" * 132_000})
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry(dev, half), entry(dev, half)])
    assert exc.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Total size of the entries in the request is over the limit.",
    }
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry(dev, "{}")] * 11)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert (executions(dev), len(dev.emulator.event_targets.deliveries)) == before


def test_entry_size_counts_utf8_bytes_time_and_resources(dev: Deployment) -> None:
    events = dev.client("events")
    # the Detail's UTF-8 bytes (4 per emoji) = 262,144 - Source - DetailType - Time (14) - resource
    resource = "arn:aws:s3:::bucket"
    room = 262_144 - len(SOURCE) - len(DETAIL_TYPE) - 14 - len(resource) - len('{"p": ""}')
    at_limit = json.dumps({"p": "\U0001f600" * (room // 4) + "x" * (room % 4)}, ensure_ascii=False)
    over = (
        at_limit.replace("x", "xx", 1) if room % 4 else at_limit.replace("\U0001f600", "x" * 5, 1)
    )
    fields = {"Time": 1_754_006_400, "Resources": [resource]}
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry(dev, over, **fields)])
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    accepted = events.put_events(Entries=[entry(dev, at_limit, **fields)])
    assert accepted["FailedEntryCount"] == 0
    # accepted by EventBridge, but 768 KB once Step Functions escapes the emoji: dead-lettered
    [dead] = drain_entry_dlq(dev)
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "InvalidExecutionInput"


# -- an entry: MalformedDetail -------------------------------------------------------------------

MALFORMED = {
    "not JSON": "{user_id: 1}",
    "NaN": '{"n": NaN}',
    "Infinity": '{"n": Infinity}',
    "-Infinity": '{"n": -Infinity}',
    "2**63": '{"n": 9223372036854775808}',
    "-2**63 - 1": '{"n": -9223372036854775809}',
    "4,301 digits": '{"n": ' + "7" * 4301 + "}",
    "1,101 levels": nested(1101),
    "100,000 [": "[" * 100_000,
    "an array": "[" + json.dumps(event("pe-arr", "pe-arr-1")) + "]",
    "a JSON string": json.dumps(json.dumps(event("pe-str", "pe-str-1"))),
    "a number": "42",
    "null": "null",
}


def test_malformed_details_fail_their_entry_only(dev: Deployment) -> None:
    events = dev.client("events")
    before = executions(dev)
    good = json.dumps(event("pe-mixed", "pe-mixed-1"))
    for name, detail in MALFORMED.items():
        response = events.put_events(Entries=[entry(dev, detail), entry(dev, good)])
        assert response["FailedEntryCount"] == 1, name
        assert response["Entries"][0] == {
            "ErrorCode": "MalformedDetail",
            "ErrorMessage": "Detail is malformed.",
        }, name
        assert "EventId" in response["Entries"][1], name
    assert drain_entry_dlq(dev) == []
    # only the good entries were delivered: one execution each (the same event, stored once)
    assert executions(dev) == before + len(MALFORMED)
    sfn = dev.client("stepfunctions")
    for delivery in dev.emulator.event_targets.deliveries[-len(MALFORMED) :]:
        assert delivery.execution_arn is not None
        wait(sfn, delivery.execution_arn, 60)
    assert [i["event_id"]["S"] for i in items_for_user(dev, "pe-mixed")] == ["pe-mixed-1"]


def test_details_eventbridge_accepts_at_its_bounds(dev: Deployment) -> None:
    events = dev.client("events")
    for detail in ('{"n": 9223372036854775807}', '{"n": -9223372036854775808}', nested(1100)):
        assert events.put_events(Entries=[entry(dev, detail)])["FailedEntryCount"] == 0
    # the first two run through the pipeline; 1,100 levels is too deep for the entry check, so the
    # third is refused at the target
    [dead] = drain_entry_dlq(dev)
    assert dead["Body"].endswith(f'"detail": {nested(1100)}}}')
    sfn = dev.client("stepfunctions")
    for delivery in dev.emulator.event_targets.deliveries[-3:-1]:
        assert delivery.execution_arn is not None
        wait(sfn, delivery.execution_arn, 60)
    pipeline.drain_dlq(dev)


# -- delivery ------------------------------------------------------------------------------------


def test_the_target_input_is_the_detail_as_sent(dev: Deployment) -> None:
    detail = (
        '{ "user_id": "pe-raw", "action": "click", "event_time": "2025-08-01T00:00:00Z",\n'
        '  "event_id": "pe-raw-1", "properties": {"zero": -0, "d": 0.12345678901234567890123} }'
    )
    dev.client("events").put_events(Entries=[entry(dev, detail)])
    delivery = dev.emulator.event_targets.deliveries[-1]
    assert delivery.execution_arn is not None
    described = wait(dev.client("stepfunctions"), delivery.execution_arn, 60)
    assert described["input"] == detail  # InputPath $.detail: the text, not a re-serialization
    assert [i["event_id"]["S"] for i in items_for_user(dev, "pe-raw")] == ["pe-raw-1"]


REFUSED_AT_THE_TARGET = {
    "duplicate key": '{"user_id": "pe-dup", "user_id": "pe-dup-2", "action": "click"}',
    "too deep for the pipeline": nested(100),
    "over the input limit once escaped": json.dumps(
        event("pe-big", "pe-big-1", page="\U0001f600" * 30_000), ensure_ascii=False
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_AT_THE_TARGET), ids=list(REFUSED_AT_THE_TARGET))
def test_a_target_input_the_pipeline_refuses_is_retried_then_dead_lettered(
    dev: Deployment, case: str
) -> None:
    detail = REFUSED_AT_THE_TARGET[case]
    problem = execution_input_problem(detail)
    assert problem is not None
    before = executions(dev)
    response = dev.client("events").put_events(Entries=[entry(dev, detail)])
    assert response["FailedEntryCount"] == 0  # EventBridge took it; its delivery failed
    delivery = dev.emulator.event_targets.deliveries[-1]
    assert (delivery.execution_arn, delivery.error_code, delivery.dead_lettered) == (
        None,
        "InvalidExecutionInput",
        True,
    )
    [dead] = drain_entry_dlq(dev)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "InvalidExecutionInput"
    assert attributes["ERROR_MESSAGE"] == problem.message
    assert attributes["RETRY_ATTEMPTS"] == "2"  # the harness's cap on the rule's 8
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttemptsExhausted"
    assert attributes["TARGET_ARN"] == dev.outputs["state_machine_arn"]
    body = dead["Body"]
    assert body.endswith(f'"detail": {detail}}}')  # the event, its detail as it was sent
    assert json.loads(body)["id"] == response["Entries"][0]["EventId"]
    assert executions(dev) == before
