"""SendMessage counts bytes of the body and the attributes against MaximumMessageSize."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from moto.core.utils import unix_time
from moto.sqs.models import SQSBackend

from harness.deploy.storage import sqs_queue
from harness.emulator import Emulator
from harness.emulator.patches.sqs import message_size
from tests.harness.emulated import execute, state_machine


def refused(action: object) -> str:
    with pytest.raises(ClientError) as error:
        action()  # type: ignore[operator]
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    return str(error.value.response["Error"]["Message"])


def test_the_limit_is_in_bytes_body_and_attributes(emulator: Emulator) -> None:
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    assert refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)) == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    )
    refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="é" * 600))  # moto: accepted
    attribute = {"a": {"DataType": "String", "StringValue": "v" * 10}}  # 1 + 6 + 10 bytes
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1007, MessageAttributes=attribute)
    refused(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 1008, MessageAttributes=attribute)
    )


def test_message_size() -> None:
    assert message_size("😀", None) == 4
    assert message_size("", {"n": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}) == 9


def test_a_deployed_queue_gets_the_providers_default_limit(emulator: Emulator) -> None:
    url, _ = sqs_queue(emulator, "dlq", {"name": "activity-dlq"})
    sqs = emulator.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])
    assert attributes["Attributes"]["MaximumMessageSize"] == "262144"
    sqs.send_message(QueueUrl=url, MessageBody="x" * 262_144)
    refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x" * 262_145))


def test_the_state_machine_integration_is_refused_too(emulator: Emulator) -> None:
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="tiny", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    machine = state_machine(
        emulator,
        "send",
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$.body"},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$", "Next": "Lost"}],
                    "End": True,
                },
                "Lost": {"Type": "Pass", "End": True},
            },
        },
    )
    described = execute(emulator, machine, json.dumps({"body": "é" * 600}), "too-long")
    assert described["status"] == "SUCCEEDED"
    assert "Message must be shorter than 1024 bytes" in json.loads(described["output"])["Cause"]
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_a_receive_checks_retention_without_building_the_queues_attributes(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto builds every attribute (a pass over every message) per message received; the patch
    reads the period: a receive of 10 reads no attribute, and retention still holds."""
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="kept", Attributes={"MessageRetentionPeriod": "60"})[
        "QueueUrl"
    ]
    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    built = []
    original = SQSBackend.get_queue_attributes

    def counted(self: SQSBackend, *args: object, **kwargs: object) -> object:
        built.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQSBackend, "get_queue_attributes", counted)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert (len(received), built) == (10, [])
    later = unix_time() + 61  # past the retention period: nothing is received
    monkeypatch.setattr("harness.emulator.patches.sqs.unix_time", lambda: later)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
