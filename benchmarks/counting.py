"""Count billable AWS operations as the emulator serves them.

``OperationLog.record`` is pure: it takes (service, operation, request parameters) and tallies what
AWS would bill — S3 PUT/GET, DynamoDB items and their sizes (WRU), SQS requests, CloudWatch Logs
bytes, Lambda invokes, Step Functions starts, Firehose record bytes. ``counting`` installs it as
a botocore ``before-parameter-build`` hook (it sees the API parameters as the caller passed them)
on every client created while it is active — the same mechanism moto uses to intercept calls — so
the functions' clients, the ASL interpreter's clients and the harness's clients are all seen.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from benchmarks import cost
from benchmarks.cost import dynamodb_item_size, log_event_bytes, write_request_units

# (service, operation) pairs that are billed per request in this pipeline.
COUNTED = frozenset(
    {
        ("s3", "PutObject"),
        ("s3", "GetObject"),
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "PutItem"),
        ("sqs", "SendMessage"),
        ("sqs", "SendMessageBatch"),
        ("logs", "PutLogEvents"),
        ("lambda", "Invoke"),
        ("stepfunctions", "StartExecution"),
        ("kms", "GenerateDataKey"),
        ("kms", "Decrypt"),
        ("firehose", "PutRecordBatch"),
    }
)


@dataclass
class OperationLog:
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    dynamodb_item_sizes: list[int] = field(default_factory=list)
    sqs_requests: int = 0
    log_bytes: int = 0
    log_events: int = 0
    firehose_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        if (service, operation) not in COUNTED:
            return
        with self._lock:
            self.calls[(service, operation)] += 1
            if service == "dynamodb" and operation == "BatchWriteItem":
                for requests in params.get("RequestItems", {}).values():
                    for request in requests:
                        put = request.get("PutRequest")
                        if put is not None:
                            self.dynamodb_item_sizes.append(dynamodb_item_size(put["Item"]))
            elif service == "dynamodb" and operation == "PutItem":
                self.dynamodb_item_sizes.append(dynamodb_item_size(params["Item"]))
            elif service == "sqs" and operation == "SendMessage":
                self.sqs_requests += sqs_billed_requests(str(params.get("MessageBody", "")))
            elif service == "sqs" and operation == "SendMessageBatch":
                body = "".join(str(e.get("MessageBody", "")) for e in params.get("Entries", []))
                self.sqs_requests += sqs_billed_requests(body)
            elif service == "logs" and operation == "PutLogEvents":
                for event in params.get("logEvents", []):
                    self.log_events += 1
                    self.log_bytes += log_event_bytes(str(event.get("message", "")))
            elif service == "firehose" and operation == "PutRecordBatch":
                self.firehose_bytes += sum(record_bytes(r) for r in params.get("Records", []))

    def count(self, service: str, operation: str) -> int:
        return self.calls[(service, operation)]

    @property
    def dynamodb_wru(self) -> int:
        return sum(write_request_units(size) for size in self.dynamodb_item_sizes)

    def snapshot(self) -> OperationLog:
        with self._lock:
            return OperationLog(
                Counter(self.calls),
                list(self.dynamodb_item_sizes),
                self.sqs_requests,
                self.log_bytes,
                self.log_events,
                self.firehose_bytes,
            )

    def since(self, earlier: OperationLog) -> OperationLog:
        """What was recorded after ``earlier`` (a snapshot of this log)."""
        now = self.snapshot()
        return OperationLog(
            now.calls - earlier.calls,
            now.dynamodb_item_sizes[len(earlier.dynamodb_item_sizes) :],
            now.sqs_requests - earlier.sqs_requests,
            now.log_bytes - earlier.log_bytes,
            now.log_events - earlier.log_events,
            now.firehose_bytes - earlier.firehose_bytes,
        )


def record_bytes(record: Mapping[str, Any]) -> int:
    """A Firehose record's data bytes, as billed (before base64: the SDK encodes it on the way)."""
    data = record.get("Data", b"")
    return len(data if isinstance(data, bytes | bytearray) else str(data).encode("utf-8"))


def sqs_billed_requests(body: str) -> int:
    """SQS bills each started 64 KB of a request's payload (its UTF-8 bytes) as one request."""
    return cost.sqs_billed_requests(len(body.encode("utf-8")))


@contextmanager
def counting(log: OperationLog) -> Iterator[OperationLog]:
    """Record every API call of clients created inside the block."""

    def before_parameter_build(model: Any, params: Mapping[str, Any], **kwargs: Any) -> None:
        log.record(model.service_model.service_name, model.name, params)

    entry = ("before-parameter-build", before_parameter_build)
    BUILTIN_HANDLERS.append(entry)
    try:
        yield log
    finally:
        BUILTIN_HANDLERS.remove(entry)
