"""Run many named executions to their end, a few at a time, with progress.

On the main state machine (the soak, the tests) or on another, Standard one given by its ARN (the
recovery state machine: replay, redrive, sweep). Standard workflows are started and described
until they end. Express workflows cannot be described on AWS: there each one runs through
``StartSyncExecution``. The emulator has no StartSyncExecution (it answers 404): against an
endpoint override (``harness serve``), or when StartSyncExecution is not implemented, Express
executions are started and described like Standard ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ops import executions
from ops.progress import Progress
from ops.target import Target

DEFAULT_TIMEOUT = 900.0


@dataclass(frozen=True)
class Run:
    name: str
    payload: Any  # the pipeline input this run carries
    tag: str = ""  # what the caller needs to act on the outcome (object key, receipt handle)
    text: str | None = None  # the exact execution input, when it is not `payload` serialised


@dataclass
class Outcome:
    run: Run
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED | ERROR
    output: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def written(self) -> int:
        return int(self.output.get("written", 0))

    @property
    def already_present(self) -> int:
        return int(self.output.get("already_present", 0))

    @property
    def rejected(self) -> int:
        return len(self.output.get("rejected") or [])


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives execution ``name`` of ``state_machine_arn``."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


NOT_IMPLEMENTED = frozenset({"404", "501", "NotImplemented", "UnknownOperationException"})


def start_sync(sfn: Any, target: Target, run: Run) -> dict[str, Any] | None:
    """StartSyncExecution's description, or None where it is not implemented (the emulator)."""
    text = json.dumps(run.payload) if run.text is None else run.text
    try:
        result: dict[str, Any] = sfn.start_sync_execution(
            stateMachineArn=target.state_machine_arn, name=run.name, input=text
        )
    except ClientError as exc:
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if exc.response["Error"]["Code"] in NOT_IMPLEMENTED or status in NOT_IMPLEMENTED:
            return None
        raise
    return result


def run_one(
    sfn: Any, target: Target, run: Run, timeout: float, *, state_machine_arn: str | None = None
) -> Outcome:
    """``run`` on the main state machine, or on the Standard ``state_machine_arn``."""
    poll = 0.05 if target.endpoint_url else 1.0
    machine = state_machine_arn or target.state_machine_arn
    try:
        description: dict[str, Any] | None = None
        express = state_machine_arn is None and target.workflow_type == "EXPRESS"
        if express and not target.endpoint_url:
            description = start_sync(sfn, target, run)
        if description is None:
            try:
                arn = executions.start(sfn, machine, run.payload, run.name, run.text)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                    raise
                # Started before (an interrupted run): follow that execution instead.
                arn = execution_arn(machine, run.name)
            description = executions.wait(sfn, arn, timeout, poll=poll)
    except (ClientError, TimeoutError) as exc:
        return Outcome(run, "ERROR", error=str(exc))
    output = json.loads(description["output"]) if description.get("output") else {}
    error = description.get("error")
    return Outcome(
        run,
        str(description["status"]),
        output if isinstance(output, dict) else {},
        f"{error}: {failure_message(description.get('cause'))}" if error else None,
    )


def failure_message(cause: Any) -> str:
    """A failed execution's cause; for a Lambda error (its JSON), just its errorMessage."""
    try:
        reported = json.loads(cause) if isinstance(cause, str) else None
    except ValueError:
        reported = None
    if isinstance(reported, dict) and isinstance(reported.get("errorMessage"), str):
        return str(reported["errorMessage"])
    return str(cause)


def run_all(
    target: Target,
    runs: Sequence[Run],
    *,
    label: str,
    concurrency: int,
    timeout: float = DEFAULT_TIMEOUT,
    on_done: Callable[[Outcome], None] | None = None,
    progress: bool = True,
    state_machine_arn: str | None = None,
) -> list[Outcome]:
    """Every run to its end (at most ``concurrency`` at once); ``on_done`` as each one ends."""
    sfn = target.client("stepfunctions")
    bar = Progress(len(runs), label) if progress else None
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [
            pool.submit(run_one, sfn, target, run, timeout, state_machine_arn=state_machine_arn)
            for run in runs
        ]
        for future in as_completed(futures):
            outcome = future.result()
            if on_done is not None:
                on_done(outcome)
            outcomes.append(outcome)
            if bar is not None:
                bar.advance(note=outcome.status if outcome.status != "SUCCEEDED" else "")
    if bar is not None:
        bar.close()
    return outcomes
