"""Run Step Functions executions to their end: the one runner of ops, the harness, the benchmarks
and the tests.

A ``Runner`` starts executions of one state machine and follows each one to its end:

- a Standard execution (and an Express one in the emulator) with StartExecution, then
  DescribeExecution until its status is terminal (``wait``);
- an Express execution on AWS with StartSyncExecution, which answers once the execution has ended:
  "Executions of an EXPRESS state machine aren't supported by DescribeExecution unless a Map Run
  dispatched them" (Step Functions API reference, DescribeExecution). The emulator (moto 5.2.5) has
  no StartSyncExecution.

A name that is taken (``ExecutionAlreadyExists``: a Standard name is unique for 90 days) is either
followed — the execution an interrupted run started — or reported ``ALREADY_EXISTS``
(``follow_existing=False``: ``ops send`` reports a batch sent before). Service errors and
timeouts end in an ``Outcome`` (``ERROR``, ``RUNNING``) for the commands to report, or are raised
(``raise_errors=True``: the harness and the tests want them loud).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ops.deadletters import python_value
from ops.names import batch_name, execution_arn
from ops.progress import Progress
from ops.target import Target

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
ALREADY_EXISTS = "ALREADY_EXISTS"  # the name is taken and the runner does not follow it
RUNNING = "RUNNING"  # still running when the runner's timeout passed
ERROR = "ERROR"  # the service refused a call (`error` says which and why)
DEFAULT_TIMEOUT = 900.0
FIRST_POLL = 0.05


@dataclass(frozen=True)
class Run:
    """One execution to run: its name, its input exactly as sent, and what the caller needs to
    act on its outcome (an object key, a receipt handle)."""

    name: str
    input: str
    tag: str = ""

    @classmethod
    def of(cls, value: Any, name: str | None = None, tag: str = "") -> Run:
        """``value`` serialised as the input, named ``b-<batch_id>`` unless ``name`` is given."""
        return cls(name or batch_name(value), json.dumps(value), tag)


@dataclass(frozen=True)
class Outcome:
    run: Run
    status: str  # a TERMINAL status, ALREADY_EXISTS, RUNNING, ERROR, or a caller's own (REFUSED)
    output: dict[str, Any] = field(default_factory=dict)  # the execution's output, when an object
    error: str | None = None  # `Error: message` of a failed execution, or why there is no end
    description: dict[str, Any] = field(default_factory=dict)  # the execution as last described
    seconds: float = 0.0  # from the start request until the end was seen

    @property
    def arn(self) -> str | None:
        arn = self.description.get("executionArn")
        return None if arn is None else str(arn)

    @property
    def written(self) -> int:
        return int(self.output.get("written", 0))

    @property
    def already_present(self) -> int:
        return int(self.output.get("already_present", 0))

    @property
    def rejected(self) -> list[dict[str, Any]]:
        """The rejected events' summaries (index in the batch, event_id, reason, detail): Process's
        rejections and Write's conflicting duplicates."""
        found = [*(self.output.get("rejected") or []), *(self.output.get("conflicts") or [])]
        return [r for r in found if isinstance(r, dict)]


def wait(
    sfn: Any, arn: str, timeout: float = DEFAULT_TIMEOUT, poll: float = FIRST_POLL
) -> dict[str, Any]:
    """Describe ``arn`` until it reaches a terminal status; TimeoutError after ``timeout`` s.

    Polls after 50 ms first, doubling up to every ``poll`` s: a short execution is seen ending
    at once, a long one costs at most one DescribeExecution per ``poll``.
    """
    deadline = time.monotonic() + timeout
    delay = min(FIRST_POLL, poll)
    while True:
        description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if description["status"] in TERMINAL:
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(f"{arn} still {description['status']} after {timeout:g}s")
        time.sleep(delay)
        delay = min(delay * 2, poll)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """Every event of the execution's history, oldest first (all pages)."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def states_entered(sfn: Any, arn: str) -> list[str]:
    """The names of the states the execution entered, in order."""
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in history(sfn, arn)
        if "stateEnteredEventDetails" in e
    ]


def failure_message(cause: Any) -> str:
    """A failed execution's cause; for a Lambda error (its JSON), just its errorMessage."""
    try:
        reported = json.loads(cause) if isinstance(cause, str) else None
    except ValueError:
        reported = None
    if isinstance(reported, dict) and isinstance(reported.get("errorMessage"), str):
        return str(reported["errorMessage"])
    return str(cause)


