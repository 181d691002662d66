"""Write feeds the curated table's Firehose stream (moto): every item in the table for the batch —
written now, or already present as stored — and never a conflicting duplicate; a Firehose failure
after the table writes is retried by running Write again, which sends the same rows."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from handlers import curated, firehose, retention, write
from handlers.errors import PermanentAwsError, TransientAwsError
from tests.handlers.conftest import REGION
from tests.handlers.test_write import LATER, LINEAGE, item, payload


def stored(lineage: dict[str, str]) -> dict[str, Any]:
    """What Write merges into every item of a batch: its lineage and expiry (ITEM_RETENTION_DAYS
    is 30 in tests/handlers/conftest.py)."""
    expiry = retention.expires_at(lineage["received_at"], 30)
    return {**lineage, retention.EXPIRY_ATTRIBUTE: expiry}


pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
STREAM = "activity-pipeline-test-curated"
SINK = "curated-sink-test"


@pytest.fixture
def stream(s3: Any, dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A DirectPut stream whose records moto writes to SINK as they arrive (concatenated)."""
    s3.create_bucket(Bucket=SINK)
    boto3.client("firehose", region_name=REGION).create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": f"arn:aws:s3:::{SINK}",
        },
    )
    monkeypatch.setenv("CURATED_STREAM", STREAM)
    return s3


def delivered(s3: Any) -> list[bytes]:
    """Every record delivered, re-encoded as record_bytes encodes (one object per call)."""
    decoder = json.JSONDecoder()
    records = []
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=SINK).get("Contents", []))
    for key in keys:
        text = s3.get_object(Bucket=SINK, Key=key)["Body"].read().decode()
        position = 0
        while position < len(text):
            value, position = decoder.raw_decode(text, position)
            records.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    return records


def test_written_and_already_present_items_are_sent_conflicts_never(
    stream: Any, lambda_context: Any
) -> None:
    a = item("u1", "2024-05-01T10:00:00.000Z#a", content="A", properties={"price": 5.0})
    b = item("u1", "2024-05-01T10:00:01.000Z#b", content="B", raw_index=1)
    first = write.handler(payload([a, b, a]), lambda_context)
    assert (first["written"], first["duplicates_removed"], first["curated_sent"]) == (2, 1, 2)

    forged = {**b, "content_hash": "X", "page": "/forged"}
    c = item("u2", "2024-05-01T11:00:00.000Z#c", content="C", raw_index=2)
    again = write.handler(payload([a, forged, c], LATER), lambda_context)
    assert (again["written"], again["already_present"], again["conflicting"]) == (1, 1, 1)
    assert again["curated_sent"] == 2

    rows = delivered(stream)  # moto names each call's object by the second and a uuid
    row_a = curated.record_bytes({**a, **stored(LINEAGE)})
    row_b = curated.record_bytes({**b, **stored(LINEAGE)})
    # the already-present item is sent as stored (first lineage, 5.0 stored as 5), byte for byte
    row_c = curated.record_bytes({**c, **stored(LATER)})
    assert sorted(rows) == sorted([row_a, row_b, row_a, row_c])
    assert all(json.loads(r)["page"] != "/forged" for r in rows)


def test_a_firehose_failure_is_transient_and_the_retried_write_sends_the_rows(
    stream: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [item("u1", f"2024-05-01T10:00:0{i}.000Z#e{i}", content=f"h{i}") for i in range(3)]
    real = firehose.put_call

    def failing(*args: Any, **kwargs: Any) -> None:
        raise TransientAwsError("firehose:PutRecordBatch: 3 of 3 records failed")

    monkeypatch.setattr(firehose, "put_call", failing)
    with pytest.raises(TransientAwsError):
        write.handler(payload(items), lambda_context)
    assert delivered(stream) == []

    monkeypatch.setattr(firehose, "put_call", real)
    out = write.handler(payload(items), lambda_context)  # the state machine's retry
    assert (out["written"], out["already_present"], out["curated_sent"]) == (0, 3, 3)
    assert sorted(delivered(stream)) == sorted(
        curated.record_bytes({**i, **stored(LINEAGE)}) for i in items
    )


def test_a_missing_stream_is_permanent(
    stream: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURATED_STREAM", "activity-pipeline-test-nothere")
    with pytest.raises(PermanentAwsError, match="ResourceNotFoundException"):
        write.handler(payload([item("u1", "2024-05-01T10:00:00.000Z#a")]), lambda_context)


def test_without_the_curated_table_nothing_is_sent(
    stream: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURATED_STREAM", write.NO_CURATED_STREAM)
    out = write.handler(payload([item("u1", "2024-05-01T10:00:00.000Z#a")]), lambda_context)
    assert (out["written"], out["curated_sent"]) == (1, 0)
    assert delivered(stream) == []


def test_a_stored_item_that_is_no_row_is_refused() -> None:
    with pytest.raises(write.BatchRejected, match="is no curated row"):
        write.curated_records([{"user_id": "u", "event_time": "t#1"}])
