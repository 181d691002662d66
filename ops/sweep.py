"""``ops sweep``: re-run the executions that failed without leaving a dead letter.

Every execution of the main state machine that ended FAILED, TIMED_OUT or ABORTED with its stop
time in [``--since``, ``--until``) is read from its history: when its ``SendToDLQ`` state exited
(the dead letter was sent), the DLQ holds it and there is nothing to do. Any other one — a failure
no Catch can take (``States.DataLimitExceeded``, a ``SendToDLQ`` that could not send, a service
fault, an aborted or timed-out run) — has left its events nowhere, and the sweep takes them up:

1. ``RedriveExecution`` where it fits: a Standard execution that Step Functions reports
   ``REDRIVABLE`` (stopped less than 14 days ago, under 24,999 history events, not redriven yet)
   and whose error would not repeat the same way (``States.DataLimitExceeded`` and
   ``States.Runtime`` fail again on the same input and definition). A redrive re-runs the failed
   state and what follows it, keeping the states that succeeded; the redriven execution either
   succeeds or reaches ``SendToDLQ`` this time.
2. Otherwise, or when the redrive fails again without a dead letter, the input is re-submitted
   through the recovery state machine (Ingest -> Process -> Write) as ops.names.sweep_name: one
   name per failed execution, so a second sweep follows the same run instead of starting
   another. Re-deliveries are first-write-wins: nothing stored changes.
3. An input that can never fit the pipeline (too large once Ingest's and SendToDLQ's additions
   are counted), or whose re-submission failed, is dead-lettered by the sweep itself: a message
   of the contract's shape (``error`` the batch's error where a Catch took one, else how the
   execution ended) with ``swept`` (why, and how the execution ended), in the DLQ, whose maximum
   message size (1 MiB) holds any execution input. The DLQ is read first (``ops dlq``'s peek):
   an execution whose letter is there already is not dead-lettered twice.

Run twice over the same range, the second sweep changes nothing. Express workflows keep no
execution history (ListExecutions and GetExecutionHistory are Standard-only): there the sweep
refuses; their failures are in the workflow's log group (the ``executions-failed-no-dlq`` alarm
counts them), with the input, to be sent again with ``ops send``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from components.builders.definition import FAILED, SEND_TO_DLQ
from handlers.limits import execution_input_problem
from ops.commands import Command, CommandError, add_concurrency, report
from ops.deadletters import parse_message, peek, resubmit_text
from ops.executions import Run, Runner, client_error, history, wait
from ops.names import execution_arn, sweep_name
from ops.target import Target
from ops.times import add_time_range

DESCRIPTION = """\
Find the executions of the pipeline that ended FAILED, TIMED_OUT or ABORTED
between --since (included) and --until (excluded) without sending a dead letter
— their events are nowhere else; the executions-failed-no-dlq alarm counts them
— and re-run each one:

1. RedriveExecution, where Step Functions allows it and the error would not
   simply repeat;
2. otherwise a re-submission of its input through the operators' recovery state
   machine;
3. an input that can never fit the pipeline, or whose re-submission failed, is
   sent to the DLQ by the sweep itself, with why.

Executions whose dead letter was sent are left alone. Running it twice over the
same range changes nothing. Express workflows keep no execution history: the
sweep refuses and names the workflow's log group, where their failures are
logged with their input.

Exit status 1 when an execution could not be handled."""
RESULT_COLUMNS = ("execution", "status", "error", "action", "detail")

STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
# The same input through the same definition fails the same way: a redrive would only repeat it.
REPEATING_ERRORS = frozenset({"States.DataLimitExceeded", "States.Runtime"})
END_DETAILS = {
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}
DLQ_PEEK_LIMIT = 100_000
TIMEOUT = 900.0


@dataclass(frozen=True)
class History:
    """What an execution's history says about its end."""

    dead_letter_sent: bool
    failed_state: str | None  # the last pipeline state entered (not SendToDLQ or Failed)
    error: str | None  # how the execution ended
    cause: str | None
    caught: dict[str, Any] | None = None  # the error a Catch took to SendToDLQ, if one did


