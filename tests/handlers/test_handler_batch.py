"""Batch under moto: an SQS event becomes executions of the main state machine, one per input;
Standard executions are named so a redelivered batch starts nothing twice; only the messages of
inputs that could not start (or that cannot travel) are reported failed."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers import batch, packing, sfn
from handlers.errors import ConfigurationError
from handlers.limits import MAX_EVENT_BYTES

REGION = "us-east-1"
BUFFER_ARN = "arn:aws:sqs:us-east-1:123456789012:activity-pipeline-test-buffer"
ROLE = "arn:aws:iam::123456789012:role/activity-pipeline-test-workflow"
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


@pytest.fixture
def stepfunctions(moto: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    client = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    arn = client.create_state_machine(
        name="activity-pipeline-test-workflow", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("WORKFLOW_TYPE", "STANDARD")
    monkeypatch.setenv("MAX_BATCH_EVENTS", "3")
    return client


def sqs_event(bodies: list[str], first: int = 0) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"handle-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1714550000000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": BUFFER_ARN,
                "awsRegion": REGION,
            }
            for i, body in enumerate(bodies, start=first)
        ]
    }


def event_text(index: int) -> str:
    return json.dumps(
        {"user_id": "u1", "action": "click", "event_time": "2025-05-01T10:00:00Z", "n": index}
    )


def executions(client: Any) -> list[dict[str, Any]]:
    arn = client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    listed = client.list_executions(stateMachineArn=arn)["executions"]
    return [client.describe_execution(executionArn=e["executionArn"]) for e in listed]


def test_one_named_execution_per_input_and_no_failures(
    stepfunctions: Any, lambda_context: Any, emf: Any
) -> None:
    bodies = [event_text(i) for i in range(7)]
    assert batch.handler(sqs_event(bodies), lambda_context) == {"batchItemFailures": []}
    plan = packing.pack([packing.Message(f"m{i}", b) for i, b in enumerate(bodies)], 3)
    started = {e["name"]: json.loads(e["input"]) for e in executions(stepfunctions)}
    assert started == {c.name: {"records": [r.text for r in c.records]} for c in plan.chunks}
    assert sorted(len(v["records"]) for v in started.values()) == [1, 3, 3]
    metrics = emf()
    assert metrics["BatchEvents"] == [3, 3, 1]  # the batch sizes formed
    assert (metrics["BatchesStarted"], metrics["BufferMessagesFailed"]) == ([3.0], [0.0])


def test_a_redelivered_batch_starts_nothing_twice(stepfunctions: Any, lambda_context: Any) -> None:
    event = sqs_event([event_text(i) for i in range(4)])
    batch.handler(event, lambda_context)
    assert batch.handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(executions(stepfunctions)) == 2


def test_express_executions_are_not_named(
    stepfunctions: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKFLOW_TYPE", "EXPRESS")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        sfn, "client", lambda service: FakeStepFunctions(calls, errors=[]), raising=True
    )
    batch.handler(sqs_event([event_text(1)]), lambda_context)
    assert [set(call) for call in calls] == [{"stateMachineArn", "input"}]


class FakeStepFunctions:
    """StartExecution that raises the given error codes first, then succeeds."""

    def __init__(self, calls: list[dict[str, Any]], errors: list[str]) -> None:
        self.calls = calls
        self.errors = errors

    def start_execution(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        if self.errors:
            code = self.errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": code}}, "StartExecution")
        return {"executionArn": "arn", "startDate": "now"}


def test_throttling_is_retried_and_a_taken_name_is_success(
    stepfunctions: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    fake = FakeStepFunctions(
        calls, errors=["ThrottlingException", "ExecutionLimitExceeded", "ExecutionAlreadyExists"]
    )
    monkeypatch.setattr(sfn, "client", lambda service: fake)
    monkeypatch.setattr(sfn.time, "sleep", lambda seconds: None)
    assert batch.handler(sqs_event([event_text(1)]), lambda_context) == {"batchItemFailures": []}
    assert len(calls) == 3


def test_inputs_that_cannot_start_report_exactly_their_messages(
    stepfunctions: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    # the first input starts, the second is refused, the third starts
    fake = FakeStepFunctions(calls, errors=[])
    original = fake.start_execution

    def start(**request: Any) -> dict[str, Any]:
        if len(calls) == 1:
            calls.append(request)
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "StartExecution")
        return original(**request)

    fake.start_execution = start  # type: ignore[method-assign]
    monkeypatch.setattr(sfn, "client", lambda service: fake)
    response = batch.handler(sqs_event([event_text(i) for i in range(8)]), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": f"m{i}"} for i in (3, 4, 5)]}


def test_transient_errors_that_persist_fail_the_input(
    stepfunctions: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeStepFunctions([], errors=["ServiceUnavailable"] * sfn.MAX_ATTEMPTS)
    monkeypatch.setattr(sfn, "client", lambda service: fake)
    monkeypatch.setattr(sfn.time, "sleep", lambda seconds: None)
    response = batch.handler(sqs_event([event_text(1)]), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert len(fake.calls) == sfn.MAX_ATTEMPTS


def test_a_message_that_cannot_travel_is_reported_and_its_neighbours_start(
    stepfunctions: Any, lambda_context: Any
) -> None:
    big = json.dumps({"user_id": "u1", "blob": "x" * (MAX_EVENT_BYTES + 1)})
    bodies = [event_text(0), big, "not json", event_text(3)]
    response = batch.handler(sqs_event(bodies), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    (started,) = executions(stepfunctions)
    assert json.loads(started["input"]) == {"records": [event_text(0), "not json", event_text(3)]}


def test_with_little_time_left_nothing_more_is_started(
    stepfunctions: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_context, "get_remaining_time_in_millis", lambda: 4_999)
    response = batch.handler(sqs_event([event_text(i) for i in range(4)]), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": f"m{i}"} for i in range(4)]}
    assert executions(stepfunctions) == []


def test_the_state_machine_must_exist(
    stepfunctions: Any, lambda_context: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv(
        "STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:missing"
    )
    response = batch.handler(sqs_event([event_text(1)]), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


@pytest.mark.parametrize(
    ("name", "value"),
    [("WORKFLOW_TYPE", "SYNC"), ("STATE_MACHINE_ARN", ""), ("MAX_BATCH_EVENTS", "0")],
)
def test_configuration_is_checked(
    stepfunctions: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        batch.handler(sqs_event([event_text(1)]), lambda_context)
