"""The Batch function's packing as the bench measures it: records, chunks, their limits."""

from __future__ import annotations

import json

import pytest

from benchmarks import packing
from benchmarks.workload import fits_records_limit, make_events, record_text


def bodies(count: int) -> list[str]:
    return [record_text(e) for e in make_events(count, seed=5, nonce="p")]


def test_a_record_is_shaped_as_the_mapping_delivers_it_and_costs_more_than_its_body() -> None:
    body = bodies(1)[0]
    record = packing.sqs_record(body, 3)
    assert record["body"] == body
    assert record["eventSource"] == "aws:sqs"
    assert len(record["receiptHandle"]) == 1024
    assert len(record["md5OfBody"]) == 32
    assert packing.record_bytes(body) > len(body) + 1024
    event = json.loads(packing.sqs_event([body, body]))
    assert [r["messageId"] for r in event["Records"]][1].startswith("00000001")


def test_pack_keeps_order_and_max_events_and_each_chunk_fits() -> None:
    texts = bodies(120)
    chunks = packing.pack(packing.sqs_event(texts), 50)
    assert [len(c) for c in chunks] == [50, 50, 20]
    assert [t for c in chunks for t in c] == texts
    assert all(fits_records_limit([json.loads(t) for t in c]) for c in chunks)


def test_pack_splits_by_size_when_the_payload_limit_binds_first() -> None:
    big = [
        json.dumps({"user_id": f"u{i}", "action": "view", "pad": "x" * 30_000}) for i in range(20)
    ]
    chunks = packing.pack(packing.sqs_event(big), 500)
    assert len(chunks) > 1
    assert [t for c in chunks for t in c] == big
    assert all(fits_records_limit([json.loads(t) for t in c]) for c in chunks)


def test_a_workload_body_that_cannot_travel_is_an_error_not_a_silent_drop() -> None:
    with pytest.raises(ValueError, match="must all travel"):
        packing.pack(packing.sqs_event(["x" * 300_000]), 500)
