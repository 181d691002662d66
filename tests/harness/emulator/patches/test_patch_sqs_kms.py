"""SQS with a customer managed key: the caller needs kms:GenerateDataKey and kms:Decrypt to send,
kms:Decrypt to receive (moto lets any caller allowed on the queue do both)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from tests.harness.emulated import make_user


def encrypted_queue(emulator: Emulator) -> tuple[str, str, str]:
    key = emulator.client("kms").create_key()["KeyMetadata"]["Arn"]
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="sealed", Attributes={"KmsMasterKeyId": key})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn, key


def policy(queue_arn: str, key_arn: str, key_actions: list[str]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        }
    ]
    if key_actions:
        statements.append({"Effect": "Allow", "Action": key_actions, "Resource": key_arn})
    return {"Version": "2012-10-17", "Statement": statements}


@pytest.mark.parametrize(
    ("key_actions", "send_refused", "receive_refused"),
    [
        (["kms:GenerateDataKey", "kms:Decrypt"], None, None),
        (["kms:Decrypt"], "kms:GenerateDataKey", None),  # a consumer's grant
        (["kms:GenerateDataKey"], "kms:Decrypt", "kms:Decrypt"),
        ([], "kms:GenerateDataKey", "kms:Decrypt"),
    ],
)
def test_the_key_decides_beside_the_queue(
    emulator: Emulator,
    key_actions: list[str],
    send_refused: str | None,
    receive_refused: str | None,
) -> None:
    url, arn, key = encrypted_queue(emulator)
    _, credentials = make_user(emulator, "caller", policy(arn, key, key_actions))
    sqs = emulator.client("sqs", credentials)
    calls = {
        "send": (lambda: sqs.send_message(QueueUrl=url, MessageBody="x"), send_refused),
        "receive": (lambda: sqs.receive_message(QueueUrl=url), receive_refused),
    }
    for name, (call, refused) in calls.items():
        if refused is None:
            call()
            continue
        with pytest.raises(ClientError) as error:
            call()
        assert error.value.response["Error"]["Code"] == "KMS.AccessDeniedException", name
        assert f"{refused} on resource: {key}" in error.value.response["Error"]["Message"], name


def test_a_queue_without_a_key_needs_no_kms_permission(emulator: Emulator) -> None:
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    _, credentials = make_user(emulator, "caller", policy(arn, "unused", []))
    emulator.client("sqs", credentials).send_message(QueueUrl=url, MessageBody=json.dumps({}))
