"""``ops redrive``: re-run the dead letters through the recovery state machine.

Receives up to ``--max`` messages of each DLQ (hidden for ``--visibility-timeout`` seconds while
they are worked on):

- the pipeline's DLQ: each letter's ``input``, exactly as the letter carries it, is re-submitted as
  ``{"resubmit": <input>}`` (Ingest -> Process -> Write, no DLQ);
- the entry buffer's DLQ (``buffer_dlq_url``): the bodies, exactly as received, are packed
  together as the Batch function packs them (handlers.packing) and each input re-submitted the
  same way.

A message is deleted only after every re-run holding it SUCCEEDED; otherwise it is made visible
again at once — kept once, never copied — and reported with its attempts
(``ApproximateReceiveCount``).
An input handlers.limits refuses, or a body with a record that cannot travel, is not re-run at all
(``REFUSED``). Names: ops.names.redrive_name, one per attempt (and per input of the bodies).
"""

from __future__ import annotations

import argparse
import threading
from dataclasses import dataclass, field
from typing import Any

from handlers import packing
from handlers.limits import execution_input_problem
from ops.commands import Command, add_concurrency, positive_int, report
from ops.deadletters import (
    BadDeadLetter,
    BufferLetter,
    DeadLetter,
    parse_buffer_message,
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
recovery state machine. With the entry buffer, the bodies in its DLQ (batches
that could not start) go the same way, packed as the Batch function packs them.

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


Letter = DeadLetter | BufferLetter


def redrive_run(letter: DeadLetter) -> Run:
    name = redrive_name(letter.input_text, letter.message_id, letter.receive_count)
    return Run(name, resubmit_text(letter.input_text), letter.receipt_handle)


@dataclass(frozen=True)
class BufferPlan:
    """The buffer DLQ's bodies as the Batch function packs them: one run per input (its
    messages), and the bodies refused (a record that cannot travel)."""

    runs: list[tuple[Run, list[BufferLetter]]]
    refused: list[tuple[BufferLetter, str]]


def buffer_plan(letters: list[BufferLetter], max_events: int) -> BufferPlan:
    by_id = {letter.message_id: letter for letter in letters}
    plan = packing.pack(
        [packing.Message(x.message_id, x.body, x.receive_count) for x in letters], max_events
    )
    runs = []
    for chunk in plan.chunks:
        members = [by_id[m] for m in chunk.message_ids]
        first = members[0]
        run = Run(
            redrive_name(chunk.text, first.message_id, first.receive_count),
            resubmit_text(chunk.text),
            first.receipt_handle,
        )
        runs.append((run, members))
    refused = [(by_id[r.message_id], f"{r.code}: {r.reason}") for r in plan.refused]
    return BufferPlan(runs, refused)


@dataclass
class RedriveSummary:
    received: int
    outcomes: list[Outcome]
    letters: dict[str, Letter] = field(default_factory=dict)  # by execution name: its first
    unreadable: list[str] = field(default_factory=list)
    # by execution name: every message it re-runs, when more than its first letter
    members: dict[str, list[str]] = field(default_factory=dict)

    def messages_of(self, outcome: Outcome) -> list[str]:
        name = outcome.run.name
        return self.members.get(name) or [self.letters[name].message_id]

    def as_dict(self) -> dict[str, Any]:
        failed = [o for o in self.outcomes if o.status != "SUCCEEDED"]
        kept = {m for o in failed for m in self.messages_of(o)}
        redriven = {m for o in self.outcomes for m in self.messages_of(o)} - kept
        return {
            "messages": self.received,
            "redriven": len(redriven),
            "deleted": len(redriven),
            "kept": len(kept) + len(self.unreadable),
            "items_written": sum(o.written for o in self.outcomes),
            "already_present": sum(o.already_present for o in self.outcomes),
            "rejected": sum(len(o.rejected) for o in self.outcomes),
            "failed": len(kept) + len(self.unreadable),
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


class _Settlement:
    """Deletes a message once every run holding it has SUCCEEDED, or makes it visible again once
    one failed (each message settled once, when the last of its runs ends)."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.messages: dict[str, list[str]] = {}  # run name -> message ids
        self.where: dict[str, tuple[str, str]] = {}  # message id -> (queue url, receipt handle)
        self.pending: dict[str, int] = {}  # message id -> runs not ended yet
        self.failed: set[str] = set()
        self.lock = threading.Lock()

    def expect(self, url: str, letter: Letter, runs: list[Run]) -> None:
        self.where[letter.message_id] = (url, letter.receipt_handle)
        self.pending[letter.message_id] = self.pending.get(letter.message_id, 0) + len(runs)
        for run in runs:
            self.messages.setdefault(run.name, []).append(letter.message_id)

    def __call__(self, outcome: Outcome) -> None:
        settled: list[str] = []
        with self.lock:
            for message_id in self.messages[outcome.run.name]:
                if outcome.status != "SUCCEEDED":
                    self.failed.add(message_id)
                self.pending[message_id] -= 1
                if not self.pending[message_id]:
                    settled.append(message_id)
        for message_id in settled:
            url, handle = self.where[message_id]
            if message_id in self.failed:
                release(self.sqs, url, handle)
            else:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)


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
    settlement = _Settlement(sqs)
    messages = receive(sqs, target.dlq_url, max_messages, visibility, wait)
    runs: list[Run] = []
    letters: dict[str, Letter] = {}
    members: dict[str, list[str]] = {}
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
            settlement.expect(target.dlq_url, letter, [run])
            continue
        release(sqs, target.dlq_url, letter.receipt_handle)
        refused.append(Outcome(run, "REFUSED", error=f"{problem.code}: {problem.message}"))
    buffer_url = target.outputs.get("buffer_dlq_url")
    if buffer_url:
        url = str(buffer_url)
        buffered = receive(sqs, url, max_messages, visibility, wait)
        messages += buffered
        plan = buffer_plan(
            [parse_buffer_message(m) for m in buffered], int(target.outputs["max_batch_events"])
        )
        for body, reason in plan.refused:
            name = redrive_name(body.body, body.message_id, body.receive_count)
            letters[name] = body
            release(sqs, url, body.receipt_handle)
            refused.append(
                Outcome(Run(name, body.body, body.receipt_handle), "REFUSED", error=reason)
            )
        held: dict[str, tuple[BufferLetter, list[Run]]] = {}
        for run, bodies in plan.runs:
            letters[run.name] = bodies[0]
            members[run.name] = [body.message_id for body in bodies]
            runs.append(run)
            for body in bodies:
                held.setdefault(body.message_id, (body, []))[1].append(run)
        for body, its_runs in held.values():
            settlement.expect(url, body, its_runs)
    outcomes = runner.run_all(
        runs, concurrency=concurrency, label="redrive" if progress else None, on_done=settlement
    )
    return RedriveSummary(len(messages), refused + outcomes, letters, unreadable, members)


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
