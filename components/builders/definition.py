"""The pipeline's Amazon States Language definitions, built from plain ARNs/URLs (pure, no Pulumi).

Main state machine (`build_definition`): Ingest -> Process -> Write, whatever the input — no
client input can reach another path. Each Task invokes its function through the optimised Lambda
integration and passes on only the function's return value (`OutputPath: $.Payload`). Transient
errors are retried with capped, fully jittered exponential backoff; anything else (or retries
exhausted) is caught (the error becomes the state's output), the failing state's name is kept in
the `failed_state` variable, and the shared `SendToDLQ` state sends the contract's message to the
dead-letter queue before the execution ends in `Failed`.

Recovery state machine (`build_recovery_definition`, operators only): `Route` sends a replay
request `{"replay": {"raw_key": ...}}` through the `Replay` Pass state (shaped like Ingest's
output) to Process -> Write, and a re-submission `{"resubmit": <execution input>}` through the
very same Ingest -> Process -> Write tasks (Ingest reads the re-submitted input through
`InputPath`), with the same retries and no Catch: a failed re-run simply fails, and the operator
tool that started it keeps the original dead letter. Anything else ends in `Refused`.
"""

from __future__ import annotations

from typing import Any, Final

from components.builders.arns import require_arn

INGEST: Final = "Ingest"
PROCESS: Final = "Process"
WRITE: Final = "Write"
SEND_TO_DLQ: Final = "SendToDLQ"
FAILED: Final = "Failed"
TASK_STATES: Final = (INGEST, PROCESS, WRITE)
# Recovery state machine only.
ROUTE: Final = "Route"
REPLAY: Final = "Replay"
REFUSED: Final = "Refused"

FAILURE_ERROR: Final = "PipelineFailed"
REFUSED_ERROR: Final = "UnknownRecoveryRequest"
TRANSIENT_ERRORS: Final = ("TransientAwsError",)
DATA_LIMIT_EXCEEDED: Final = "States.DataLimitExceeded"
# AWS's recommended retrier for the Lambda service integration.
LAMBDA_TRANSIENT_ERRORS: Final = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
)
LAMBDA_INVOKE: Final = "arn:aws:states:::lambda:invoke"
SQS_SEND_MESSAGE: Final = "arn:aws:states:::sqs:sendMessage"

State = dict[str, Any]


def retriers() -> list[dict[str, Any]]:
    backoff = {"IntervalSeconds": 1, "BackoffRate": 2, "JitterStrategy": "FULL"}
    return [
        {"ErrorEquals": list(TRANSIENT_ERRORS), **backoff, "MaxAttempts": 4, "MaxDelaySeconds": 20},
        {
            "ErrorEquals": list(LAMBDA_TRANSIENT_ERRORS),
            **backoff,
            "MaxAttempts": 6,
            "MaxDelaySeconds": 30,
        },
    ]


def catchers(state_name: str) -> list[dict[str, Any]]:
    """Every error of the task into SendToDLQ.

    `States.ALL` "can't catch the States.DataLimitExceeded terminal error type" (Developer Guide,
    "Handling errors in Step Functions workflows"), so that error is named in a catcher of its own
    (States.ALL must be alone and last): a task whose Parameters (Ingest's: the input escaped
    again) or result exceed the payload limit still sends its dead letter whenever the execution
    input fits in one.
    """
    return [
        {
            "ErrorEquals": [error],
            # The error replaces the state's input: "$.error" could not be set on an input that
            # is not an object (an execution input `[...]` would fail with
            # ResultPathMatchFailure and never reach the DLQ). SendToDLQ takes the input from
            # $$.Execution.Input.
            "ResultPath": "$",
            # A catcher's Assign runs when it matches: the shared SendToDLQ state reads the
            # failing state's name.
            "Assign": {"failed_state": state_name},
            "Next": SEND_TO_DLQ,
        }
        for error in (DATA_LIMIT_EXCEEDED, "States.ALL")
    ]


def lambda_task(
    state_name: str, function_arn: str, payload: dict[str, str], next_state: str | None
) -> State:
    state: State = {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function_arn, "Payload": payload},
        # The state's output is the function's return value, not the whole Invoke response.
        "OutputPath": "$.Payload",
        "Retry": retriers(),
        "Catch": catchers(state_name),
    }
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


COMMENT: Final = (
    "activity-pipeline: Ingest -> Process -> Write; failures after retries go to the DLQ"
)
RECOVERY_COMMENT: Final = (
    "activity-pipeline recovery (operators only): replay a raw object through Process -> Write, "
    "or re-submit an execution input through Ingest -> Process -> Write; no DLQ"
)
PROCESS_INPUT_KEYS: Final = ("raw_key", "duplicate", "replay")
WRITE_INPUT_KEYS: Final = (
    "batch_id",
    "raw_key",
    "lineage",  # the batch-level item attributes, once (Write merges them into every item)
    "items",
    "rejected",
    "rejected_key",
    "counts",
    "redelivery",
)
REPLAY_KEY_PATH: Final = "$.replay.raw_key"
RESUBMIT_PATH: Final = "$.resubmit"


