"""PutRecordBatch as strict as AWS: its limits, the caller's IAM permission on the stream, and the
faults injected on it (a whole call failed, records failed one by one, an answer lost)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from harness.emulator import Emulator
from harness.emulator.faults import FaultConfig, FaultInjector
from harness.emulator.patches.firehose import MAX_CALL_BYTES, MAX_RECORD_BYTES
from tests.harness.curated import Curated, data, deploy_curated, row, rows
from tests.harness.emulated import make_user


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    # the injector installed, injecting nothing until a test gives it a kind (``faulted``)
    with Emulator(retry_time_scale=0.01, faults=FaultConfig()) as emulator:
        yield emulator


@contextmanager
def faulted(emulator: Emulator, kind: str, target: str = "firehose") -> Iterator[None]:
    injector = emulator.faults
    assert injector is not None
    saved = injector.config
    injector.config = FaultConfig(rate=1.0, kinds=(kind,), targets=(target,))
    try:
        yield
    finally:
        injector.config = saved


@pytest.fixture(scope="module")
def curated(emu: Emulator) -> Curated:
    return deploy_curated(emu, "patch", buffering_mb=128)


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_the_record_count_and_sizes_are_aws_limits(emu: Emulator, curated: Curated) -> None:
    firehose = emu.client("firehose", curated.writer)
    put = firehose.put_record_batch
    with pytest.raises(ClientError) as many:
        put(DeliveryStreamName=curated.stream, Records=[{"Data": b"{}"}] * 501)
    assert code(many) == "ValidationException"
    assert "less than or equal to 500" in str(many.value)
    with pytest.raises(ClientError) as large:
        put(DeliveryStreamName=curated.stream, Records=[{"Data": b"x" * (MAX_RECORD_BYTES + 1)}])
    assert code(large) == "ValidationException"
    assert "records.1.member.data" in str(large.value)
    five = [{"Data": b"x" * MAX_RECORD_BYTES}] * 5  # 5,120,000 bytes: each fits, the call not
    with pytest.raises(ClientError) as total:
        put(DeliveryStreamName=curated.stream, Records=five)
    assert code(total) == "InvalidArgumentException"
    assert emu.firehose.get(curated.stream).buffer == []  # a refused call buffers nothing
    at_limits = [{"Data": b"x" * MAX_RECORD_BYTES}] * 4 + [
        {"Data": b"x" * (MAX_CALL_BYTES - 4 * MAX_RECORD_BYTES)}
    ]
    answer = put(DeliveryStreamName=curated.stream, Records=at_limits)
    assert answer["FailedPutCount"] == 0
    assert len({r["RecordId"] for r in answer["RequestResponses"]}) == 5
    assert emu.firehose.get(curated.stream).size == MAX_CALL_BYTES
    emu.firehose.get(curated.stream).buffer.clear()  # not JSON: kept out of the other tests
    emu.firehose.get(curated.stream).size = 0
    emu.firehose.get(curated.stream).oldest = None
    answer = put(
        DeliveryStreamName=curated.stream, Records=data(*[row(f"l{i}") for i in range(500)])
    )
    assert answer["FailedPutCount"] == 0
    assert len(answer["RequestResponses"]) == 500


def test_the_caller_needs_put_record_batch_on_the_stream(emu: Emulator, curated: Curated) -> None:
    _, other = make_user(
        emu,
        "other-producer",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "firehose:PutRecordBatch",
                    "Resource": curated.stream_arn + "-other",
                }
            ],
        },
    )
    with pytest.raises(ClientError) as denied:
        emu.client("firehose", other).put_record_batch(
            DeliveryStreamName=curated.stream, Records=data(row("denied"))
        )
    assert code(denied) == "AccessDeniedException"
    assert "firehose:PutRecordBatch" in str(denied.value)
    emu.client("firehose", curated.writer).put_record_batch(
        DeliveryStreamName=curated.stream, Records=data(row("allowed", user_id="iam"))
    )
    emu.firehose.flush(curated.stream)
    assert [r["event_id"] for r in rows(emu, curated.table) if r["user_id"] == "iam"] == ["allowed"]


def test_a_stream_of_another_destination_keeps_motos_answer(emu: Emulator) -> None:
    firehose = emu.client("firehose")
    emu.client("s3").create_bucket(Bucket="plain-s3-destination")
    firehose.create_delivery_stream(
        DeliveryStreamName="plain",
        ExtendedS3DestinationConfiguration={
            "RoleARN": f"arn:aws:iam::{emu.account_id}:role/x",
            "BucketARN": "arn:aws:s3:::plain-s3-destination",
        },
    )
    answer = firehose.put_record_batch(DeliveryStreamName="plain", Records=[{"Data": b"a"}])
    assert answer["FailedPutCount"] == 0
    assert "plain" not in emu.firehose.streams
    with pytest.raises(ClientError) as many:  # the limits hold for every stream
        firehose.put_record_batch(DeliveryStreamName="plain", Records=[{"Data": b"a"}] * 501)
    assert code(many) == "ValidationException"


def _put_in_function(
    emulator: Emulator, curated: Curated, event_ids: list[str]
) -> dict[str, object]:
    firehose = emulator.client("firehose", curated.writer)
    with FaultInjector.in_function():  # what Write's calls are: eligible for faults
        answer: dict[str, object] = firehose.put_record_batch(
            DeliveryStreamName=curated.stream,
            Records=data(*[row(e, user_id="faults") for e in event_ids]),
        )
    return answer


def test_injected_faults_fail_records_calls_and_answers(emu: Emulator, curated: Curated) -> None:
    stream = emu.firehose.get(curated.stream)
    ids = [f"f{i}" for i in range(20)]
    before = len(stream.buffer)
    with faulted(emu, "throttle"):
        answer = _put_in_function(emu, curated, ids)
        untouched = emu.client("firehose", curated.writer).put_record_batch(  # not a function's
            DeliveryStreamName=curated.stream, Records=data(row("harness", user_id="faults"))
        )
    responses = answer["RequestResponses"]
    assert isinstance(responses, list)
    failed = [i for i, r in enumerate(responses) if "ErrorCode" in r]
    assert 0 < len(failed) == answer["FailedPutCount"]
    assert {responses[i]["ErrorCode"] for i in failed} == {"ServiceUnavailableException"}
    assert all("RecordId" in r for i, r in enumerate(responses) if i not in failed)
    buffered = [json.loads(r.data)["event_id"] for r in stream.buffer[before:]]
    assert buffered == [e for i, e in enumerate(ids) if i not in failed] + ["harness"]
    assert untouched["FailedPutCount"] == 0
    with faulted(emu, "server_error"), pytest.raises(ClientError) as whole:
        _put_in_function(emu, curated, ["whole"])
    assert code(whole) == "ServiceUnavailableException"
    assert len(stream.buffer) == before + len(buffered)  # nothing of the failed call
    with faulted(emu, "timeout"), pytest.raises(ReadTimeoutError):
        _put_in_function(emu, curated, ["lost-answer"])
    assert json.loads(stream.buffer[-1].data)["event_id"] == "lost-answer"  # carried out


def test_a_delivery_during_a_functions_call_is_firehoses_not_the_functions(emu: Emulator) -> None:
    at_once = deploy_curated(emu, "at-once", interval=0)  # delivered during PutRecordBatch
    firehose = emu.client("firehose", at_once.writer)
    with faulted(emu, "server_error", target="s3"), FaultInjector.in_function():
        firehose.put_record_batch(DeliveryStreamName=at_once.stream, Records=[{"Data": b"{"}])
    [delivery] = emu.firehose.get(at_once.stream).deliveries
    assert delivery.failed == 1
    assert delivery.error_key is not None  # its S3 write was not one of the function's calls
    emu.client("s3").head_object(Bucket=at_once.bucket, Key=delivery.error_key)
