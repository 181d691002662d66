"""The Batch function's work per record, measured in process (the buffered entry's consumer).

A batch arrives as the Lambda event of an SQS event source mapping: ``sqs_event`` builds it the way
the Lambda developer guide shows one (``Records``, each with its message id, receipt handle, body,
attributes, MD5 and source ARN), with a receipt handle as long as SQS allows (1,024 characters), so
the bytes of a record are an upper bound. ``pack`` reads the bodies and packs them, in order, into
execution inputs ``{"records": [...]}`` of at most ``max_events`` records that Ingest accepts for
their size: it runs the Batch function's own packer (handlers.packing, which checks every input
whole as Ingest would); ``measure`` times it, and the cost model scales the CPU per record to the
function's share of a vCPU.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any, Final

from benchmarks.cpu import time_per_item
from benchmarks.workload import make_events, record_text
from handlers.packing import Message
from handlers.packing import pack as handlers_pack

RECEIPT_HANDLE_CHARS: Final = 1024
QUEUE_ARN: Final = "arn:aws:sqs:us-east-1:123456789012:" + "q" * 80  # a queue name is <= 80
SENDER_ID: Final = "AROA" + "X" * 17 + ":" + "s" * 64  # role id and a session name of 64
MEASURED_SIZES: Final = (10, 100, 1000)


def sqs_record(body: str, index: int) -> dict[str, Any]:
    """One record of the Lambda event as the event source mapping delivers it."""
    return {
        "messageId": f"{index:08d}-0000-4000-8000-000000000000",
        "receiptHandle": "A" * RECEIPT_HANDLE_CHARS,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1764547200000",
            "SenderId": SENDER_ID,
            "ApproximateFirstReceiveTimestamp": "1764547200005",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def sqs_event(bodies: list[str]) -> str:
    """The Lambda event of one batch, as JSON text (what the function is invoked with)."""
    return json.dumps({"Records": [sqs_record(b, i) for i, b in enumerate(bodies)]})


def record_bytes(body: str) -> int:
    """Bytes one message adds to the batch's Lambda event (its record and the separator)."""
    return len(json.dumps(sqs_record(body, 0)).encode("utf-8")) + 2


def pack(event_text: str, max_events: int) -> list[list[str]]:
    """The batch's bodies packed as the Batch function packs them (handlers.packing, the function's
    own core): the event parsed as Lambda hands it over, one Message per record, each execution
    input's record texts."""
    messages = [
        Message(r["messageId"], r["body"], int(r["attributes"]["ApproximateReceiveCount"]))
        for r in json.loads(event_text)["Records"]
    ]
    plan = handlers_pack(messages, max_events)
    if plan.refused:
        raise ValueError(f"the workload's bodies must all travel; refused: {plan.refused}")
    return [[record.text for record in chunk.records] for chunk in plan.chunks]


def measure(max_events: int, seed: int = 13, repeats: int = 7) -> dict[str, Any]:
    """CPU per record of ``pack`` at a few batch sizes, and the bytes of a record and a body."""
    events = make_events(max(MEASURED_SIZES), seed=seed, nonce="pack")
    bodies = [record_text(e) for e in events]
    by_size: dict[str, dict[str, float]] = {}
    executions: dict[str, int] = {}
    for size in MEASURED_SIZES:
        text = sqs_event(bodies[:size])
        executions[str(size)] = len(pack(text, max_events))
        by_size[str(size)] = time_per_item(
            functools.partial(pack, text, max_events), size, repeats=repeats
        )
    return {
        "records_per_size": list(MEASURED_SIZES),
        "cpu_us_per_record": {k: v["cpu_us"] for k, v in by_size.items()},
        "executions_per_size": executions,
        # the largest per-record CPU of the measured sizes: the cost model's figure
        "cpu_us_per_record_max": max(v["cpu_us"] for v in by_size.values()),
        "body_bytes_mean": round(sum(len(b.encode("utf-8")) for b in bodies) / len(bodies), 1),
        "record_bytes_mean": round(sum(record_bytes(b) for b in bodies) / len(bodies), 1),
    }
