"""Transient failures are retried to success; permanent ones land input and error in the DLQ."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.s3.exceptions import S3ClientError
from moto.s3.models import S3Backend

from handlers import table
from harness.deploy import Deployment
from harness.tools import pipeline
from tests.e2e.conftest import load_event

# The handlers' boto3 clients retry 3 times themselves: fail more often than that so the error
# reaches the state machine, whose Retry must then turn it into a success.
FAILURES = 4


def failing(
    original: Callable[..., Any], error: Callable[[], Exception], failures: int = FAILURES
) -> Callable[..., Any]:
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise error()
        return original(*args, **kwargs)

    return wrapper


def slow_down() -> Exception:
    return S3ClientError("SlowDown", "Please reduce your request rate.")


def throttled() -> Exception:
    return JsonRESTError(
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    )


def invocations(deployment: Deployment, function: str) -> int:
    name = deployment.outputs["function_names"][function]
    return sum(1 for i in deployment.emulator.runtime.invocations if i.function_name == name)


def test_transient_s3_failure_is_retried(
    fresh_dev: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(S3Backend, "put_object", failing(S3Backend.put_object, slow_down))
    report = pipeline.run(fresh_dev, load_event("page_view.json"))

    assert report.status == "SUCCEEDED", (report.error, report.cause)
    assert invocations(fresh_dev, "ingest") >= 2
    assert report.written == 1
    assert report.dlq_messages == []


def test_transient_dynamodb_failure_is_retried(
    fresh_dev: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write retries a throttled PutItem itself (after the SDK's 3 attempts); when every attempt
    of the first invocation is throttled, TransientAwsError reaches the state machine, whose
    Retry runs Write again. Backoff waits are zeroed here, the attempt counts are not."""
    events = load_event("micro_batch.json")["events"]
    monkeypatch.setattr(table, "BASE_DELAY", 0.0)
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    original = DynamoHandler.put_item

    def put_item(handler: Any) -> Any:
        # Every PutItem of the first Write invocation is throttled (it ends before it is counted),
        # however many the SDK's retry quota lets it make; none of the second one is.
        if invocations(fresh_dev, "write") == 0:
            raise throttled()
        return original(handler)

    monkeypatch.setattr(DynamoHandler, "put_item", put_item)
    report = pipeline.run(fresh_dev, {"events": events})

    assert report.status == "SUCCEEDED", (report.error, report.cause)
    assert invocations(fresh_dev, "write") >= 2
    assert report.written == len(events) == 10


def test_missing_table_sends_input_and_error_to_dlq(fresh_dev: Deployment) -> None:
    fresh_dev.client("dynamodb").delete_table(TableName=fresh_dev.outputs["table_name"])
    payload = load_event("click.json")
    report = pipeline.run(fresh_dev, payload)

    assert report.status == "FAILED"
    assert report.error == "PipelineFailed"
    assert report.states == ["Ingest", "Process", "Write", "SendToDLQ", "Failed"]
    assert invocations(fresh_dev, "write") == 1  # permanent: not retried
    [message] = report.dlq_messages
    assert message["failed_state"] == "Write"
    assert message["error"]["Error"] == "PermanentAwsError"
    received = message["input"]
    assert (json.loads(received) if isinstance(received, str) else received) == payload
    assert message["execution_id"] == report.arn


def test_access_denied_sends_input_and_error_to_dlq(fresh_dev: Deployment) -> None:
    role = fresh_dev.find("aws:iam/rolePolicy:RolePolicy", "workflow-ingest-policy")
    fresh_dev.client("iam").delete_role_policy(
        RoleName=role.inputs["role"], PolicyName=role.state["name"]
    )
    report = pipeline.run(fresh_dev, load_event("login.json"))

    assert report.status == "FAILED"
    assert report.states == ["Ingest", "SendToDLQ", "Failed"]
    [message] = report.dlq_messages
    assert message["failed_state"] == "Ingest"
    assert message["error"]["Error"] == "PermanentAwsError"
    assert "AccessDenied" in message["error"]["Cause"]
