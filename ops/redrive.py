"""``redrive [--max N]``: re-run the dead letters of the DLQ through the recovery state machine.

Receives up to ``--max`` DLQ messages (hidden for ``--visibility-timeout`` seconds while they are
worked on) and re-submits each message's original ``input``, exactly as the letter carries it,
through the recovery state machine (Ingest -> Process -> Write, no DLQ), following each execution
to its end. A message is deleted only after its re-run SUCCEEDED. A re-run that fails sends no
dead letter of its own: the message is kept — once, never copied — and made visible again at once;
it is reported with its attempts (its ``ApproximateReceiveCount``) and the exit status is 1. An
input the pipeline can never accept (handlers.limits: too large once Ingest's payload and a dead
letter are counted, not standard JSON, a repeated key) is not re-run at all: kept and reported.
Redriving a batch that can never succeed any number of times leaves exactly that one message.
Executions are named ``d-<input hash>-<message id prefix>-<receive count>``: unique per attempt,
so a later redrive of the same message is not refused as a duplicate name. Re-deliveries are
first-write-wins, so redriving a batch that was partly written (or twice) leaves stored items as
they were. ``ops dlq`` lists the messages without redriving them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from handlers.limits import execution_input_problem
from ops.deadletters import (
    BadDeadLetter,
    DeadLetter,
    receive,
    release,
    resubmit_text,
)
from ops.deadletters import parse_message as parse_message
from ops.runs import Outcome, Run, run_all
from ops.target import Target, TargetError

DEFAULT_VISIBILITY = 900


def run_name(letter: DeadLetter) -> str:
    digest = hashlib.sha256(letter.input_text.encode("utf-8")).hexdigest()[:32]
    return f"d-{digest}-{letter.message_id[:8]}-{letter.receive_count}"


def redrive_run(letter: DeadLetter) -> Run:
    return Run(
        run_name(letter),
        letter.input,
        letter.receipt_handle,
        text=resubmit_text(letter.input_text),
    )


@dataclass
class RedriveSummary:
    received: int
    outcomes: list[Outcome]
    letters: dict[str, DeadLetter] = field(default_factory=dict)  # by execution name
    unreadable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        failed = [o for o in self.outcomes if o.status != "SUCCEEDED"]
        redriven = len(self.outcomes) - len(failed)
        return {
            "messages": self.received,
            "redriven": redriven,
            "deleted": redriven,
            "kept": len(failed) + len(self.unreadable),
            "items_written": sum(o.written for o in self.outcomes),
            "already_present": sum(o.already_present for o in self.outcomes),
            "rejected": sum(o.rejected for o in self.outcomes),
            "failed": len(failed) + len(self.unreadable),
            "failures": [
                {
                    "message_id": self.letters[o.run.name].message_id,
                    "attempts": self.letters[o.run.name].receive_count,
                    "execution": o.run.name,
                    "status": o.status,
                    "error": o.error,
                }
                for o in failed
            ]
            + [{"error": reason} for reason in self.unreadable],
        }


def redrive(
    target: Target,
    *,
    max_messages: int = 100,
    concurrency: int = 4,
    visibility: int = DEFAULT_VISIBILITY,
    progress: bool = True,
    wait: int | None = None,
) -> RedriveSummary:
    """``wait``: long-poll seconds per receive (1 on AWS, 0 against an endpoint override)."""
    recovery = target.recovery_state_machine_arn  # TargetError before anything is received
    sqs = target.client("sqs")
    if wait is None:
        wait = 0 if target.endpoint_url else 1
    messages = receive(sqs, target.dlq_url, max_messages, visibility, wait)
    runs: list[Run] = []
    letters: dict[str, DeadLetter] = {}
    refused: list[Outcome] = []  # inputs that can never run: not started
    unreadable: list[str] = []
    for message in messages:
        try:
            letter = parse_message(message)
        except BadDeadLetter as exc:
            unreadable.append(str(exc))
            release(sqs, target.dlq_url, message["ReceiptHandle"])
            continue
        run = redrive_run(letter)
        letters[run.name] = letter
        problem = execution_input_problem(letter.input_text)
        if problem is None:
            runs.append(run)
            continue
        release(sqs, target.dlq_url, letter.receipt_handle)
        refused.append(Outcome(run, "REFUSED", error=f"{problem.code}: {problem.message}"))

    def settle(outcome: Outcome) -> None:
        if outcome.status == "SUCCEEDED":
            sqs.delete_message(QueueUrl=target.dlq_url, ReceiptHandle=outcome.run.tag)
        else:
            release(sqs, target.dlq_url, outcome.run.tag)

    outcomes = run_all(
        target,
        runs,
        label="redrive",
        concurrency=concurrency,
        timeout=float(visibility),
        on_done=settle,
        progress=progress,
        state_machine_arn=recovery,
    )
    return RedriveSummary(len(messages), refused + outcomes, letters, unreadable)


def command(args: argparse.Namespace, target: Target) -> int:
    try:
        summary = redrive(
            target,
            max_messages=args.max,
            concurrency=args.concurrency,
            visibility=args.visibility_timeout,
        )
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = summary.as_dict()
    print(json.dumps(result, indent=2))
    return 1 if result["failed"] else 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "redrive",
        help="re-run the DLQ's dead letters; delete each once its re-run succeeds, else keep it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--max", type=int, default=100, help="messages at most (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="executions at once (default 4)")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=DEFAULT_VISIBILITY,
        help="seconds a message stays hidden while its execution runs (default 900)",
    )
    parser.set_defaults(func=command)
