"""ops sweep against fake Step Functions and SQS: every path, RedriveExecution included (the
emulator has no RedriveExecution, so the e2e test covers only the re-submission paths)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops.sweep import (
    History,
    dead_letter_body,
    input_problem,
    read_history,
    sweep,
    sweep_name,
)
from ops.target import Target

MAIN = "arn:aws:states:us-east-1:123456789012:stateMachine:app-workflow"
RECOVERY = "arn:aws:states:us-east-1:123456789012:stateMachine:app-recovery"
DLQ = "https://sqs.us-east-1.amazonaws.com/123456789012/app-dlq"
T0 = datetime(2025, 3, 10, 7, tzinfo=UTC)
SMALL = '{"events": [{"user_id": "u", "action": "a", "event_time": 1e400}]}'
HUGE = json.dumps({"events": [{"user_id": "u", "blob": "x" * 262_100}]})


def entered(name: str) -> dict[str, Any]:
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}


def exited(name: str) -> dict[str, Any]:
    return {"type": "TaskStateExited", "stateExitedEventDetails": {"name": name}}


def sending(caught: dict[str, Any]) -> dict[str, Any]:
    details = {"name": "SendToDLQ", "input": json.dumps(caught)}
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": details}


def failed(error: str, cause: str = "c") -> dict[str, Any]:
    return {
        "type": "ExecutionFailed",
        "executionFailedEventDetails": {"error": error, "cause": cause},
    }


NO_LETTER = [entered("Ingest"), exited("Ingest"), entered("Write"), failed("States.Runtime")]
LETTER_SENT = [
    entered("Write"),
    exited("Write"),
    entered("SendToDLQ"),
    exited("SendToDLQ"),
    {"type": "FailStateEntered", "stateEnteredEventDetails": {"name": "Failed"}},
    failed("PipelineFailed"),
]


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "op")


@dataclass
class Execution:
    name: str
    input: str
    history: list[dict[str, Any]]
    status: str = "FAILED"
    stop: datetime = T0 + timedelta(minutes=5)
    redrive_status: str | None = None  # what DescribeExecution reports (absent in the emulator)
    redrive_to: tuple[str, list[dict[str, Any]]] | None = None  # status, history after a redrive

    @property
    def arn(self) -> str:
        return f"{MAIN.replace(':stateMachine:', ':execution:')}:{self.name}"


@dataclass
class FakeSfn:
    executions: list[Execution]
    recovery_status: str = "SUCCEEDED"
    recovery_runs: dict[str, tuple[str, str]] = field(default_factory=dict)  # arn -> input, status
    redriven: list[str] = field(default_factory=list)

    def _main(self, arn: str) -> Execution | None:
        return next((e for e in self.executions if e.arn == arn), None)

    def list_executions(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["stateMachineArn"] == MAIN
        return {
            "executions": [
                {
                    "executionArn": e.arn,
                    "name": e.name,
                    "status": e.status,
                    "startDate": e.stop - timedelta(seconds=3),
                    "stopDate": e.stop,
                }
                for e in self.executions
                if e.status == kwargs["statusFilter"]
            ]
        }

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        execution = self._main(kwargs["executionArn"])
        assert execution is not None
        return {"events": execution.history}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        execution = self._main(executionArn)
        if execution is not None:
            description = {
                "executionArn": execution.arn,
                "stateMachineArn": MAIN,
                "name": execution.name,
                "status": execution.status,
                "input": execution.input,
                "redriveCount": len([a for a in self.redriven if a == execution.arn]),
            }
            if execution.redrive_status is not None:
                description["redriveStatus"] = execution.redrive_status
            return description
        if executionArn in self.recovery_runs:
            status = self.recovery_runs[executionArn][1]
            return {"executionArn": executionArn, "status": status, "error": "BatchRejected"}
        raise error("ExecutionDoesNotExist")

    def redrive_execution(self, executionArn: str) -> dict[str, Any]:
        execution = self._main(executionArn)
        assert execution is not None
        assert execution.redrive_to is not None
        self.redriven.append(executionArn)
        execution.status, execution.history = execution.redrive_to[0], execution.redrive_to[1]
        execution.redrive_status = "NOT_REDRIVABLE"
        return {}

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        assert stateMachineArn == RECOVERY
        arn = f"{RECOVERY.replace(':stateMachine:', ':execution:')}:{name}"
        if arn in self.recovery_runs:
            raise error("ExecutionAlreadyExists")
        self.recovery_runs[arn] = (input, self.recovery_status)
        return {"executionArn": arn}


@dataclass
class FakeSqs:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, Any]:
        assert QueueUrl == DLQ
        mid = f"m{len(self.messages)}"
        self.messages.append({"MessageId": mid, "ReceiptHandle": f"rh-{mid}", "Body": MessageBody})
        return {"MessageId": mid}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        return {"Messages": list(self.messages)}

    def change_message_visibility(self, **kwargs: Any) -> None:
        pass


class FakeTarget(Target):
    def client(self, service: str) -> Any:
        return self.__dict__["fakes"][service]


def target(sfn: FakeSfn, sqs: FakeSqs, workflow_type: str = "STANDARD") -> Target:
    outputs = {
        "state_machine_arn": MAIN,
        "recovery_state_machine_arn": RECOVERY,
        "table_name": "t",
        "raw_bucket_name": "b",
        "dlq_url": DLQ,
        "workflow_type": workflow_type,
        "log_group_names": {"workflow": "/aws/vendedlogs/states/app-workflow"},
    }
    fake = FakeTarget(outputs, "us-east-1")
    object.__setattr__(fake, "fakes", {"stepfunctions": sfn, "sqs": sqs})
    return fake


def run(sfn: FakeSfn, sqs: FakeSqs) -> dict[str, Any]:
    return sweep(target(sfn, sqs), T0, T0 + timedelta(hours=1), concurrency=1).as_dict()


def actions(summary: dict[str, Any]) -> dict[str, str]:
    return {r["execution"]: r["action"] for r in summary["results"]}


def test_history_says_whether_the_dead_letter_was_sent() -> None:
    caught = {"Error": "BatchRejected", "Cause": "no"}
    sent = [LETTER_SENT[0], LETTER_SENT[1], sending(caught), *LETTER_SENT[3:]]
    assert read_history(sent) == History(True, "Write", "PipelineFailed", "c", caught)
    assert read_history(NO_LETTER) == History(False, "Write", "States.Runtime", "c")
    unsent = [entered("Ingest"), sending(caught), failed("SQS.SdkClientException", "denied")]
    assert read_history(unsent) == History(
        False, "Ingest", "SQS.SdkClientException", "denied", caught
    )
    aborted = [entered("Ingest"), {"type": "ExecutionAborted", "executionAbortedEventDetails": {}}]
    assert read_history(aborted) == History(False, "Ingest", None, None)


def test_executions_with_a_dead_letter_are_left_alone() -> None:
    sfn = FakeSfn([Execution("sent", SMALL, LETTER_SENT)])
    summary = run(sfn, FakeSqs())
    assert actions(summary) == {"sent": "has_dead_letter"}
    assert (sfn.recovery_runs, sfn.redriven) == ({}, [])


def test_redrive_where_step_functions_allows_it() -> None:
    execution = Execution(
        "aborted",
        SMALL,
        [entered("Process"), {"type": "ExecutionAborted"}],
        status="ABORTED",
        redrive_status="REDRIVABLE",
        redrive_to=("SUCCEEDED", []),
    )
    sfn = FakeSfn([execution])
    assert actions(run(sfn, FakeSqs())) == {"aborted": "redriven"}
    assert (sfn.redriven, sfn.recovery_runs) == ([execution.arn], {})


def test_a_redrive_that_reaches_send_to_dlq_leaves_its_letter() -> None:
    execution = Execution(
        "dlq-down",
        SMALL,
        NO_LETTER,
        redrive_status="REDRIVABLE",
        redrive_to=("FAILED", [*NO_LETTER, *LETTER_SENT]),
    )
    execution.history = [entered("SendToDLQ"), failed("SQS.SdkClientException")]
    sfn = FakeSfn([execution])
    summary = run(sfn, FakeSqs())
    assert actions(summary) == {"dlq-down": "has_dead_letter"}
    assert sfn.recovery_runs == {}


def test_repeating_errors_and_unredrivable_executions_are_resubmitted_exactly() -> None:
    limit = Execution("limit", SMALL, [entered("Ingest"), failed("States.DataLimitExceeded")])
    limit.redrive_status = "REDRIVABLE"  # redrivable, but it would fail the same way
    emulator = Execution("no-redrive-status", SMALL, NO_LETTER)
    sfn = FakeSfn([limit, emulator])
    sqs = FakeSqs()
    summary = run(sfn, sqs)
    assert actions(summary) == {"limit": "resubmitted", "no-redrive-status": "resubmitted"}
    assert sfn.redriven == []
    inputs = {arn.rsplit(":", 1)[1]: text for arn, (text, _) in sfn.recovery_runs.items()}
    assert inputs == {
        sweep_name(limit.arn): '{"resubmit": ' + SMALL + "}",
        sweep_name(emulator.arn): '{"resubmit": ' + SMALL + "}",
    }
    # Twice over: the same re-submissions are followed, nothing new is started or sent.
    again = run(sfn, sqs)
    assert actions(again) == actions(summary)
    assert len(sfn.recovery_runs) == 2
    assert sqs.messages == []


def test_inputs_that_can_never_fit_are_dead_lettered_once() -> None:
    big = Execution("big", HUGE, [entered("Ingest"), failed("States.DataLimitExceeded", "big")])
    sfn = FakeSfn([big])
    sqs = FakeSqs()
    summary = run(sfn, sqs)
    assert actions(summary) == {"big": "dead_lettered"}
    assert sfn.recovery_runs == {}
    [letter] = sqs.messages
    body = json.loads(letter["Body"])
    assert letter["Body"].count(HUGE) == 1  # spliced in as received
    assert body["input"] == json.loads(HUGE)
    assert body["execution_id"] == big.arn
    assert body["state_machine"] == MAIN
    assert body["failed_state"] == "Ingest"
    assert body["error"] == {"Error": "States.DataLimitExceeded", "Cause": "big"}
    assert body["swept"]["reason"].startswith("too_large: ")
    assert body["swept"]["status"] == "FAILED"
    # Twice over: the letter is in the DLQ already.
    assert actions(run(sfn, sqs)) == {"big": "has_dead_letter"}
    assert len(sqs.messages) == 1


def test_a_failed_resubmission_is_dead_lettered_and_reported() -> None:
    refused = Execution("refused", SMALL, NO_LETTER)
    sfn = FakeSfn([refused], recovery_status="FAILED")
    sqs = FakeSqs()
    summary = run(sfn, sqs)
    assert actions(summary) == {"refused": "dead_lettered"}
    [letter] = sqs.messages
    assert "re-submission s-" in json.loads(letter["Body"])["swept"]["reason"]
    assert summary["dead_lettered"] == 1
    assert actions(run(sfn, sqs)) == {"refused": "has_dead_letter"}
    assert (len(sqs.messages), len(sfn.recovery_runs)) == (1, 1)


def test_only_executions_that_stopped_in_the_range_are_swept() -> None:
    before = Execution("before", SMALL, NO_LETTER, stop=T0 - timedelta(seconds=1))
    at_end = Execution("at-end", SMALL, NO_LETTER, stop=T0 + timedelta(hours=1))
    timed_out = Execution("timed-out", SMALL, NO_LETTER, status="TIMED_OUT", stop=T0)
    sfn = FakeSfn([before, at_end, timed_out])
    assert actions(run(sfn, FakeSqs())) == {"timed-out": "resubmitted"}


def test_express_workflows_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="Express workflows keep no execution history"):
        sweep(target(FakeSfn([]), FakeSqs(), "EXPRESS"), T0, T0 + timedelta(hours=1))
    with pytest.raises(ValueError, match="--until must be after --since"):
        sweep(target(FakeSfn([]), FakeSqs()), T0, T0)


def test_input_problem_is_the_pipelines_own_check() -> None:
    assert input_problem(SMALL) is None
    assert str(input_problem("{nope")).startswith("not_json: ")
    assert str(input_problem('{"a": 1, "a": 2}')).startswith("duplicate_key: ")
    assert str(input_problem(HUGE)).startswith("too_large: ")


def test_dead_letter_body_names_the_end_of_an_abort() -> None:
    description = {"executionArn": "arn:e", "stateMachineArn": MAIN, "input": "[1, 2]"}
    body = json.loads(
        dead_letter_body(description, History(False, "Write", None, None), "why", "TIMED_OUT")
    )
    assert body == {
        "execution_id": "arn:e",
        "state_machine": MAIN,
        "input": [1, 2],
        "error": {"Error": "ExecutionTimedOut", "Cause": ""},
        "failed_state": "Write",
        "swept": {
            "reason": "why",
            "status": "TIMED_OUT",
            "error": "ExecutionTimedOut",
            "cause": None,
        },
    }
    caught = {"Error": "BatchRejected", "Cause": "refused"}
    history = History(False, "Ingest", "SQS.SdkClientException", "denied", caught)
    body = json.loads(dead_letter_body(description, history, "why", "FAILED"))
    assert body["error"] == caught  # the batch's own error, as SendToDLQ would have sent it
    assert body["swept"]["error"] == "SQS.SdkClientException"


def test_an_execution_redriven_before_is_resubmitted_not_redriven_again() -> None:
    history = [entered("Write"), failed("States.TaskFailed")]
    once = Execution("once", SMALL, history, redrive_status="REDRIVABLE")
    sfn = FakeSfn([once], redriven=[once.arn])  # redriveCount 1: it failed again after a redrive
    assert actions(run(sfn, FakeSqs())) == {"once": "resubmitted"}
    assert sfn.redriven == [once.arn]
