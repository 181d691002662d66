"""``ops redrive``: re-run the DLQ's dead letters through the recovery state machine.

Receives up to ``--max`` messages (hidden for ``--visibility-timeout`` seconds while they are
worked on) and re-submits each letter's ``input``, exactly as the letter carries it, as
``{"resubmit": <input>}`` (Ingest -> Process -> Write, no DLQ). A message is deleted only after its
re-run SUCCEEDED; otherwise it is made visible again at once — kept once, never copied — and
reported with its attempts (``ApproximateReceiveCount``). An input handlers.limits refuses is not
re-run at all (``REFUSED``). Names: ops.names.redrive_name, one per attempt.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from handlers.limits import execution_input_problem
from ops.commands import Command, add_concurrency, positive_int, report
from ops.deadletters import (
    BadDeadLetter,
    DeadLetter,
    parse_message,
    receive,
    release,
    resubmit_text,
)
from ops.executions import Outcome, Run, Runner
from ops.names import redrive_name
from ops.target import Target

DESCRIPTION = """\
Re-run the dead letters of the pipeline's DLQ: each letter's input, exactly as
it failed, goes through Ingest -> Process -> Write again on the operators'
recovery state machine.

A message is deleted once its re-run succeeded. A re-run that fails sends no
dead letter of its own: the message is kept (once, never copied), made visible
again at once and reported with its attempts; so is an input the pipeline can
never accept, which is not re-run at all. Items stored before are left as they
are (first write wins), so redriving twice changes nothing stored. `ops dlq`
lists the messages without redriving them.

Exit status 1 when a message was kept."""
DEFAULT_VISIBILITY = 900
FAILURE_COLUMNS = ("message_id", "attempts", "execution", "status", "error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max", type=positive_int, default=100, metavar="N", help="messages at most (100)"
    )
    add_concurrency(parser, "executions")
    parser.add_argument(
        "--visibility-timeout",
        type=positive_int,
        default=DEFAULT_VISIBILITY,
        metavar="SECONDS",
        help="how long a message stays hidden while its re-run runs (900)",
    )


def redrive_run(letter: DeadLetter) -> Run:
    name = redrive_name(letter.input_text, letter.message_id, letter.receive_count)
    return Run(name, resubmit_text(letter.input_text), letter.receipt_handle)


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
            "rejected": sum(len(o.rejected) for o in self.outcomes),
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
    """``wait``: long-poll seconds per receive (default: the target's ``receive_wait``)."""
    recovery = target.recovery_state_machine_arn  # TargetError before anything is received
    runner = Runner.for_target(target, recovery, timeout=visibility)
    sqs = target.client("sqs")
    if wait is None:
        wait = target.receive_wait
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

    outcomes = runner.run_all(
        runs, concurrency=concurrency, label="redrive" if progress else None, on_done=settle
    )
    return RedriveSummary(len(messages), refused + outcomes, letters, unreadable)


def run(args: argparse.Namespace, target: Target) -> int:
    summary = redrive(
        target,
        max_messages=args.max,
        concurrency=args.concurrency,
        visibility=args.visibility_timeout,
    ).as_dict()
    return report(args, summary, "failures", FAILURE_COLUMNS)


COMMAND = Command(
    "redrive",
    "re-run the DLQ's dead letters; delete each once its re-run succeeded",
    DESCRIPTION,
    add_arguments,
    run,
)
