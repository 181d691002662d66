"""``ops dlq``: the messages of the DLQ, of the entry DLQ (``entry_dlq_url``: deliveries
EventBridge gave up on) and of the entry buffer's DLQ (``buffer_dlq_url``: bodies whose batch
could not start), peeked at (ops.deadletters.peek) and never deleted; one row each."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from ops.commands import Command, emit, positive_int
from ops.deadletters import BadDeadLetter, loads, parse_buffer_message, parse_message, peek
from ops.table import text_table
from ops.target import Target

DESCRIPTION = """\
List the messages of the pipeline's dead-letter queue and, when the stack has
them, of the EventBridge entry's and of the entry buffer's: message id, the
execution that failed, the state it failed in, the error, how many events it
holds, its attempts and when it was sent.

Nothing is deleted or re-run. SQS has no read without a receive: each message
is received, hidden for a moment and made visible again at once, so a listing
adds one to its attempts."""

COLUMNS = (
    "queue",
    "message_id",
    "execution",
    "failed_state",
    "error",
    "events",
    "attempts",
    "sent",
)


def _sent(attributes: dict[str, Any]) -> str | None:
    value = attributes.get("SentTimestamp")
    if value is None:
        return None
    moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _attempts(message: dict[str, Any]) -> int:
    return int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))


def dead_letter_row(message: dict[str, Any]) -> dict[str, Any]:
    """A message of the pipeline's DLQ (the SendToDLQ contract, or one `ops sweep` sent)."""
    row: dict[str, Any] = {
        "queue": "dlq",
        "message_id": message["MessageId"],
        "attempts": _attempts(message),
        "sent": _sent(message.get("Attributes", {})),
    }
    try:
        letter = parse_message(message)
    except BadDeadLetter as exc:
        return row | {"execution": None, "failed_state": None, "error": str(exc), "events": None}
    error = letter.body.get("error")
    code = error.get("Error") if isinstance(error, dict) else error
    execution = str(letter.body.get("execution_id") or "")
    failed_state = letter.body.get("failed_state")
    return row | {
        "execution": execution.rsplit(":", 1)[-1] or None,
        "failed_state": None if failed_state is None else str(failed_state),
        "error": None if code is None else str(code),
        "events": letter.events,
    }


def entry_row(message: dict[str, Any]) -> dict[str, Any]:
    """A message of the entry DLQ: an EventBridge event whose delivery failed."""
    attributes = {
        key: value.get("StringValue") for key, value in message.get("MessageAttributes", {}).items()
    }
    events: int | None = None
    try:
        detail = loads(message["Body"]).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, dict):
        listed = detail.get("events")
        events = len(listed) if isinstance(listed, list) else 1
    return {
        "queue": "entry_dlq",
        "message_id": message["MessageId"],
        "execution": None,
        "failed_state": "delivery",
        "error": attributes.get("ERROR_CODE"),
        "events": events,
        "attempts": _attempts(message),
        "sent": _sent(message.get("Attributes", {})),
    }


def buffer_row(message: dict[str, Any]) -> dict[str, Any]:
    """A message of the entry buffer's DLQ: a body the Batch function could not start (or that
    cannot travel in an execution input) on each of its receives."""
    letter = parse_buffer_message(message)
    return {
        "queue": "buffer_dlq",
        "message_id": letter.message_id,
        "execution": None,
        "failed_state": "batch",
        "error": None,
        "events": letter.events,
        "attempts": letter.receive_count,
        "sent": _sent(message.get("Attributes", {})),
    }


def listing(target: Target, *, limit: int, wait: int | None = None) -> list[dict[str, Any]]:
    sqs = target.client("sqs")
    if wait is None:
        wait = target.receive_wait
    rows = [dead_letter_row(m) for m in peek(sqs, target.dlq_url, limit, wait)]
    entry_url = target.outputs.get("entry_dlq_url")
    if entry_url:
        rows += [entry_row(m) for m in peek(sqs, str(entry_url), limit, wait)]
    buffer_url = target.outputs.get("buffer_dlq_url")
    if buffer_url:
        rows += [buffer_row(m) for m in peek(sqs, str(buffer_url), limit, wait)]
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max", type=positive_int, default=1000, metavar="N", help="messages per queue (1000)"
    )


def run(args: argparse.Namespace, target: Target) -> int:
    rows = listing(target, limit=args.max)
    emit(args, rows, lambda: text_table(COLUMNS, ([row.get(c) for c in COLUMNS] for row in rows)))
    if not args.json:
        print(f"({len(rows)} message(s); nothing was redriven or deleted)", file=sys.stderr)
    return 0


COMMAND = Command(
    "dlq", "list the dead-letter queues without redriving", DESCRIPTION, add_arguments, run
)
