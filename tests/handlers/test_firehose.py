"""The Firehose adapter: chunks within PutRecordBatch's limits, failed records sent again (only
they) with backoff, whole-call errors mapped by code (botocore Stubber: FailedPutCount and
per-record ErrorCodes are what AWS answers and moto never does)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from handlers import firehose
from handlers.errors import PermanentAwsError, TransientAwsError

STREAM = "activity-pipeline-test-curated"


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("firehose", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _ok(count: int) -> dict[str, Any]:
    return {
        "FailedPutCount": 0,
        "Encrypted": False,
        "RequestResponses": [{"RecordId": f"r{i}"} for i in range(count)],
    }


def _expect(stubber: Stubber, records: list[bytes], response: dict[str, Any]) -> None:
    stubber.add_response(
        "put_record_batch",
        response,
        {"DeliveryStreamName": STREAM, "Records": [{"Data": r} for r in records]},
    )


def test_chunks_keep_order_within_500_records_and_4_mib() -> None:
    small = [b"x" * 10 for _ in range(1_001)]
    assert [len(c) for c in firehose.chunks(small)] == [500, 500, 1]
    big = [bytes([i]) * 1_000_000 for i in range(9)]  # 4 fit in 4 MiB (4,194,304 bytes)
    runs = list(firehose.chunks(big))
    assert [len(c) for c in runs] == [4, 4, 1]
    assert [r for run in runs for r in run] == big
    full = [b"y" * firehose.MAX_RECORD_BYTES] * 4  # 4,096,000 bytes; 98,304 more is 4 MiB
    assert [len(c) for c in firehose.chunks([*full, b"z" * 98_304])] == [5]
    assert [len(c) for c in firehose.chunks([*full, b"z" * 98_305])] == [4, 1]
    assert list(firehose.chunks([])) == []


def test_a_record_over_1000_kib_is_refused_before_anything_is_sent() -> None:
    records = [b"ok", b"n" * (firehose.MAX_RECORD_BYTES + 1)]
    with pytest.raises(PermanentAwsError, match="record 1 is 1024001 bytes"):
        firehose.chunks(records)


def test_failed_records_alone_are_sent_again(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    records = [b"a", b"b", b"c"]
    _expect(
        stubber,
        records,
        {
            "FailedPutCount": 2,
            "RequestResponses": [
                {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "slow down"},
                {"RecordId": "r1"},
                {"ErrorCode": "InternalFailure", "ErrorMessage": "oops"},
            ],
        },
    )
    _expect(stubber, [b"a", b"c"], _ok(2))
    delays: list[float] = []
    firehose.put_call(client, STREAM, records, sleep=delays.append)
    assert len(delays) == 1
    assert 0 <= delays[0] <= firehose.BASE_DELAY


def test_records_failing_every_attempt_are_a_transient_error(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    failing = {
        "FailedPutCount": 1,
        "RequestResponses": [{"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "x"}],
    }
    for _ in range(3):
        _expect(stubber, [b"a"], failing)
    with pytest.raises(TransientAwsError, match=r"1 of 1 records failed .*after 3 attempts"):
        firehose.put_call(client, STREAM, [b"a"], max_attempts=3, sleep=lambda _: None)


def test_a_throttled_call_is_retried_whole(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "put_record_batch", "ServiceUnavailableException", "busy", http_status_code=503
    )
    _expect(stubber, [b"a", b"b"], _ok(2))
    firehose.put_call(client, STREAM, [b"a", b"b"], sleep=lambda _: None)


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "ResourceNotFoundException", "InvalidArgumentException"]
)
def test_a_refused_call_is_a_permanent_error(stubbed: tuple[Any, Stubber], code: str) -> None:
    client, stubber = stubbed
    stubber.add_client_error("put_record_batch", code, "no", http_status_code=400)
    with pytest.raises(PermanentAwsError, match=code):
        firehose.put_call(client, STREAM, [b"a"], sleep=lambda _: None)


def test_put_records_sends_every_chunk(
    stubbed: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = stubbed
    monkeypatch.setattr(firehose, "client", lambda service: client)
    records = [str(i).encode() for i in range(501)]
    _expect(stubber, records[:500], _ok(500))
    _expect(stubber, records[500:], _ok(1))
    assert firehose.put_records(STREAM, records) == 501
    assert firehose.put_records(STREAM, []) == 0
