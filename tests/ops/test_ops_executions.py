"""The one runner: started and followed to the end, a taken name followed or reported, service
errors and timeouts reported or raised, Express through StartSyncExecution on AWS only."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops.executions import (
    ALREADY_EXISTS,
    ERROR,
    RUNNING,
    Outcome,
    Run,
    Runner,
    history,
    states_entered,
    wait,
)
from ops.names import execution_arn
from ops.target import Target

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:app-workflow"
OUTPUTS = {
    "state_machine_arn": SM,
    "table_name": "t",
    "raw_bucket_name": "b",
    "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    "region": "us-east-1",
}


def refusal(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code}!"}}, "StartExecution")


class FakeSfn:
    """Executions that end after ``polls`` descriptions; a name can be taken before."""

    def __init__(
        self, polls: int = 1, taken: set[str] | None = None, polls_of: dict[str, int] | None = None
    ) -> None:
        self.polls = polls
        self.polls_of = polls_of or {}
        self.taken = taken or set()
        self.started: list[str] = []
        self.described: dict[str, int] = {}
        self.synced: list[str] = []
        self._lock = threading.Lock()

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, str]:
        if name in self.taken:
            raise refusal("ExecutionAlreadyExists")
        if name == "refused":
            raise refusal("InvalidExecutionInput")
        with self._lock:
            self.started.append(name)
        return {"executionArn": execution_arn(stateMachineArn, name)}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        with self._lock:
            seen = self.described[executionArn] = self.described.get(executionArn, 0) + 1
        name = executionArn.rsplit(":", 1)[1]
        if seen < self.polls_of.get(name, self.polls):
            return {"executionArn": executionArn, "name": name, "status": "RUNNING"}
        if name.startswith("fail"):
            cause = json.dumps({"errorMessage": "no", "errorType": "BatchRejected"})
            return {
                "executionArn": executionArn,
                "status": "FAILED",
                "error": "BatchRejected",
                "cause": cause,
            }
        output = {"written": 2, "already_present": 1, "rejected": [{"reason": "r"}]}
        output["conflicts"] = [{"reason": "conflicting_duplicate"}]
        return {"executionArn": executionArn, "status": "SUCCEEDED", "output": json.dumps(output)}

    def start_sync_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.synced.append(name)
        arn = f"{stateMachineArn.replace(':stateMachine:', ':express:')}:{name}:x"
        return {"executionArn": arn, "status": "SUCCEEDED", "output": '{"written": 1}'}

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        pages = {
            None: {"events": [{"stateEnteredEventDetails": {"name": "Ingest"}}], "nextToken": "2"},
            "2": {"events": [{"type": "x"}, {"stateEnteredEventDetails": {"name": "Process"}}]},
        }
        return pages[kwargs.get("nextToken")]


def test_a_run_is_started_with_its_exact_input_and_followed_to_its_end() -> None:
    sfn = FakeSfn(polls=3)
    outcome = Runner(sfn, SM, poll=0.001).run(Run("b-1", '{"n": 1e400}'))
    assert (outcome.status, outcome.written, outcome.already_present) == ("SUCCEEDED", 2, 1)
    assert [r["reason"] for r in outcome.rejected] == ["r", "conflicting_duplicate"]
    assert sfn.described == {execution_arn(SM, "b-1"): 3}
    assert outcome.arn == execution_arn(SM, "b-1")
    assert outcome.seconds > 0


def test_a_failed_execution_is_reported_by_its_error_and_lambda_message() -> None:
    outcome = Runner(FakeSfn(), SM).run(Run.of({"x": 1}, "fail-1"))
    assert (outcome.status, outcome.error) == ("FAILED", "BatchRejected: no")


def test_a_taken_name_is_followed_or_reported() -> None:
    sfn = FakeSfn(taken={"b-1"})
    followed = Runner(sfn, SM).run(Run("b-1", "{}"))
    assert followed.status == "SUCCEEDED"
    assert sfn.started == []  # the execution started before is the one followed
    reported = Runner(sfn, SM, follow_existing=False).run(Run("b-1", "{}"))
    assert (reported.status, reported.description) == (ALREADY_EXISTS, {})
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        Runner(sfn, SM, follow_existing=False, raise_errors=True).run(Run("b-1", "{}"))


def test_service_errors_and_timeouts_are_reported_or_raised() -> None:
    refused = Runner(FakeSfn(), SM).run(Run("refused", "{}"))
    assert (refused.status, refused.error) == (
        ERROR,
        "InvalidExecutionInput: InvalidExecutionInput!",
    )
    with pytest.raises(ClientError):
        Runner(FakeSfn(), SM, raise_errors=True).run(Run("refused", "{}"))
    slow = Runner(FakeSfn(polls=10**6), SM, timeout=0.05, poll=0.01).run(Run("b-2", "{}"))
    assert slow.status == RUNNING
    assert slow.error is not None
    assert "still RUNNING after 0.05s" in slow.error
    with pytest.raises(TimeoutError):
        Runner(FakeSfn(polls=10**6), SM, timeout=0.05, poll=0.01, raise_errors=True).run(
            Run("b-3", "{}")
        )


def test_run_all_keeps_the_order_of_the_runs_and_calls_on_done_for_each() -> None:
    runs = [Run(f"b-{i}", "{}") for i in range(6)]
    # the first runs end last, b-0 by far (a loaded machine cannot reorder 200 polls against 6)
    slow_first = {"b-0": 200, "b-1": 6, "b-2": 4}
    done: list[Outcome] = []
    outcomes = Runner(FakeSfn(polls_of=slow_first), SM, poll=0.01).run_all(
        runs, concurrency=6, on_done=done.append
    )
    assert [o.run for o in outcomes] == runs
    assert [o.run.name for o in done][-1] == "b-0"  # on_done as each one ends
    assert sorted(o.run.name for o in done) == sorted(r.name for r in runs)


def test_a_target_decides_sync_express_and_polling() -> None:
    aws = Target.from_document(OUTPUTS | {"workflow_type": "EXPRESS"})
    sfn = FakeSfn()
    object.__setattr__(aws, "client", lambda service: sfn)
    runner = Runner.for_target(aws)
    assert (runner.sync, runner.poll, runner.state_machine_arn) == (True, 1.0, SM)
    assert runner.run(Run("b-1", "{}")).written == 1
    assert (sfn.synced, sfn.started) == (["b-1"], [])
    recovery = Runner.for_target(aws, SM.replace("workflow", "recovery"))
    assert recovery.sync is False  # the recovery state machine is always Standard
    emulated = Target.for_emulator(
        OUTPUTS | {"workflow_type": "EXPRESS"},
        region="us-east-1",
        access_key_id="AKIA",
        secret_access_key="secret",
    )
    object.__setattr__(emulated, "client", lambda service: sfn)
    assert (Runner.for_target(emulated).sync, Runner.for_target(emulated).poll) == (False, 0.05)
    assert (emulated.receive_wait, aws.receive_wait) == (0, 1)
    assert emulated.credentials == {"aws_access_key_id": "AKIA", "aws_secret_access_key": "secret"}


def test_wait_history_and_states_read_every_page() -> None:
    sfn = FakeSfn(polls=2)
    assert wait(sfn, execution_arn(SM, "b-1"), poll=0.001)["status"] == "SUCCEEDED"
    assert len(history(sfn, "arn")) == 3
    assert states_entered(sfn, "arn") == ["Ingest", "Process"]
