"""Dead letters: read them without losing a digit, peek at a queue, build re-submissions.

A dead letter's body is the SendToDLQ message of the contract: ``{"execution_id",
"state_machine", "input", "error", "failed_state"}``, where ``input`` is the execution input as a
JSON value. Its exact text is kept (``DeadLetter.input_text``): numbers such as ``1e400`` or a
4,301-digit integer, which Python's ``float``/``int`` cannot carry, go back to the pipeline as they
were. The parsed value (``DeadLetter.input``) is only read, never re-serialised.

A message of the entry buffer's DLQ (``BufferLetter``) is a body as a client sent it, whose batch
could not start: it is re-submitted as the Batch function would have sent it (handlers.packing).

Peeking (``peek``) receives every message it can see, hidden for a short while, and makes each one
visible again at once: SQS has no read without a receive, so each peek adds one to a message's
``ApproximateReceiveCount``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from handlers import packing
from handlers.jsontext import member_texts

# Decimal for every number: 1e400 stays finite and integers have no digit limit.
_DECODER = json.JSONDecoder(parse_int=Decimal, parse_float=Decimal)
RECEIVE_COUNT = "ApproximateReceiveCount"
SENT_TIMESTAMP = "SentTimestamp"
PEEK_VISIBILITY = 30


class BadDeadLetter(ValueError):
    """A DLQ message that does not carry an execution input (left in the queue, reported)."""


def loads(text: str) -> Any:
    """``text`` parsed with every number as a Decimal (never a float or a huge int)."""
    return _DECODER.decode(text)


def python_value(text: str) -> Any:
    """``text`` as json.loads reads it (floats); with Decimals where an integer is too long for
    int() (over Python's 4,300-digit conversion limit)."""
    try:
        return json.loads(text)
    except ValueError:
        return loads(text)


def resubmit_text(input_text: str) -> str:
    """The recovery state machine's input that re-submits ``input_text`` through Ingest."""
    return '{"resubmit": ' + input_text + "}"


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    receive_count: int
    sent_at: int | None  # ms since the epoch (SentTimestamp)
    body: dict[str, Any]
    input_text: str  # the execution input, exactly as the letter carries it

    @property
    def input(self) -> Any:
        """The input as Python reads JSON (see ``python_value``)."""
        return python_value(self.input_text)

    @property
    def events(self) -> int | None:
        """How many events the input holds (``events`` or ``records`` list, or one event object)."""
        value = loads(self.input_text)
        if not isinstance(value, dict):
            return None
        for key in ("events", "records"):
            if isinstance(value.get(key), list):
                return len(value[key])
        return 1


@dataclass(frozen=True)
class BufferLetter:
    """A message of the entry buffer's DLQ: its body exactly as the entry point sent it."""

    message_id: str
    receipt_handle: str
    receive_count: int
    sent_at: int | None  # ms since the epoch (SentTimestamp)
    body: str

    @property
    def events(self) -> int:
        """How many records the body gives (the elements of a valid envelope, else one)."""
        return len(packing.message_records(self.body))


def parse_buffer_message(message: dict[str, Any]) -> BufferLetter:
    attributes = message.get("Attributes", {})
    sent = attributes.get(SENT_TIMESTAMP)
    return BufferLetter(
        str(message["MessageId"]),
        message["ReceiptHandle"],
        int(attributes.get(RECEIVE_COUNT, "1")),
        int(sent) if sent is not None else None,
        message["Body"],
    )


def parse_message(message: dict[str, Any]) -> DeadLetter:
    message_id = message.get("MessageId")
    try:
        text = message["Body"]
        body = loads(text)
        members = member_texts(text)
    except (KeyError, ValueError) as exc:
        raise BadDeadLetter(f"message {message_id}: body is not a JSON object: {exc}") from None
    if not isinstance(body, dict) or "input" not in members:
        raise BadDeadLetter(f"message {message_id}: no `input` in its body")
    input_text = members["input"]
    if isinstance(body["input"], str):  # an input carried as JSON text
        input_text = body["input"]
        try:
            loads(input_text)
        except ValueError as exc:
            raise BadDeadLetter(f"message {message_id}: `input` is not JSON: {exc}") from None
    attributes = message.get("Attributes", {})
    sent = attributes.get(SENT_TIMESTAMP)
    return DeadLetter(
        str(message_id),
        message["ReceiptHandle"],
        int(attributes.get(RECEIVE_COUNT, "1")),
        int(sent) if sent is not None else None,
        body,
        input_text,
    )


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
            AttributeNames=[RECEIVE_COUNT, SENT_TIMESTAMP],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        empty = 0 if fresh else empty + 1
        seen.update(m["MessageId"] for m in fresh)
        messages += fresh
    return messages


def release(sqs: Any, url: str, receipt_handle: str) -> None:
    """Make a message visible again now (it stays in the queue)."""
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)


def peek(sqs: Any, url: str, limit: int, wait: int = 1) -> list[dict[str, Any]]:
    """The messages of a queue (up to ``limit``), each made visible again once it is read."""
    messages = receive(sqs, url, limit, PEEK_VISIBILITY, wait)
    for message in messages:
        release(sqs, url, message["ReceiptHandle"])
    return messages