def read_history(events: list[dict[str, Any]]) -> History:
    """From every event of one execution (all attempts, when it was redriven)."""
    dead_letter_sent = False
    failed_state = error = cause = None
    caught: dict[str, Any] | None = None
    for event in events:
        exited = event.get("stateExitedEventDetails")
        if exited is not None and exited.get("name") == SEND_TO_DLQ:
            dead_letter_sent = True
        entered = event.get("stateEnteredEventDetails")
        if entered is not None and entered.get("name") == SEND_TO_DLQ:
            caught = _object(entered.get("input"))
        elif entered is not None and entered.get("name") != FAILED:
            failed_state = entered.get("name")
        details_key = END_DETAILS.get(event.get("type", ""))
        if details_key is not None:
            details = event.get(details_key) or {}
            error, cause = details.get("error"), details.get("cause")
    return History(dead_letter_sent, failed_state, error, cause, caught)


def _object(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:  # a state input the history shows truncated
        return None
    return value if isinstance(value, dict) else None


def failed_executions(
    sfn: Any, state_machine_arn: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """FAILED / TIMED_OUT / ABORTED executions that stopped in [since, until), oldest first."""
    found: list[dict[str, Any]] = []
    for status in STATUSES:
        kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn, "statusFilter": status}
        while True:
            page = sfn.list_executions(**kwargs, maxResults=1000)
            found += [e for e in page["executions"] if since <= e["stopDate"] < until]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    return sorted(found, key=lambda e: (e["stopDate"], e["executionArn"]))


def input_problem(input_text: str) -> str | None:
    """Why ``input_text`` can never run through the pipeline (handlers.limits), or None.

    The recovery request around it adds 14 bytes, well inside the margin that keeps room for a
    dead letter; Ingest sees the same payload as in the main state machine.
    """
    problem = execution_input_problem(input_text)
    return None if problem is None else f"{problem.code}: {problem.message}"


def redrivable(description: dict[str, Any], history: History) -> bool:
    return (
        description.get("redriveStatus") == "REDRIVABLE"
        and int(description.get("redriveCount") or 0) == 0
        and history.error not in REPEATING_ERRORS
    )


def dead_letter_body(
    description: dict[str, Any], history: History, reason: str, status: str
) -> str:
    """The contract's DLQ message for ``description``, the input spliced in as received.

    ``error`` is the error a Catch took (when SendToDLQ was reached but could not send), else how
    the execution ended; ``swept`` says why the sweep sent it and how the execution ended.
    """
    ended = history.error or f"Execution{status.title().replace('_', '')}"
    error = history.caught or {"Error": ended, "Cause": history.cause or ""}
    head = {
        "execution_id": description["executionArn"],
        "state_machine": description["stateMachineArn"],
    }
    tail = {
        "error": error,
        "failed_state": history.failed_state,
        "swept": {"reason": reason, "status": status, "error": ended, "cause": history.cause},
    }
    input_text = str(description["input"])
    return json.dumps(head)[:-1] + ', "input": ' + input_text + ", " + json.dumps(tail)[1:]


@dataclass
class Result:
    execution: str
    status: str
    error: str | None
    failed_state: str | None
    action: str  # has_dead_letter | redriven | resubmitted | dead_lettered | failed
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class SweepSummary:
    results: list[Result] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        actions = Counter(r.action for r in self.results)
        return {
            "executions": len(self.results),
            "has_dead_letter": actions["has_dead_letter"],
            "redriven": actions["redriven"],
            "resubmitted": actions["resubmitted"],
            "dead_lettered": actions["dead_lettered"],
            "failed": actions["failed"],
            "results": [r.as_dict() for r in self.results],
        }


class Sweeper:
    def __init__(self, target: Target, wait: int) -> None:
        self.target = target
        self.recovery = target.recovery_state_machine_arn
        self.runner = Runner.for_target(target, self.recovery, timeout=TIMEOUT)
        self.sfn = target.client("stepfunctions")
        self.sqs = target.client("sqs")
        self.lettered = {
            str(letter.body.get("execution_id"))
            for letter in (
                _readable(m) for m in peek(self.sqs, target.dlq_url, DLQ_PEEK_LIMIT, wait)
            )
            if letter is not None
        }

    def handle(self, listed: dict[str, Any]) -> Result:
        arn = listed["executionArn"]
        ended = read_history(history(self.sfn, arn))
        result = Result(listed["name"], listed["status"], ended.error, ended.failed_state, "")
        if ended.dead_letter_sent or arn in self.lettered:
            result.action = "has_dead_letter"
            return result
        description = self.sfn.describe_execution(executionArn=arn)
        try:
            return self._recover(description, ended, result)
        except ClientError as exc:
            result.action, result.detail = "failed", client_error(exc)
            return result

    def _recover(self, description: dict[str, Any], ended: History, result: Result) -> Result:
        arn = description["executionArn"]
        if redrivable(description, ended) and not self._resubmitted(arn):
            self.sfn.redrive_execution(executionArn=arn)
            after = wait(self.sfn, arn, TIMEOUT, self.runner.poll)
            if after["status"] == "SUCCEEDED":
                result.action = "redriven"
                return result
            ended = read_history(history(self.sfn, arn))
            if ended.dead_letter_sent:
                result.action, result.detail = "has_dead_letter", "sent by the redriven execution"
                return result
        problem = input_problem(description["input"])
        if problem is None:
            run = Run(sweep_name(arn), resubmit_text(description["input"]), arn)
            outcome = self.runner.run(run)
            if outcome.status == "SUCCEEDED":
                result.action, result.detail = "resubmitted", run.name
                return result
            problem = f"re-submission {run.name} ended {outcome.status}: {outcome.error}"
        self.sqs.send_message(
            QueueUrl=self.target.dlq_url,
            MessageBody=dead_letter_body(description, ended, problem, result.status),
        )
        result.action, result.detail = "dead_lettered", problem
        return result

    def _resubmitted(self, arn: str) -> bool:
        try:
            self.sfn.describe_execution(executionArn=execution_arn(self.recovery, sweep_name(arn)))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return False
            raise
        return True


def _readable(message: dict[str, Any]) -> Any:
    try:
        return parse_message(message)
    except ValueError:
        return None


def sweep(
    target: Target,
    since: datetime,
    until: datetime,
    *,
    concurrency: int = 4,
    wait: int | None = None,
) -> SweepSummary:
    """``wait``: long-poll seconds per DLQ receive (default: the target's ``receive_wait``)."""
    if until <= since:
        raise CommandError("--until must be after --since")
    if target.workflow_type == "EXPRESS":
        groups = target.outputs.get("log_group_names", {})
        raise CommandError(
            "Express workflows keep no execution history: Step Functions cannot list or describe "
            "their executions, so there is nothing to sweep. Failed Express executions are logged "
            f"with their input in the workflow's log group ({groups.get('workflow')}); send "
            "their input again with ops send"
        )
    sweeper = Sweeper(target, target.receive_wait if wait is None else wait)
    listed = failed_executions(sweeper.sfn, target.state_machine_arn, since, until)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(sweeper.handle, listed))
    return SweepSummary(results)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_time_range(parser, "stopped at or after", "stopped before", required=True)
    add_concurrency(parser, "executions")


def run(args: argparse.Namespace, target: Target) -> int:
    summary = sweep(target, args.since, args.until, concurrency=args.concurrency).as_dict()
    return report(args, summary, "results", RESULT_COLUMNS)


COMMAND = Command(
    "sweep",
    "re-run the executions that failed without a dead letter",
    DESCRIPTION,
    add_arguments,
    run,
)