def client_error(exc: ClientError) -> str:
    """``Code: Message`` of a service error."""
    error = exc.response.get("Error", {})
    return f"{error.get('Code')}: {error.get('Message')}"


class Runner:
    """Starts executions of one state machine and follows each one to its end."""

    def __init__(
        self,
        sfn: Any,
        state_machine_arn: str,
        *,
        sync: bool = False,
        poll: float = FIRST_POLL,
        timeout: float = DEFAULT_TIMEOUT,
        follow_existing: bool = True,
        raise_errors: bool = False,
    ) -> None:
        """``sync``: run each execution with StartSyncExecution (Express on AWS); ``poll``: the
        longest pause between two DescribeExecution calls."""
        self.sfn = sfn
        self.state_machine_arn = state_machine_arn
        self.sync = sync
        self.poll = poll
        self.timeout = timeout
        self.follow_existing = follow_existing
        self.raise_errors = raise_errors

    @classmethod
    def for_target(
        cls,
        target: Target,
        state_machine_arn: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        follow_existing: bool = True,
        raise_errors: bool = False,
    ) -> Runner:
        """On ``target``'s main state machine, or on the Standard ``state_machine_arn`` (the
        recovery state machine). The emulator is polled every 50 ms at most, AWS every second."""
        express = state_machine_arn is None and target.workflow_type == "EXPRESS"
        return cls(
            target.client("stepfunctions"),
            state_machine_arn or target.state_machine_arn,
            sync=express and not target.emulator and target.endpoint_url is None,
            poll=FIRST_POLL if target.emulator else 1.0,
            timeout=timeout,
            follow_existing=follow_existing,
            raise_errors=raise_errors,
        )

    def run(self, run: Run) -> Outcome:
        """``run`` started and followed to its end."""
        started = time.monotonic()
        try:
            description = self._run(run)
        except ClientError as exc:
            if self.raise_errors:
                raise
            seconds = time.monotonic() - started
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return Outcome(run, ALREADY_EXISTS, seconds=seconds)  # not followed
            return Outcome(run, ERROR, error=client_error(exc), seconds=seconds)
        except TimeoutError as exc:
            if self.raise_errors:
                raise
            return Outcome(run, RUNNING, error=str(exc), seconds=time.monotonic() - started)
        return _ended(run, description, time.monotonic() - started)

    def _run(self, run: Run) -> dict[str, Any]:
        if self.sync:
            result: dict[str, Any] = self.sfn.start_sync_execution(
                stateMachineArn=self.state_machine_arn, name=run.name, input=run.input
            )
            return result
        try:
            arn = str(
                self.sfn.start_execution(
                    stateMachineArn=self.state_machine_arn, name=run.name, input=run.input
                )["executionArn"]
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code != "ExecutionAlreadyExists" or not self.follow_existing:
                raise
            arn = execution_arn(self.state_machine_arn, run.name)  # started before: follow it
        return wait(self.sfn, arn, self.timeout, self.poll)

    def run_all(
        self,
        runs: Sequence[Run],
        *,
        concurrency: int = 4,
        label: str | None = None,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Every run to its end, at most ``concurrency`` at once; the outcomes in the order of
        ``runs``. ``on_done`` is called as each one ends; ``label`` names a progress line."""
        bar = Progress(len(runs), label) if label is not None else None
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = {pool.submit(self.run, run): index for index, run in enumerate(runs)}
            outcomes: list[Outcome | None] = [None] * len(runs)
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[futures[future]] = outcome
                if on_done is not None:
                    on_done(outcome)
                if bar is not None:
                    bar.advance(note="" if outcome.status == "SUCCEEDED" else outcome.status)
        if bar is not None:
            bar.close()
        return [o for o in outcomes if o is not None]


def _ended(run: Run, description: dict[str, Any], seconds: float) -> Outcome:
    """The outcome of ``run`` from the execution's description at its end."""
    output = python_value(description["output"]) if description.get("output") else {}
    error = description.get("error")
    return Outcome(
        run,
        str(description["status"]),
        output if isinstance(output, dict) else {},
        f"{error}: {failure_message(description.get('cause'))}" if error else None,
        description,
        seconds,
    )
