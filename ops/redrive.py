"""``redrive [--max N]``: re-start the executions held in the dead-letter queue.

Receives up to ``--max`` DLQ messages (hidden for ``--visibility-timeout`` seconds while they are
worked on), re-starts each message's original ``input`` and follows the execution to its end. A
message is deleted only after its execution SUCCEEDED; a failed redrive leaves it in the queue,
visible again at once, and is reported (exit status 1). Executions are named
``d-<batch_id>-<message id prefix>-<receive count>``: unique per attempt, so a later redrive of the
same message is not refused as a duplicate name. Re-deliveries are first-write-wins, so redriving a
batch that was partly written (or redriving twice) leaves stored items unchanged.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ops import executions
from ops.runs import Outcome, Run, run_all
from ops.target import Target

DEFAULT_VISIBILITY = 900


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    receive_count: int
    body: dict[str, Any]

    @property
    def input(self) -> Any:
        value = self.body.get("input")
        return json.loads(value) if isinstance(value, str) else value


class BadDeadLetter(ValueError):
    """A DLQ message that does not carry an execution input (left in the queue, reported)."""


def parse_message(message: dict[str, Any]) -> DeadLetter:
    try:
        body = json.loads(message["Body"])
    except (KeyError, ValueError) as exc:
        raise BadDeadLetter(
            f"message {message.get('MessageId')}: body is not JSON: {exc}"
        ) from None
    if not isinstance(body, dict) or "input" not in body:
        raise BadDeadLetter(f"message {message.get('MessageId')}: no `input` in its body")
    count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    return DeadLetter(message["MessageId"], message["ReceiptHandle"], count, body)


def run_name(letter: DeadLetter) -> str:
    payload = letter.input
    replay = payload.get("replay") if isinstance(payload, dict) else None
    if isinstance(replay, dict) and isinstance(replay.get("raw_key"), str):
        base = f"d-{PurePosixPath(replay['raw_key']).stem[:32]}"
    else:
        base = executions.execution_name(payload, prefix="d")
    return f"{base}-{letter.message_id[:8]}-{letter.receive_count}"


def receive(sqs: Any, url: str, limit: int, visibility: int, wait: int = 1) -> list[dict[str, Any]]:
    """Up to ``limit`` messages; stops after two empty receives in a row (SQS samples servers)."""
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    empty = 0
    while len(messages) < limit and empty < 2:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(messages)),
            VisibilityTimeout=visibility,
            WaitTimeSeconds=wait,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        empty = 0 if fresh else empty + 1
        seen.update(m["MessageId"] for m in fresh)
        messages += fresh
    return messages


@dataclass
class RedriveSummary:
    received: int
    outcomes: list[Outcome]
    unreadable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        failed = [o for o in self.outcomes if o.status != "SUCCEEDED"]
        return {
            "messages": self.received,
            "redriven": len(self.outcomes) - len(failed),
            "deleted": len(self.outcomes) - len(failed),
            "items_written": sum(o.written for o in self.outcomes),
            "already_present": sum(o.already_present for o in self.outcomes),
            "rejected": sum(o.rejected for o in self.outcomes),
            "failed": len(failed) + len(self.unreadable),
            "failures": [
                {"execution": o.run.name, "status": o.status, "error": o.error} for o in failed
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
    sqs = target.client("sqs")
    if wait is None:
        wait = 0 if target.endpoint_url else 1
    messages = receive(sqs, target.dlq_url, max_messages, visibility, wait)
    runs: list[Run] = []
    unreadable: list[str] = []
    for message in messages:
        try:
            letter = parse_message(message)
        except BadDeadLetter as exc:
            unreadable.append(str(exc))
            release(sqs, target.dlq_url, message["ReceiptHandle"])
            continue
        runs.append(Run(run_name(letter), letter.input, letter.receipt_handle))

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
    )
    return RedriveSummary(len(messages), outcomes, unreadable)


def release(sqs: Any, url: str, receipt_handle: str) -> None:
    """Make a message visible again now (it stays in the DLQ)."""
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)


def command(args: argparse.Namespace, target: Target) -> int:
    summary = redrive(
        target,
        max_messages=args.max,
        concurrency=args.concurrency,
        visibility=args.visibility_timeout,
    )
    result = summary.as_dict()
    print(json.dumps(result, indent=2))
    return 1 if result["failed"] else 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "redrive",
        help="re-start the executions in the DLQ; delete each message once its execution succeeds",
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
