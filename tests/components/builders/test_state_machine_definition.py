"""The ASL definition builders of the main and the recovery state machine (no Pulumi)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.builders.definition import (
    LAMBDA_TRANSIENT_ERRORS,
    TASK_STATES,
    build_definition,
    build_recovery_definition,
)

FN = "arn:aws:lambda:us-east-1:123456789012:function:activity-pipeline-dev-"
DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/activity-pipeline-dev-dlq"


@pytest.fixture
def definition() -> dict[str, Any]:
    return build_definition(
        ingest_arn=f"{FN}ingest",
        process_arn=f"{FN}process",
        write_arn=f"{FN}write",
        dlq_url=DLQ_URL,
    )


@pytest.fixture
def recovery() -> dict[str, Any]:
    return build_recovery_definition(
        ingest_arn=f"{FN}ingest", process_arn=f"{FN}process", write_arn=f"{FN}write"
    )


def test_states_and_flow(definition: dict[str, Any]) -> None:
    states = definition["States"]
    # Every input goes to Ingest: no client input can reach a replay path.
    assert definition["StartAt"] == "Ingest"
    assert set(states) == {"Ingest", "Process", "Write", "SendToDLQ", "Failed"}
    assert not any(state["Type"] in ("Choice", "Pass") for state in states.values())
    assert states["Ingest"]["Next"] == "Process"
    assert states["Process"]["Next"] == "Write"
    assert states["Write"]["End"] is True
    assert "Next" not in states["Write"]
    assert states["SendToDLQ"]["Next"] == "Failed"
    assert states["Failed"] == {
        "Type": "Fail",
        "Error": "PipelineFailed",
        "Cause": "An event batch failed after retries; the failure was sent to the DLQ.",
    }


@pytest.mark.parametrize("state", TASK_STATES)
def test_each_task_invokes_its_function_and_outputs_the_return_value(
    definition: dict[str, Any], state: str
) -> None:
    task = definition["States"][state]
    assert task["Type"] == "Task"
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"]["FunctionName"] == f"{FN}{state.lower()}"
    assert task["OutputPath"] == "$.Payload"
    assert "ResultPath" not in task  # the result replaces the input; OutputPath picks Payload


def test_payloads_follow_the_contract(definition: dict[str, Any]) -> None:
    states = definition["States"]
    execution_id = {"execution_id.$": "$$.Execution.Id"}
    assert states["Ingest"]["Parameters"]["Payload"] == {
        "input.$": "States.JsonToString($)",
        **execution_id,
    }
    assert states["Process"]["Parameters"]["Payload"] == {
        "raw_key.$": "$.raw_key",
        "duplicate.$": "$.duplicate",
        "replay.$": "$.replay",
        **execution_id,
    }
    assert states["Write"]["Parameters"]["Payload"] == {
        "batch_id.$": "$.batch_id",
        "raw_key.$": "$.raw_key",
        "lineage.$": "$.lineage",
        "items.$": "$.items",
        "rejected.$": "$.rejected",
        "rejected_key.$": "$.rejected_key",
        "counts.$": "$.counts",
        "redelivery.$": "$.redelivery",
        **execution_id,
    }


def test_recovery_routes_replays_to_process_and_resubmissions_to_ingest(
    recovery: dict[str, Any],
) -> None:
    states = recovery["States"]
    assert recovery["StartAt"] == "Route"
    assert set(states) == {"Route", "Replay", "Ingest", "Process", "Write", "Refused"}
    assert states["Route"] == {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.replay.raw_key", "IsPresent": True, "Next": "Replay"},
            {"Variable": "$.resubmit", "IsPresent": True, "Next": "Ingest"},
        ],
        "Default": "Refused",
    }
    # The Replay state gives Process the shape of Ingest's output, flagged as a replay.
    assert states["Replay"] == {
        "Type": "Pass",
        "Parameters": {"raw_key.$": "$.replay.raw_key", "duplicate": False, "replay": True},
        "Next": "Process",
    }
    assert states["Refused"]["Type"] == "Fail"
    assert states["Refused"]["Error"] == "UnknownRecoveryRequest"


def test_recovery_tasks_are_the_main_tasks_without_catch(
    definition: dict[str, Any], recovery: dict[str, Any]
) -> None:
    main, states = definition["States"], recovery["States"]
    # Ingest reads the re-submitted input: its payload is the main state machine's, applied to it.
    assert states["Ingest"] == {
        "InputPath": "$.resubmit",
        **{key: value for key, value in main["Ingest"].items() if key != "Catch"},
    }
    for name in ("Process", "Write"):
        assert states[name] == {k: v for k, v in main[name].items() if k != "Catch"}
    # No SendToDLQ: a failed re-run fails, the operator tool keeps the dead letter it came from.
    assert not any("Catch" in state for state in states.values())
    assert "sqs" not in json.dumps(recovery)
    assert all(states[name]["Retry"] for name in TASK_STATES)


@pytest.mark.parametrize("state", TASK_STATES)
def test_each_task_retries_transient_errors_with_jittered_backoff(
    definition: dict[str, Any], state: str
) -> None:
    retry = definition["States"][state]["Retry"]
    retried = [error for retrier in retry for error in retrier["ErrorEquals"]]
    assert sorted(retried) == sorted(["TransientAwsError", *LAMBDA_TRANSIENT_ERRORS])
    assert set(LAMBDA_TRANSIENT_ERRORS) == {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.ClientExecutionTimeoutException",
    }
    for retrier in retry:
        assert retrier["IntervalSeconds"] == 1
        assert retrier["BackoffRate"] == 2
        assert 3 <= retrier["MaxAttempts"] <= 6
        assert retrier["MaxDelaySeconds"] > 0
        assert retrier["JitterStrategy"] == "FULL"
    assert not any(
        error in ("States.ALL", "PermanentAwsError", "BatchRejected", "ConfigurationError")
        for error in retried
    )


@pytest.mark.parametrize("state", TASK_STATES)
def test_each_task_catches_everything_into_the_dlq(definition: dict[str, Any], state: str) -> None:
    # States.ALL cannot catch States.DataLimitExceeded: it is named first, on its own.
    assert definition["States"][state]["Catch"] == [
        {
            "ErrorEquals": [error],
            "ResultPath": "$",  # the input may be no object: "$.error" could not be set
            "Assign": {"failed_state": state},
            "Next": "SendToDLQ",
        }
        for error in ("States.DataLimitExceeded", "States.ALL")
    ]


def test_send_to_dlq_sends_the_contract_message(definition: dict[str, Any]) -> None:
    send = definition["States"]["SendToDLQ"]
    assert send["Type"] == "Task"
    assert send["Resource"] == "arn:aws:states:::sqs:sendMessage"
    assert send["Parameters"] == {
        "QueueUrl": DLQ_URL,
        "MessageBody": {
            "execution_id.$": "$$.Execution.Id",
            "state_machine.$": "$$.StateMachine.Id",
            "input.$": "$$.Execution.Input",
            "error.$": "$",
            "failed_state.$": "$failed_state",
        },
    }
    assert "Catch" not in send
    assert send["Retry"][0]["JitterStrategy"] == "FULL"


def test_definitions_are_json(definition: dict[str, Any], recovery: dict[str, Any]) -> None:
    assert json.loads(json.dumps(definition)) == definition
    assert json.loads(json.dumps(recovery)) == recovery


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("ingest_arn", "activity-pipeline-dev-ingest"),
        ("process_arn", "arn:aws:sqs:us-east-1:123456789012:q"),
        ("dlq_url", "activity-pipeline-dev-dlq"),
    ],
)
def test_refuses_non_arns(field: str, bad: str) -> None:
    kwargs = {
        "ingest_arn": f"{FN}ingest",
        "process_arn": f"{FN}process",
        "write_arn": f"{FN}write",
        "dlq_url": DLQ_URL,
    } | {field: bad}
    with pytest.raises(ValueError, match=field):
        build_definition(**kwargs)
    if field != "dlq_url":
        del kwargs["dlq_url"]
        with pytest.raises(ValueError, match=field):
            build_recovery_definition(**kwargs)
