"""The curated table's row contract: columns, partition spec, unique keys, and row() for items as
Write holds them and as they read back from DynamoDB."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from handlers import curated, retention, table
from handlers.curate import OPTIONAL_TEXT_FIELDS
from handlers.envelope import LINEAGE_ATTRIBUTES

ITEM: dict[str, Any] = {
    "user_id": "u-1",
    "event_time": "2025-11-20T14:03:12.345Z#pv-1",
    "event_id": "pv-1",
    "action": "page_view",
    "occurred_at": "2025-11-20T14:03:12.345Z",
    "session_id": "s-1",
    "page": "/products/42",
    "ip": "203.0.113.0",
    "properties": {"b": [1, 2.5, 5.0], "a": {"x": "é"}, "n": 1e20},
    "late": False,
    "raw_index": 3,
    "content_hash": "c" * 32,
    "received_at": "2025-11-20T14:05:00.000Z",
    "processed_at": "2025-11-20T14:05:01.250Z",
    "raw_key": "ingest/yyyy=2025/mm=11/dd=20/hh=14/" + "b" * 32 + ".json",
    "batch_id": "b" * 32,
    "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:b-1",
}


def test_columns_cover_every_stored_attribute_in_order() -> None:
    stored = (
        "user_id", "event_time", "event_id", "action", "occurred_at", *OPTIONAL_TEXT_FIELDS,
        "ip", "properties", "late", "raw_index", "content_hash", *LINEAGE_ATTRIBUTES,
        retention.EXPIRY_ATTRIBUTE,
    )  # fmt: skip
    assert set(curated.COLUMN_NAMES) == set(stored)
    assert [c.id for c in curated.COLUMNS] == list(range(1, len(curated.COLUMNS) + 1))
    types = {c.name: (c.type, c.required) for c in curated.COLUMNS}
    assert types["occurred_at"] == ("timestamptz", True)
    assert types["received_at"] == types["processed_at"] == ("timestamptz", True)
    assert types["late"] == ("boolean", True)
    assert types["raw_index"] == ("int", True)
    assert types["properties"] == ("string", False)
    assert types["expires_at"] == ("long", False)
    assert [n for n, (_, req) in types.items() if not req] == [
        "session_id", "page", "referrer", "user_agent", "ip", "properties", "expires_at",
    ]  # fmt: skip
    assert all(len(c.doc) <= 255 for c in curated.COLUMNS)  # Glue's limit on a field's doc


def test_partition_and_unique_keys() -> None:
    (field,) = curated.PARTITION
    assert (field.source, field.transform, field.field_id) == ("occurred_at", "day", 1000)
    assert field.source_id == 5
    assert curated.UNIQUE_KEYS == ("event_id", "user_id", "event_time")
    assert all(curated._BY_NAME[k].required for k in curated.UNIQUE_KEYS)


def test_row_sends_timestamps_as_epoch_microseconds_and_properties_as_json_text() -> None:
    record = curated.row(ITEM)
    assert list(record) == list(curated.COLUMN_NAMES)
    assert record["occurred_at"] == 1_763_647_392_345_000
    assert record["received_at"] == 1_763_647_500_000_000
    assert record["processed_at"] == 1_763_647_501_250_000
    assert record["properties"] == '{"a":{"x":"é"},"b":[1,2.5,5],"n":100000000000000000000}'
    assert record["referrer"] is None
    assert record["user_agent"] is None
    assert record["late"] is False
    assert record["raw_index"] == 3
    assert json.loads(curated.record_bytes(ITEM)) == record


def test_row_of_an_item_read_back_from_dynamodb_is_the_same() -> None:
    stored = table.stored_item({k: v for k, v in ITEM.items() if k not in LINEAGE_ATTRIBUTES},
                               {k: ITEM[k] for k in LINEAGE_ATTRIBUTES})  # fmt: skip
    deserializer = TypeDeserializer()
    read_back = {k: deserializer.deserialize(v) for k, v in stored.items()}
    assert isinstance(read_back["raw_index"], Decimal)
    assert curated.record_bytes(read_back) == curated.record_bytes(ITEM)


def test_epoch_times() -> None:
    assert curated.epoch_micros("1970-01-01T00:00:00.001Z") == 1000
    assert curated.epoch_micros("1969-12-31T23:59:59.999Z") == -1000
    for bad in ("2025-11-20T14:03:12Z", "2025-11-20T14:03:12.345+01:00", 17):
        with pytest.raises(curated.RowError):
            curated.epoch_micros(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surprise": 1}, "without a column"),
        ({"occurred_at": None}, "required attribute occurred_at"),
        ({"late": "no"}, "late must be a boolean"),
        ({"raw_index": True}, "raw_index must be an integer"),
        ({"raw_index": 2**31}, "32-bit"),
        ({"page": 5}, "page must be a string"),
        ({"properties": [1]}, "properties must be a map"),
    ],
)
def test_row_refuses_what_does_not_fit(change: dict[str, Any], message: str) -> None:
    item = {k: v for k, v in {**ITEM, **change}.items() if v is not None}
    with pytest.raises(curated.RowError, match=message):
        curated.row(item)


def test_stored_numbers_are_normalized() -> None:
    assert curated.json_number(5.0) == 5
    assert isinstance(curated.json_number(5.0), int)
    assert curated.json_number(Decimal("5.000")) == 5
    assert curated.json_number(0.1) == 0.1
    assert curated.json_number(Decimal("0.1")) == 0.1
    assert curated.stored_value({"a": [Decimal("2.50"), True, None]}) == {"a": [2.5, True, None]}
    with pytest.raises(curated.RowError):
        curated.stored_value({1, 2})