def pipeline_states(*, ingest_arn: str, process_arn: str, write_arn: str) -> dict[str, State]:
    """Ingest -> Process -> Write, each Task with its retries and its Catch into SendToDLQ."""
    for what, arn in (
        ("ingest_arn", ingest_arn),
        ("process_arn", process_arn),
        ("write_arn", write_arn),
    ):
        require_arn(arn, what, service="lambda", resource="function:")
    execution_id = {"execution_id.$": "$$.Execution.Id"}
    process_payload = {f"{key}.$": f"$.{key}" for key in PROCESS_INPUT_KEYS} | execution_id
    write_payload = {f"{key}.$": f"$.{key}" for key in WRITE_INPUT_KEYS} | execution_id
    return {
        INGEST: lambda_task(
            INGEST,
            ingest_arn,
            # The input as JSON text: Ingest stores what was received, never a re-serialization.
            {"input.$": "States.JsonToString($)", **execution_id},
            PROCESS,
        ),
        PROCESS: lambda_task(PROCESS, process_arn, process_payload, WRITE),
        WRITE: lambda_task(WRITE, write_arn, write_payload, None),
    }


def build_definition(
    *, ingest_arn: str, process_arn: str, write_arn: str, dlq_url: str
) -> dict[str, Any]:
    states = pipeline_states(ingest_arn=ingest_arn, process_arn=process_arn, write_arn=write_arn)
    if not dlq_url.startswith("https://"):
        raise ValueError(f"dlq_url must be an SQS queue URL, got {dlq_url!r}")
    return {
        "Comment": COMMENT,
        "StartAt": INGEST,
        "States": {
            **states,
            SEND_TO_DLQ: {
                "Type": "Task",
                "Resource": SQS_SEND_MESSAGE,
                "Parameters": {
                    "QueueUrl": dlq_url,
                    "MessageBody": {
                        "execution_id.$": "$$.Execution.Id",
                        "state_machine.$": "$$.StateMachine.Id",
                        "input.$": "$$.Execution.Input",
                        "error.$": "$",
                        "failed_state.$": "$failed_state",
                    },
                },
                # Losing a dead letter would drop events silently: retry the send generously.
                # No Catch: if the DLQ itself is unreachable the execution fails with the SQS
                # error (the failed-without-dead-letter alarm fires; `ops sweep` re-submits it).
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 1,
                        "BackoffRate": 2,
                        "MaxAttempts": 5,
                        "MaxDelaySeconds": 20,
                        "JitterStrategy": "FULL",
                    }
                ],
                "Next": FAILED,
            },
            FAILED: {
                "Type": "Fail",
                "Error": FAILURE_ERROR,
                "Cause": "An event batch failed after retries; the failure was sent to the DLQ.",
            },
        },
    }


def build_recovery_definition(
    *, ingest_arn: str, process_arn: str, write_arn: str
) -> dict[str, Any]:
    """The main definition's three tasks without their Catch, behind a replay/resubmit Route."""
    tasks = {
        name: {key: value for key, value in state.items() if key != "Catch"}
        for name, state in pipeline_states(
            ingest_arn=ingest_arn, process_arn=process_arn, write_arn=write_arn
        ).items()
    }
    # Ingest sees exactly what it sees in the main state machine: the re-submitted input.
    tasks[INGEST] = {"InputPath": RESUBMIT_PATH, **tasks[INGEST]}
    return {
        "Comment": RECOVERY_COMMENT,
        "StartAt": ROUTE,
        "States": {
            ROUTE: {
                "Type": "Choice",
                "Choices": [
                    {"Variable": REPLAY_KEY_PATH, "IsPresent": True, "Next": REPLAY},
                    {"Variable": RESUBMIT_PATH, "IsPresent": True, "Next": INGEST},
                ],
                "Default": REFUSED,
            },
            # The raw object exists: give Process the shape of Ingest's output, as a replay.
            REPLAY: {
                "Type": "Pass",
                "Parameters": {"raw_key.$": REPLAY_KEY_PATH, "duplicate": False, "replay": True},
                "Next": PROCESS,
            },
            **tasks,
            REFUSED: {
                "Type": "Fail",
                "Error": REFUSED_ERROR,
                "Cause": 'Expected {"replay": {"raw_key": ...}} or {"resubmit": <input>}.',
            },
        },
    }
