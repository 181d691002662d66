"""``ops send``: event files in batches within the pipeline's limits, each batch run to its end.

Every file is read and split first (ops.batching): a file that cannot be sent stops the command
before anything starts. Each batch is one execution ``b-<batch_id>`` (ops.names) run by the one
runner (ops.executions) without following a name that is taken: a batch sent before is reported
as already sent. The summary counts batches and events, and lists every rejected event with the
file it came from, its position there, its event_id, reason and detail.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.batching import Batch, InputError, load_events, split
from ops.commands import Command, add_concurrency, emit, positive_int, positive_seconds
from ops.executions import ALREADY_EXISTS, RUNNING, Outcome, Run, Runner
from ops.names import batch_name, longest_batch_arn
from ops.table import text_table
from ops.target import Target

DESCRIPTION = """\
Send events to the pipeline and report where each one ended.

A file holds one event (a JSON object), {"events": [...]}, or NDJSON (one event
a line). Every file is read first: a file that is not JSON, or that the
pipeline would refuse (NaN or Infinity, a repeated key, nesting over 64
levels), stops the command before anything is sent. Each event travels as its
exact text, in batches of at most --max-batch-events that fit Step Functions'
payload limit with room for a dead letter.

Each batch is one execution named b-<batch_id>: a batch sent before is refused
by Step Functions and reported as "already sent". Every execution is followed
to its end; the summary counts the batches and events, the events stored and
rejected, and lists each rejected event (the file, its position there counted
from 0, its event_id, the reason and its detail). A batch still running after
--timeout is reported as started; its events end in the table, the rejected set
or the DLQ.

Exit status 1 when a batch failed (its events are in the dead-letter queue: see
`ops dlq`)."""
REJECTION_COLUMNS = ("file", "index", "event_id", "reason", "detail")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="event files")
    parser.add_argument(
        "--max-batch-events",
        type=positive_int,
        metavar="N",
        help="events per batch (default: the stack output max_batch_events)",
    )
    add_concurrency(parser, "batches")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long to follow each execution (300)",
    )


@dataclass
class Summary:
    batches: list[Batch]
    outcomes: list[Outcome]  # one per batch, in order

    @property
    def failed(self) -> list[Outcome]:
        ok = {"SUCCEEDED", ALREADY_EXISTS, RUNNING}
        return [o for o in self.outcomes if o.status not in ok]

    def rejections(self) -> list[dict[str, Any]]:
        """Every rejected event, with where it came from."""
        found = []
        for batch, outcome in zip(self.batches, self.outcomes, strict=True):
            for rejected in outcome.rejected:
                position = rejected.get("index")
                event = (
                    batch.events[position]
                    if isinstance(position, int) and 0 <= position < len(batch.events)
                    else None
                )
                found.append(
                    {
                        "file": None if event is None else event.file,
                        "index": None if event is None else event.index,
                        "event_id": rejected.get("event_id"),
                        "reason": rejected.get("reason"),
                        "detail": rejected.get("detail"),
                    }
                )
        return found

    def as_dict(self) -> dict[str, Any]:
        rejections = self.rejections()
        reasons = Counter(str(r["reason"]) for r in rejections)
        statuses = Counter(o.status for o in self.outcomes)
        return {
            "batches": len(self.outcomes),
            "events": sum(len(b.events) for b in self.batches),
            "succeeded": statuses["SUCCEEDED"],
            "already_sent": statuses[ALREADY_EXISTS],
            "started": statuses[RUNNING],
            "stored": sum(o.written for o in self.outcomes),
            "rejected": len(rejections),
            "rejected_by_reason": dict(sorted(reasons.items())),
            "rejections": rejections,
            "failed": [
                {"execution": o.run.name, "status": o.status, "error": o.error} for o in self.failed
            ],
        }


def max_batch_events(target: Target, flag: int | None) -> int:
    if flag is not None:
        return flag
    value = target.outputs.get("max_batch_events")
    if value is None:
        raise InputError("the stack has no `max_batch_events` output: pass --max-batch-events")
    try:
        return positive_int(str(value))
    except argparse.ArgumentTypeError as exc:
        raise InputError(f"the stack output max_batch_events: {exc}") from None


def plan(files: list[Path], target: Target, flag: int | None) -> list[Batch]:
    """Every file read and split, or InputError before anything is sent."""
    limit = max_batch_events(target, flag)
    events = []
    for path in files:
        try:
            events += load_events(path)
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from None
    return split(events, limit, longest_batch_arn(target.state_machine_arn))


def send(
    target: Target,
    batches: list[Batch],
    *,
    concurrency: int = 4,
    timeout: float = 300.0,
    label: str | None = "send",
) -> Summary:
    runner = Runner.for_target(target, timeout=timeout, follow_existing=False)
    runs = [Run(batch_name(b.payload), b.text) for b in batches]
    return Summary(batches, runner.run_all(runs, concurrency=concurrency, label=label))


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
    if summary["rejections"]:
        rows = ([r[c] for c in REJECTION_COLUMNS] for r in summary["rejections"])
        lines += ["", text_table(REJECTION_COLUMNS, rows)]
    return "\n".join(lines)


def run(args: argparse.Namespace, target: Target) -> int:
    try:
        batches = plan(args.files, target, args.max_batch_events)
    except InputError as exc:
        raise InputError(f"{exc} (nothing was sent)") from None
    events = sum(len(b.events) for b in batches)
    print(f"sending {events} events in {len(batches)} batch(es)", file=sys.stderr)
    summary = send(target, batches, concurrency=args.concurrency, timeout=args.timeout).as_dict()
    emit(args, summary, lambda: format_summary(summary))
    return 1 if summary["failed"] else 0


COMMAND = Command(
    "send", "send event files and report where each event ended", DESCRIPTION, add_arguments, run
)
