"""Drive the deployed pipeline in the emulator and measure what each batch size costs and takes.

The harness (``harness.emulator``, ``harness.deploy``) deploys ``__main__.py`` into moto; this
module only adds: a workflow-type override of the stack config, timing wrappers around the three
handler entry points (wall and thread-CPU time of each invocation, as Lambda would bill it), the
operation counter of ``benchmarks.counting``; executions run through ops.executions' runner,
polled every 2 ms so their latency is measured finely.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness.deploy as harness_deploy
from benchmarks import cost
from benchmarks.counting import OperationLog, counting
from benchmarks.stats import percentile
from benchmarks.workload import batches, make_events, payload
from harness.deploy import Deployment, deploy
from harness.emulator import REPO_ROOT, Emulator
from harness.tools.pipeline import drain_dlq
from ops.executions import Run, Runner, history

HANDLER_MODULES = ("handlers.ingest", "handlers.process", "handlers.write")
WORKFLOW_TYPE_KEY = "activity-pipeline:workflowType"
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class HandlerCall:
    module: str
    wall_s: float
    cpu_s: float


@dataclass
class HandlerTimer:
    calls: list[HandlerCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wrap(self, module: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(event: Any, context: Any) -> Any:
            wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
            try:
                return fn(event, context)
            finally:
                call = HandlerCall(
                    module,
                    (time.perf_counter_ns() - wall) / 1e9,
                    (time.thread_time_ns() - cpu) / 1e9,
                )
                with self._lock:
                    self.calls.append(call)

        return timed

    def take(self) -> list[HandlerCall]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls


@contextmanager
def timed_handlers(timer: HandlerTimer) -> Iterator[HandlerTimer]:
    """Wrap ``handler`` of each entry module; the in-process runtime looks it up per invoke."""
    modules = [importlib.import_module(name) for name in HANDLER_MODULES]
    originals: list[Callable[..., Any]] = [getattr(m, "handler") for m in modules]  # noqa: B009
    for module, original in zip(modules, originals, strict=True):
        setattr(module, "handler", timer.wrap(module.__name__, original))  # noqa: B010
    try:
        yield timer
    finally:
        for module, original in zip(modules, originals, strict=True):
            setattr(module, "handler", original)  # noqa: B010


@contextmanager
def config_override(overrides: Mapping[str, str]) -> Iterator[None]:
    """Deploy with some stack-config values replaced (harness.deploy has no parameter for it)."""
    original = harness_deploy.stack_config

    def patched(stack: str, root: Path = REPO_ROOT) -> dict[str, str]:
        return {**original(stack, root), **overrides}

    harness_deploy.stack_config = patched
    try:
        yield
    finally:
        harness_deploy.stack_config = original


@contextmanager
def quiet_interpreter() -> Iterator[None]:
    logger = logging.getLogger("moto.stepfunctions")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass
class Stack:
    deployment: Deployment
    workflow_type: str
    memory_mb: int
    architecture: str
    log_level: str
    definition_bytes: int
    ops: OperationLog
    timer: HandlerTimer


@contextmanager
def deployed(workflow_type: str, stack: str = "dev") -> Iterator[Stack]:
    ops, timer = OperationLog(), HandlerTimer()
    # The handler modules are imported (by timed_handlers) only once the emulator runs: Powertools
    # binds sys.stdout when the Logger is created, and the in-process runtime captures function
    # output by replacing sys.stdout while it is installed.
    with (
        quiet_interpreter(),
        config_override({WORKFLOW_TYPE_KEY: workflow_type}),
        counting(ops),
        Emulator() as emulator,
        timed_handlers(timer),
    ):
        deployment = deploy(emulator, stack)
        sfn = deployment.client("stepfunctions")
        machine = sfn.describe_state_machine(
            stateMachineArn=deployment.outputs["state_machine_arn"]
        )
        if machine["type"] != workflow_type:
            raise RuntimeError(
                f"deployed a {machine['type']} state machine, wanted {workflow_type}"
            )
        # Memory and architecture as created in the emulator (the harness's admin client gets
        # InvalidSignatureException from moto's Lambda read APIs under IAM enforcement).
        functions = deployment.of_type("aws:lambda/function:Function")
        settings = {
            (int(f.state["memorySize"]), str(f.state["architectures"][0])) for f in functions
        }
        if len(settings) != 1:
            raise RuntimeError(f"functions differ in memory/architecture: {settings}")
        ((memory_mb, architecture),) = settings
        yield Stack(
            deployment=deployment,
            workflow_type=workflow_type,
            memory_mb=memory_mb,
            architecture=architecture,
            log_level=str(machine.get("loggingConfiguration", {}).get("level", "OFF")),
            definition_bytes=len(machine["definition"].encode("utf-8")),
            ops=ops,
            timer=timer,
        )


@dataclass
class Execution:
    arn: str
    events: int
    status: str
    latency_s: float  # StartExecution call -> terminal status seen by the client
    duration_s: float  # the emulator's startDate -> stopDate
    history: list[dict[str, Any]] = field(default_factory=list)


def run_batch(stack: Stack, batch: list[Any], timeout: float = 120.0) -> Execution:
    runner = Runner(
        stack.deployment.client("stepfunctions"),
        stack.deployment.outputs["state_machine_arn"],
        poll=POLL_SECONDS,
        timeout=timeout,
        raise_errors=True,
    )
    outcome = runner.run(Run.of(payload(batch)))
    description = outcome.description
    stop = description.get("stopDate")
    duration = (stop - description["startDate"]).total_seconds() if stop else outcome.seconds
    return Execution(str(outcome.arn), len(batch), outcome.status, outcome.seconds, duration)


@dataclass
class Segment:
    """One batch size run through one deployed stack."""

    workflow_type: str
    batch_size: int
    events: int
    executions: list[Execution]
    wall_s: float
    handler_calls: list[HandlerCall]
    ops: OperationLog
    items_written: int
    dlq_messages: int
    usage: cost.Usage

    @property
    def succeeded(self) -> int:
        return sum(1 for e in self.executions if e.status == "SUCCEEDED")

    def summary(self) -> dict[str, Any]:
        latencies = [e.latency_s for e in self.executions]
        by_module: dict[str, list[HandlerCall]] = {}
        for call in self.handler_calls:
            by_module.setdefault(call.module.rsplit(".", 1)[-1], []).append(call)
        return {
            "workflow_type": self.workflow_type,
            "batch_size": self.batch_size,
            "events": self.events,
            "executions": len(self.executions),
            "succeeded": self.succeeded,
            "statuses": _count(e.status for e in self.executions),
            "items_written": self.items_written,
            "dlq_messages": self.dlq_messages,
            "wall_s": round(self.wall_s, 3),
            "events_per_s": round(self.events / self.wall_s, 2) if self.wall_s else None,
            "execution_latency_ms": {
                "p50": round(percentile(latencies, 50) * 1000, 2),
                "p99": round(percentile(latencies, 99) * 1000, 2),
                "max": round(max(latencies) * 1000, 2),
            },
            "handler_ms_per_invocation": {
                name: {
                    "invocations": len(calls),
                    "wall_p50": round(percentile([c.wall_s for c in calls], 50) * 1000, 3),
                    "wall_p99": round(percentile([c.wall_s for c in calls], 99) * 1000, 3),
                    "cpu_p50": round(percentile([c.cpu_s for c in calls], 50) * 1000, 3),
                }
                for name, calls in sorted(by_module.items())
            },
            "operations": {f"{s}:{o}": n for (s, o), n in sorted(self.ops.calls.items())},
            "dynamodb_item_bytes_mean": (
                round(sum(self.ops.dynamodb_item_sizes) / len(self.ops.dynamodb_item_sizes), 1)
                if self.ops.dynamodb_item_sizes
                else None
            ),
            "usage": self.usage.as_dict(),
        }


def _count(values: Iterator[str] | Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def count_items(stack: Stack) -> int:
    ddb = stack.deployment.client("dynamodb")
    table = stack.deployment.outputs["table_name"]
    total, start = 0, None
    while True:
        kwargs: dict[str, Any] = {"TableName": table, "Select": "COUNT"}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(**kwargs)
        total += int(page["Count"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def run_segment(stack: Stack, batches: list[list[Any]]) -> Segment:
    """Run the batches one after another; count what they cost once they are all done."""
    before_items = count_items(stack)
    before_ops = stack.ops.snapshot()
    stack.timer.take()
    started = time.perf_counter()
    executions = [run_batch(stack, batch) for batch in batches]
    wall = time.perf_counter() - started
    calls = stack.timer.take()
    ops = stack.ops.since(before_ops)  # histories, scans and DLQ reads below are not billable
    for execution in executions:
        execution.history = history(stack.deployment.client("stepfunctions"), execution.arn)
    dead = len(drain_dlq(stack.deployment))
    written = count_items(stack) - before_items
    events = sum(len(b) for b in batches)
    segment = Segment(
        workflow_type=stack.workflow_type,
        batch_size=len(batches[0]),
        events=events,
        executions=executions,
        wall_s=wall,
        handler_calls=calls,
        ops=ops,
        items_written=written,
        dlq_messages=dead,
        usage=usage_of(stack, executions, calls, ops, events),
    )
    return segment


def usage_of(
    stack: Stack,
    executions: list[Execution],
    calls: list[HandlerCall],
    ops: OperationLog,
    events: int,
) -> cost.Usage:
    usage = cost.Usage(events=events, workflow_type=stack.workflow_type)
    usage.executions = len(executions)
    usage.lambda_requests = ops.count("lambda", "Invoke")
    usage.lambda_gb_seconds = cost.lambda_gb_seconds([c.wall_s for c in calls], stack.memory_mb)
    usage.lambda_architecture = stack.architecture
    usage.s3_puts = ops.count("s3", "PutObject")
    usage.s3_gets = ops.count("s3", "GetObject")
    usage.dynamodb_items = len(ops.dynamodb_item_sizes)
    usage.dynamodb_wru = ops.dynamodb_wru
    usage.sqs_requests = ops.sqs_requests
    usage.kms_requests = ops.count("kms", "GenerateDataKey") + ops.count("kms", "Decrypt")
    usage.firehose_bytes = ops.firehose_bytes
    workflow_log_bytes = 0
    for execution in executions:
        kinds = [e["type"] for e in execution.history]
        logged = cost.workflow_log_events(kinds, stack.log_level)
        workflow_log_bytes += sum(
            cost.log_event_bytes(json.dumps(execution.history[i], default=str)) for i in logged
        )
        if stack.workflow_type == "STANDARD":
            usage.state_transitions += cost.billable_transitions(kinds)
        else:
            usage.express_requests += 1
            memory = cost.express_billed_memory_mb(
                stack.definition_bytes, max_payload_bytes(execution.history)
            )
            usage.express_gb_seconds += cost.express_gb_seconds(execution.duration_s, memory)
    usage.log_bytes = ops.log_bytes + workflow_log_bytes
    if len(calls) != usage.lambda_requests:
        usage.notes.append(
            f"{len(calls)} timed handler calls vs {usage.lambda_requests} Lambda Invoke requests"
        )
    usage.notes.append(
        f"log bytes: {ops.log_bytes} from the functions ({ops.log_events} log events), "
        f"{workflow_log_bytes} state-machine log bytes at level {stack.log_level} "
        "(estimated from the execution history)"
    )
    return usage


def max_payload_bytes(events: list[dict[str, Any]]) -> int:
    """The largest state input or output in an execution history (Express execution data)."""
    largest = 0
    for event in events:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                for name in ("input", "output"):
                    value = details.get(name)
                    if isinstance(value, str):
                        largest = max(largest, len(value.encode("utf-8")))
    return largest


def parse_plan(text: str) -> list[tuple[int, int]]:
    """``"1:500,25:1000"`` -> [(batch size, events), ...]."""
    plan: list[tuple[int, int]] = []
    for part in text.split(","):
        size, _, events = part.partition(":")
        plan.append((int(size), int(events)))
    if any(size < 1 or events < size for size, events in plan):
        raise ValueError(f"bad plan {text!r}: each entry is <batch size>:<events >= size>")
    return plan


WARM_UP = (1, 25)  # batch sizes run once first: imports and first clients, not measured


def run_plan(workflow_type: str, plan: list[tuple[int, int]], seed: int) -> dict[str, Any]:
    total = sum(WARM_UP) + sum(events for _, events in plan)
    events = make_events(total, seed=seed, nonce=f"{workflow_type[:3].lower()}{seed}")
    started = time.perf_counter()
    with deployed(workflow_type) as stack:
        deploy_s = time.perf_counter() - started
        cursor = 0
        warm: list[dict[str, Any]] = []
        for size in WARM_UP:
            warm_segment = run_segment(stack, [events[cursor : cursor + size]])
            warm.append(
                {
                    "batch_size": size,
                    "latency_ms": round(warm_segment.executions[0].latency_s * 1000, 1),
                    "handler_wall_ms": [
                        round(c.wall_s * 1000, 1) for c in warm_segment.handler_calls
                    ],
                }
            )
            cursor += size
        segments = []
        for size, count in plan:
            chunk = events[cursor : cursor + count]
            cursor += count
            segments.append(run_segment(stack, list(batches(chunk, size))).summary())
        return {
            "workflow_type": workflow_type,
            "memory_mb": stack.memory_mb,
            "architecture": stack.architecture,
            "log_level": stack.log_level,
            "definition_bytes": stack.definition_bytes,
            "deploy_s": round(deploy_s, 2),
            "warm_up": warm,
            "segments": segments,
        }


def main(argv: list[str] | None = None) -> int:
    """Child-process entry: one workflow type per fresh interpreter (see benchmarks.__main__)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.harness_runs")
    parser.add_argument("workflow_type", choices=("STANDARD", "EXPRESS"))
    parser.add_argument("--plan", required=True, help="<batch size>:<events>,...")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = run_plan(args.workflow_type, parse_plan(args.plan), args.seed)
    args.out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
