"""Helpers of the harness unit tests: users, state machines and functions in a bare emulator."""

from __future__ import annotations

import json
from typing import Any

from harness.deploy.compute import placeholder_zip
from harness.emulator import Emulator
from harness.emulator.credentials import Credentials
from ops.executions import Run, Runner

ANYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def make_user(emulator: Emulator, name: str, policy: dict[str, Any]) -> tuple[str, Credentials]:
    """An IAM user with one inline policy; returns its ARN and access key."""
    iam = emulator.client("iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def service_role(emulator: Emulator, name: str, service: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = emulator.client("iam")
    arn = str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(ANYTHING))
    return arn


def state_machine(emulator: Emulator, name: str, definition: dict[str, Any]) -> str:
    role = service_role(emulator, f"{name}-role", "states.amazonaws.com")
    return str(
        emulator.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
    )


def function(emulator: Emulator, name: str, handler: str) -> str:
    """A function run in-process from ``tests/harness/lambda_handlers.py``."""
    role = service_role(emulator, f"{name}-role", "lambda.amazonaws.com")
    return str(
        emulator.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler=f"tests.harness.lambda_handlers.{handler}",
            Code={"ZipFile": placeholder_zip()},
        )["FunctionArn"]
    )


def queue(emulator: Emulator, name: str) -> tuple[str, str]:
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def execute(emulator: Emulator, machine_arn: str, text: str, name: str) -> dict[str, Any]:
    """Start ``text`` (the input exactly as sent) and return DescribeExecution at its end."""
    runner = Runner(emulator.client("stepfunctions"), machine_arn, timeout=60, raise_errors=True)
    return runner.run(Run(name, text)).description


def messages(emulator: Emulator, url: str) -> list[str]:
    received = emulator.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [message["Body"] for message in received.get("Messages", [])]
