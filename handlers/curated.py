"""The curated Iceberg table's row contract (pure): columns, partition spec, unique keys, row().

One source for the Glue table's schema (components/curated.py), the record Write sends to Firehose
(handlers/write.py) and the harness's conversion of records into the table: every attribute a
stored item can carry (docs/architecture.md, "Curated items") is a column here, in this order.

Timestamps: Firehose's Iceberg destination reads a JSON record's timestamp fields as numbers of
microseconds since the Unix epoch ("For Timestamp data types, you must always send in
microseconds": Amazon Data Firehose developer guide, "Understand supported data types" of the
Apache Iceberg destination), so `row()` sends every `timestamptz` column as an integer of epoch
microseconds in UTC — the stored millisecond times times 1,000, never a string.

`properties` is a JSON text: the canonical JSON (sorted keys, no whitespace, UTF-8) of the stored
map, with numbers as DynamoDB stores them (38 significant digits, normalized: `5.0` and `5` are
the number 5), so an item written now and the same item read back from the table (`ALL_OLD` of an
`already_present` write, whose numbers come back as Decimal) give the same row byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

from handlers.canonical import canonical_json
from handlers.times import EPOCH

TABLE_NAME: Final = "curated_events"
IcebergType = Literal["string", "timestamptz", "boolean", "int", "long"]
MICROSECOND: Final = timedelta(microseconds=1)
INT_RANGE: Final = (-(2**31), 2**31 - 1)  # Iceberg `int`: 32-bit signed
LONG_RANGE: Final = (-(2**63), 2**63 - 1)  # Iceberg `long`: 64-bit signed


@dataclass(frozen=True, slots=True)
class Column:
    """An Iceberg field: its id (1.. in order, what the Glue schema and the partition spec name),
    name, Iceberg type, whether every row has it, and what it holds."""

    id: int
    name: str
    type: IcebergType
    required: bool
    doc: str


_SPEC: Final[tuple[tuple[str, IcebergType, bool, str], ...]] = (
    ("user_id", "string", True, "the acting user (the table's partition key)"),
    ("event_time", "string", True, "the sort key as stored: <occurred_at>#<event_id>"),
    ("event_id", "string", True, "the client's idempotency key, or the content hash"),
    ("action", "string", True, "normalized lower snake_case"),
    ("occurred_at", "timestamptz", True, "the event's time, UTC, millisecond precision"),
    ("session_id", "string", False, "the client's session"),
    ("page", "string", False, "page path or URL"),
    ("referrer", "string", False, "referrer URL"),
    ("user_agent", "string", False, "the client's user agent"),
    ("ip", "string", False, "anonymized address (IPv4 /24, IPv6 /48)"),
    ("properties", "string", False, "canonical JSON text of the event's properties"),
    ("late", "boolean", True, "older than the late threshold when received"),
    ("raw_index", "int", True, "line of the event in its raw object"),
    ("content_hash", "string", True, "sha256 prefix of the event's canonical JSON"),
    ("received_at", "timestamptz", True, "when Ingest received the batch"),
    ("processed_at", "timestamptz", True, "when Process curated the batch"),
    ("raw_key", "string", True, "the raw object holding the event as received"),
    ("batch_id", "string", True, "the batch's id (hash of the raw object)"),
    ("execution_id", "string", True, "the execution that stored the item first"),
    ("expires_at", "long", False, "the item's DynamoDB TTL: epoch seconds (handlers.retention)"),
)
COLUMNS: Final = tuple(
    Column(index, name, typ, required, doc)
    for index, (name, typ, required, doc) in enumerate(_SPEC, start=1)
)
COLUMN_NAMES: Final = tuple(column.name for column in COLUMNS)
_BY_NAME: Final = {column.name: column for column in COLUMNS}


@dataclass(frozen=True, slots=True)
class PartitionField:
    """An Iceberg partition field: source column, transform, the field's name and id (1000..)."""

    source: str
    transform: Literal["day", "hour", "identity"]
    name: str
    field_id: int

    @property
    def source_id(self) -> int:
        return _BY_NAME[self.source].id


