"""Firehose: PutRecordBatch within AWS's limits, its records delivered into the Iceberg table.

moto 5.2.5 accepts a PutRecordBatch of any number and size of records, and for a stream with the
Iceberg destination answers with an empty ``RequestResponses`` and delivers nothing. AWS (Amazon
Data Firehose API reference, PutRecordBatch: "Each PutRecordBatch request supports up to 500
records. Each record in the request can be as large as 1,000 KB (before base64 encoding), up to a
limit of 4 MB for the entire request. These limits cannot be changed."; the service model bounds
``Records`` to 1..500 and a record's ``Data`` to 1,024,000 bytes, 1,000 KiB) refuses the whole
call:

- more than 500 records: 400 ``ValidationException`` ("1 validation error detected: ... Member
  must have length less than or equal to 500");
- a record over 1,024,000 bytes: 400 ``ValidationException`` (the member's length constraint);
- more than 4 MiB (4,194,304 bytes) of data in all: 400 ``InvalidArgumentException``.

An accepted call's records go to the stream's buffer (``harness.runtime.firehose``), one
``RecordId`` each in order; records an injected throttle fails (``harness.emulator.faults``) come
back with ``ErrorCode`` ``ServiceUnavailableException`` and are not delivered, and
``FailedPutCount`` counts them (API reference: "ErrorCode ... ServiceUnavailableException or
InternalFailure"). A stream with another destination keeps moto's behaviour. Who may call it is
``iam_enforcement``'s: ``firehose:PutRecordBatch`` on the stream's ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from moto.firehose.exceptions import (
    InvalidArgumentException,
    ResourceNotFoundException,
    ValidationException,
)
from moto.firehose.models import FirehoseBackend

from harness.emulator.faults import failing_records

if TYPE_CHECKING:
    from harness.runtime.firehose import DeliveryStreams

MAX_RECORDS = 500
MAX_RECORD_BYTES = 1_024_000  # 1,000 KiB, before base64
MAX_CALL_BYTES = 4 * 1024 * 1024
THROTTLED = ("ServiceUnavailableException", "Slow down. (harness fault)")


def _data(record: dict[str, Any]) -> bytes:
    data = record.get("Data", b"")
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def check_limits(records: list[dict[str, Any]]) -> list[bytes]:
    """The records' data, or the refusal AWS answers for a call over its limits."""
    if len(records) > MAX_RECORDS:
        raise ValidationException(
            "1 validation error detected: Value at 'records' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RECORDS}"
        )
    data = [_data(record) for record in records]
    for index, item in enumerate(data, start=1):
        if len(item) > MAX_RECORD_BYTES:
            raise ValidationException(
                f"1 validation error detected: Value at 'records.{index}.member.data' failed to "
                f"satisfy constraint: Member must have length less than or equal to "
                f"{MAX_RECORD_BYTES}"
            )
    if sum(len(item) for item in data) > MAX_CALL_BYTES:
        raise InvalidArgumentException(
            f"Records size exceeds {MAX_CALL_BYTES // (1024 * 1024)} MB limit"
        )
    return data


def _routed(
    original: Callable[..., dict[str, Any]], streams: DeliveryStreams
) -> Callable[..., dict[str, Any]]:
    def put_record_batch(
        self: Any, delivery_stream_name: str, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        data = check_limits(records or [])
        if delivery_stream_name not in self.delivery_streams:
            raise ResourceNotFoundException(
                f"Firehose {delivery_stream_name} under account {self.account_id} not found."
            )
        if delivery_stream_name not in streams.streams:
            return original(self, delivery_stream_name, records)
        failed = failing_records(len(data))
        accepted = [item for index, item in enumerate(data) if index not in failed]
        ids = iter(streams.put(delivery_stream_name, accepted))
        responses = [
            {"ErrorCode": THROTTLED[0], "ErrorMessage": THROTTLED[1]}
            if index in failed
            else {"RecordId": next(ids)}
            for index in range(len(data))
        ]
        return {"FailedPutCount": len(failed), "Encrypted": False, "RequestResponses": responses}

    return put_record_batch


@contextmanager
def iceberg_delivery(streams: DeliveryStreams) -> Iterator[None]:
    original = FirehoseBackend.put_record_batch
    FirehoseBackend.put_record_batch = _routed(original, streams)
    try:
        yield
    finally:
        FirehoseBackend.put_record_batch = original
