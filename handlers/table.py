"""DynamoDB adapter: first write wins, always.

Every item is written with a conditional PutItem (`attribute_not_exists` on the key) and
`ReturnValuesOnConditionCheckFailure=ALL_OLD`, several at a time (WRITE_CONCURRENCY): one write
unit per item of up to 1 KB, no read. When the key is taken, the stored item comes back with the
refusal: the same `content_hash` is `already_present` (the stored item, as it reads back, is kept
for the curated table: handlers.curated), other content is a conflict; the stored item is
untouched either way. Throttling and 5xx answers are retried with backoff (after boto3's
own retries); a write that still fails is a TransientAwsError (the state machine retries Write,
which is safe: what was written is `already_present` then).
"""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Context, Inexact, Rounded
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import client, error_code, map_aws_error
from handlers.errors import TransientAwsError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

KEY_ATTRIBUTES = ("user_id", "event_time")  # PK, SK
CONTENT_HASH = "content_hash"
WRITE_CONCURRENCY = 16
MAX_ATTEMPTS = 6
BASE_DELAY = 0.05
MAX_DELAY = 2.0
CONDITION_FAILED = "ConditionalCheckFailedException"
_DECIMAL = Context(prec=38, traps=[Inexact, Rounded])
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Key = tuple[str, str]


@dataclass(frozen=True)
class Conflict:
    """An item refused because its key holds other content: the stored item's content_hash,
    raw_key and batch_id (None when the other content is an earlier item of the same payload)."""

    item: dict[str, Any]
    stored_hash: str | None = None
    stored_raw_key: str | None = None
    stored_batch_id: str | None = None


@dataclass(frozen=True)
class Present:
    """An item whose key holds the same content already: the stored item as boto3 reads it back
    (numbers as Decimal), lineage included."""

    stored: dict[str, Any]


@dataclass(frozen=True)
class WriteResult:
    """`in_table`: every item of the payload that is in the table now, once per key, as stored —
    the item with its lineage when written now, the stored item when already present."""

    written: int
    duplicates_removed: int
    already_present: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    in_table: list[dict[str, Any]] = field(default_factory=list)


def to_dynamo(value: Any) -> Any:
    """JSON value -> DynamoDB value: floats as Decimal; never sets (empty sets are refused)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return _DECIMAL.create_decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_dynamo(v) for v in value]
    return value


def dedupe(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int, list[Conflict]]:
    """(items with distinct keys, the first of each key kept; how many identical repeats were
    removed; later items of a key with other content, as conflicts)."""
    first: dict[Key, dict[str, Any]] = {}
    conflicts: list[Conflict] = []
    for item in items:
        kept = first.setdefault(key_of(item), item)
        if kept is not item and kept[CONTENT_HASH] != item[CONTENT_HASH]:
            conflicts.append(Conflict(item))
    removed = len(items) - len(first) - len(conflicts)
    return list(first.values()), removed, conflicts


def key_of(item: Mapping[str, Any]) -> Key:
    return item[KEY_ATTRIBUTES[0]], item[KEY_ATTRIBUTES[1]]


def backoff(attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Exponential backoff with full jitter."""
    return rng(0.0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


def attribute_value(value: Any) -> Any:
    """The DynamoDB AttributeValue of a JSON value (boto3's TypeSerializer over to_dynamo)."""
    return _serializer.serialize(to_dynamo(value))


def stored_item(
    item: dict[str, Any], lineage: Mapping[str, Any] | None = None
) -> dict[str, AttributeValueTypeDef]:
    """The DynamoDB item that stores one curated item.

    `item` is an item of Process's output (its per-event attributes); `lineage` is the output's
    `lineage` object (handlers.envelope.LINEAGE_ATTRIBUTES: the batch-level attributes), merged
    into the stored item.
    An item that carries a lineage attribute itself is refused (ValueError): which value to store
    would be ambiguous. Values become DynamoDB attribute values as attribute_value() makes them.
    """
    stored = {k: attribute_value(v) for k, v in item.items()}
    if lineage:
        if not lineage.keys().isdisjoint(item):
            raise ValueError(f"item carries lineage attributes {sorted(set(lineage) & set(item))}")
        for name, value in lineage.items():
            stored[name] = attribute_value(value)
    return stored


def put_first(
    dynamodb: DynamoDBClient,
    table: str,
    item: dict[str, Any],
    lineage: Mapping[str, Any] | None = None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> bool | Present | Conflict:
    """Store `item` unless its key is taken: True when written, Present when the same content is
    stored already, a Conflict when other content is. TransientAwsError when attempts run out."""
    operation = f"dynamodb:PutItem {table}"
    for attempt in range(max_attempts):
        try:
            dynamodb.put_item(
                TableName=table,
                Item=stored_item(item, lineage),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": KEY_ATTRIBUTES[0]},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                old: Any = exc.response.get("Item", {})  # ALL_OLD: the item holding the key
                return _taken(item, old)
            mapped = map_aws_error(exc, operation)
            if isinstance(mapped, TransientAwsError) and attempt + 1 < max_attempts:
                sleep(backoff(attempt))
                continue
            raise mapped from exc
        except BotoCoreError as exc:  # boto3 retried connection errors already
            raise map_aws_error(exc, operation) from exc
        return True
    raise AssertionError("unreachable: the last attempt returns or raises")


def _taken(item: dict[str, Any], stored: Mapping[str, Any]) -> Present | Conflict:
    """Present when the stored item holds the same content, else the Conflict."""

    def text(name: str) -> str | None:
        value = stored.get(name, {})
        return str(value["S"]) if isinstance(value, dict) and "S" in value else None

    stored_hash = text(CONTENT_HASH)
    if stored_hash is not None and stored_hash == item[CONTENT_HASH]:
        return Present({name: _deserializer.deserialize(v) for name, v in stored.items()})
    return Conflict(item, stored_hash, text("raw_key"), text("batch_id"))


def write_items(
    table: str,
    items: list[dict[str, Any]],
    *,
    lineage: Mapping[str, Any] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    concurrency: int = WRITE_CONCURRENCY,
) -> WriteResult:
    """Write the items, `lineage` merged into each (stored_item), first write wins.

    The writes run on `concurrency` threads sharing one client; each runs in a copy of the
    caller's context (contextvars), as the invocation's own calls do.
    """
    unique, removed, conflicts = dedupe(items)
    if not unique:
        return WriteResult(0, removed, 0, conflicts)
    dynamodb = client("dynamodb")

    def put(item: dict[str, Any]) -> bool | Present | Conflict:
        return put_first(dynamodb, table, item, lineage, max_attempts=max_attempts, sleep=sleep)

    workers = max(1, min(concurrency, len(unique)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="put-item") as pool:
        futures = [pool.submit(contextvars.copy_context().run, put, item) for item in unique]
        outcomes = [future.result() for future in futures]
    in_table = [
        outcome.stored if isinstance(outcome, Present) else {**item, **(lineage or {})}
        for item, outcome in zip(unique, outcomes, strict=True)
        if not isinstance(outcome, Conflict)
    ]
    written = sum(1 for outcome in outcomes if outcome is True)
    present = sum(1 for outcome in outcomes if isinstance(outcome, Present))
    conflicts += [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    return WriteResult(written, removed, present, conflicts, in_table)