# One partition per UTC day of the event's own time: queries filter on occurred_at ranges, and a
# day holds enough rows for files worth compacting (hours would multiply small files).
PARTITION: Final = (PartitionField("occurred_at", "day", "occurred_at_day", 1000),)
# Firehose upserts by these (a re-delivered, replayed or re-sent item replaces its one row).
# `event_time` (<occurred_at>#<event_id>, the sort key) makes a row's key the item's key: one user's
# two events with one event_id at different times are two items of the table, so two rows here —
# by (event_id, user_id) alone the later would replace the earlier's row.
UNIQUE_KEYS: Final = ("event_id", "user_id", "event_time")


class RowError(ValueError):
    """A stored item that does not fit the row contract (an unknown attribute, a missing
    required one, or a value of the wrong type)."""


def epoch_micros(text: str) -> int:
    """`YYYY-MM-DDTHH:MM:SS.sssZ` (the stored form) -> microseconds since the epoch, UTC."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise RowError(f"not a stored UTC time YYYY-MM-DDTHH:MM:SS.sssZ: {text!r}") from None
    return (moment - EPOCH) // MICROSECOND


def json_number(value: Decimal | int | float) -> int | float:
    """A number as DynamoDB stores it (38 significant digits, normalized), as a JSON number: an
    integral value as an int, another as the float it came from (its repr has <= 17 digits)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def stored_value(value: Any) -> Any:
    """A JSON value as it reads back from the table: numbers normalized (json_number), Decimals
    (boto3's TypeDeserializer) included; maps and lists element by element."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal | int | float):
        return json_number(value)
    if isinstance(value, Mapping):
        return {str(k): stored_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stored_value(v) for v in value]
    raise RowError(f"not a JSON value: {type(value).__name__}")


def _cell(column: Column, value: Any) -> Any:
    if column.type == "timestamptz":
        return epoch_micros(value)
    if column.type == "boolean":
        if not isinstance(value, bool):
            raise RowError(f"{column.name} must be a boolean, got {type(value).__name__}")
        return value
    if column.type in ("int", "long"):
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise RowError(f"{column.name} must be an integer, got {type(value).__name__}")
        number = json_number(value)
        low, high = INT_RANGE if column.type == "int" else LONG_RANGE
        if not isinstance(number, int) or not low <= number <= high:
            bits = 32 if column.type == "int" else 64
            raise RowError(f"{column.name} must be a {bits}-bit integer, got {value!r}")
        return number
    if column.name == "properties":
        if not isinstance(value, Mapping):
            raise RowError(f"properties must be a map, got {type(value).__name__}")
        return canonical_json(stored_value(value))
    if not isinstance(value, str):
        raise RowError(f"{column.name} must be a string, got {type(value).__name__}")
    return value


def row(item: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON record of one stored item (its lineage merged in), every column present in COLUMNS
    order: an optional attribute the item lacks is null. Values may be the Python JSON values of
    Write's payload or what boto3 reads back from DynamoDB (Decimal numbers): the record is the
    same. RowError for an attribute that is not a column, a required one missing, a wrong type."""
    unknown = sorted(set(item) - set(COLUMN_NAMES))
    if unknown:
        raise RowError(f"item attributes without a column: {unknown}")
    record: dict[str, Any] = {}
    for column in COLUMNS:
        value = item.get(column.name)
        if value is None:
            if column.required:
                raise RowError(f"item lacks the required attribute {column.name}")
            record[column.name] = None
            continue
        record[column.name] = _cell(column, value)
    return record


def record_bytes(item: Mapping[str, Any]) -> bytes:
    """The Firehose record of one stored item: row() as compact JSON, UTF-8 (a lone surrogate,
    which only a rejected event can hold, is refused by the encoder rather than sent broken)."""
    return json.dumps(row(item), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
