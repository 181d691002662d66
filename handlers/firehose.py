"""Firehose adapter: PutRecordBatch within the API's limits, failed records retried with backoff.

PutRecordBatch takes at most 500 records and 4 MiB per call, each record at most 1,000 KiB before
base64 encoding (Amazon Data Firehose API reference, PutRecordBatch: "These limits cannot be
changed"). `chunks()` packs the records in order into calls within those limits. A call can
succeed partly: `FailedPutCount` > 0 and an `ErrorCode` (`ServiceUnavailableException`,
`InternalFailure`) on each failed record's entry of `RequestResponses`, in request order; those
records alone are sent again, with exponential backoff and full jitter, and when attempts run out
the call is a TransientAwsError (the state machine retries Write, which sends the batch's items
again: the Iceberg destination upserts them by their unique keys). A whole call refused is mapped
by its error code as every adapter does (handlers.aws.map_aws_error): throttling and 5xx retried
here, then TransientAwsError; anything else (AccessDenied, ResourceNotFoundException,
InvalidArgumentException) a PermanentAwsError at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import client, map_aws_error
from handlers.errors import PermanentAwsError, TransientAwsError

if TYPE_CHECKING:
    from mypy_boto3_firehose import FirehoseClient

MAX_RECORDS: Final = 500
MAX_CALL_BYTES: Final = 4 * 1024 * 1024  # 4 MiB
MAX_RECORD_BYTES: Final = 1_000 * 1024  # 1,000 KiB
MAX_ATTEMPTS: Final = 6
BASE_DELAY: Final = 0.05
MAX_DELAY: Final = 2.0


def chunks(records: Sequence[bytes]) -> Iterator[list[bytes]]:
    """The records in order, in runs of at most MAX_RECORDS and MAX_CALL_BYTES; a record over
    MAX_RECORD_BYTES is a PermanentAwsError before any run is formed (Firehose refuses it
    whatever is retried, and nothing of the batch is sent)."""
    for index, record in enumerate(records):
        if len(record) > MAX_RECORD_BYTES:
            raise PermanentAwsError(
                f"firehose record {index} is {len(record)} bytes, over Firehose's "
                f"{MAX_RECORD_BYTES} bytes per record"
            )
    return _runs(records)


def _runs(records: Sequence[bytes]) -> Iterator[list[bytes]]:
    run: list[bytes] = []
    size = 0
    for record in records:
        if run and (len(run) == MAX_RECORDS or size + len(record) > MAX_CALL_BYTES):
            yield run
            run, size = [], 0
        run.append(record)
        size += len(record)
    if run:
        yield run


def backoff(attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Exponential backoff with full jitter."""
    return rng(0.0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


def put_call(
    firehose: FirehoseClient,
    stream: str,
    records: list[bytes],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Deliver one chunk: the records that come back with an ErrorCode are sent again (only
    they), a throttled or 5xx call again whole; TransientAwsError once attempts run out."""
    operation = f"firehose:PutRecordBatch {stream}"
    pending = records
    failure = ""
    for attempt in range(max_attempts):
        if attempt:
            sleep(backoff(attempt - 1))
        try:
            response = firehose.put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": data} for data in pending]
            )
        except ClientError as exc:
            mapped = map_aws_error(exc, operation)
            if isinstance(mapped, TransientAwsError):
                failure = str(mapped)
                continue
            raise mapped from exc
        except BotoCoreError as exc:  # boto3 retried connection errors already
            raise map_aws_error(exc, operation) from exc
        if not response.get("FailedPutCount"):
            return
        answers = response["RequestResponses"]
        failed = [
            data for data, answer in zip(pending, answers, strict=True) if "ErrorCode" in answer
        ]
        codes = sorted({str(a["ErrorCode"]) for a in answers if "ErrorCode" in a})
        failure = (
            f"{operation}: {len(failed)} of {len(pending)} records failed ({', '.join(codes)})"
        )
        pending = failed
    raise TransientAwsError(f"{failure} after {max_attempts} attempts")


def put_records(
    stream: str,
    records: Sequence[bytes],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send every record to the stream (chunks() in order); the number sent."""
    if not records:
        return 0
    firehose = client("firehose")
    for chunk in chunks(records):
        put_call(firehose, stream, chunk, max_attempts=max_attempts, sleep=sleep)
    return len(records)
