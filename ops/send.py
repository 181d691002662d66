"""``send FILE...``: send events to the pipeline in batches within its limits, and report.

Files hold one event, ``{"events": [...]}`` or NDJSON. Every file is read and split first (a file
that is not JSON, or that the pipeline would refuse, stops the command before anything starts);
each event is sent as its exact text, in batches within the limits of handlers.limits. Each batch
starts one execution named ``b-<batch_id>``; on a Standard workflow a batch sent before is refused
by Step Functions and reported as already sent. Executions are followed to the end (Standard) and
summarised: batches, events, stored, rejected by reason, failed. Express executions cannot be
described: they are started and counted, their outcome is in the workflow's log group.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ops import executions
from ops.batching import Batch, InputError, execution_id_for, load_events, split
from ops.progress import Progress
from ops.target import Target


@dataclass
class BatchOutcome:
    name: str
    events: int
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED | ALREADY_SENT | STARTED | ERROR
    written: int = 0
    rejected: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Summary:
    outcomes: list[BatchOutcome]

    @property
    def failed(self) -> list[BatchOutcome]:
        ok = {"SUCCEEDED", "ALREADY_SENT", "STARTED"}
        return [o for o in self.outcomes if o.status not in ok]

    def as_dict(self) -> dict[str, Any]:
        reasons = Counter(r for o in self.outcomes for r in o.rejected)
        statuses = Counter(o.status for o in self.outcomes)
        return {
            "batches": len(self.outcomes),
            "events": sum(o.events for o in self.outcomes),
            "succeeded": statuses["SUCCEEDED"],
            "already_sent": statuses["ALREADY_SENT"],
            "started": statuses["STARTED"],
            "stored": sum(o.written for o in self.outcomes),
            "rejected": sum(reasons.values()),
            "rejected_by_reason": dict(sorted(reasons.items())),
            "failed": [
                {"execution": o.name, "status": o.status, "error": o.error} for o in self.failed
            ],
        }


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("send", help="send event files in batches", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--max-batch-events",
        type=int,
        help="events per batch (default: the stack output `max_batch_events`)",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="batches in flight (4)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per execution")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def max_batch_events(target: Target, flag: int | None) -> int:
    if flag is not None:
        if flag < 1:
            raise InputError("--max-batch-events must be >= 1")
        return flag
    value = target.outputs.get("max_batch_events")
    if value is None:
        raise InputError("the stack has no `max_batch_events` output: pass --max-batch-events")
    return int(value)


def plan(files: list[Path], target: Target, flag: int | None) -> list[Batch]:
    """Every file read and split, or InputError before anything is sent."""
    limit = max_batch_events(target, flag)
    events: list[Any] = []
    for path in files:
        events += load_events(path)
    return split(events, limit, execution_id_for(target.state_machine_arn))


def send_batch(sfn: Any, target: Target, batch: Batch, timeout: float) -> BatchOutcome:
    payload = batch.payload
    name = executions.execution_name(payload)
    outcome = BatchOutcome(name=name, events=len(batch.events), status="ERROR")
    try:
        arn = executions.start(sfn, target.state_machine_arn, payload, name, batch.text)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ExecutionAlreadyExists":
            outcome.status = "ALREADY_SENT"
        else:
            outcome.error = f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
        return outcome
    if target.workflow_type == "EXPRESS":
        outcome.status = "STARTED"
        return outcome
    try:
        description = executions.wait(sfn, arn, timeout, poll=0.2)
    except TimeoutError as exc:
        outcome.error = str(exc)
        return outcome
    outcome.status = description["status"]
    if description.get("output"):
        output = json.loads(description["output"])
        outcome.written = int(output.get("written", 0))
        outcome.rejected = [str(r.get("reason")) for r in output.get("rejected", [])]
    if outcome.status != "SUCCEEDED":
        outcome.error = f"{description.get('error')}: {str(description.get('cause'))[:300]}"
    return outcome


def send(
    target: Target, batches: list[Batch], *, concurrency: int, timeout: float, progress: Progress
) -> Summary:
    sfn = target.client("stepfunctions")

    def one(batch: Batch) -> BatchOutcome:
        outcome = send_batch(sfn, target, batch, timeout)
        progress.advance(1, outcome.status.lower())
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(one, batches))
    progress.close()
    return Summary(outcomes)


def format_summary(summary: dict[str, Any]) -> str:
    reasons = ", ".join(f"{k}: {v}" for k, v in summary["rejected_by_reason"].items())
    lines = [
        f"batches:  {summary['batches']} (succeeded {summary['succeeded']}, already sent "
        f"{summary['already_sent']}, started {summary['started']}, failed "
        f"{len(summary['failed'])})",
        f"events:   {summary['events']}",
        f"stored:   {summary['stored']}",
        f"rejected: {summary['rejected']}" + (f" ({reasons})" if reasons else ""),
        f"failed:   {len(summary['failed'])}",
    ]
    lines += [f"  {f['execution']} {f['status']} {f['error']}" for f in summary["failed"]]
    return "\n".join(lines)


def run(args: argparse.Namespace, target: Target) -> int:
    try:
        batches = plan(args.files, target, args.max_batch_events)
    except (InputError, OSError) as exc:
        print(f"error: {exc} (nothing was sent)", file=sys.stderr)
        return 2
    events = sum(len(b.events) for b in batches)
    print(f"sending {events} events in {len(batches)} batch(es)", file=sys.stderr)
    summary = send(
        target,
        batches,
        concurrency=args.concurrency,
        timeout=args.timeout,
        progress=Progress(len(batches), "send"),
    ).as_dict()
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 1 if summary["failed"] else 0
