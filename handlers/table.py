"""DynamoDB adapter: BatchWriteItem in chunks of 25, no duplicate keys, bounded retries.

A re-delivery (a raw object Ingest had already stored, or a replay) is first-write-wins: the keys
are read first with BatchGetItem (chunks of 100, key attributes only) and only absent items are
written, so the table is left byte-for-byte unchanged. First deliveries write blind (no read cost).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Context, Inexact, Rounded
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import client, map_aws_error
from handlers.errors import TransientAwsError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, WriteRequestTypeDef

CHUNK = 25  # BatchWriteItem limit
GET_CHUNK = 100  # BatchGetItem limit
KEY_ATTRIBUTES = ("user_id", "event_time")  # PK, SK
MAX_ATTEMPTS = 6
BASE_DELAY = 0.05
MAX_DELAY = 2.0
_DECIMAL = Context(prec=38, traps=[Inexact, Rounded])
_INT_LIMIT = 10**38  # DynamoDB numbers: 38 significant digits
_serializer = TypeSerializer()


@dataclass(frozen=True)
class WriteResult:
    written: int
    duplicates_removed: int
    already_present: int = 0


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


def dedupe(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Items with distinct (PK, SK), the last one of each key winning, in first-seen key order."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in items:
        by_key[tuple(item[a] for a in KEY_ATTRIBUTES)] = item
    return list(by_key.values()), len(items) - len(by_key)


def backoff(attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Exponential backoff with full jitter."""
    return rng(0.0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


def attribute_value(value: Any) -> Any:
    """The DynamoDB AttributeValue of a JSON value: `TypeSerializer().serialize(to_dynamo(value))`.

    Strings, booleans, null, integers within 38 digits, maps and lists are built directly (the
    same result); anything else (floats, larger integers, other types) goes through boto3's
    TypeSerializer, with its checks and errors.
    """
    cls = type(value)
    if cls is str:
        return {"S": value}
    if cls is dict:
        return {"M": {str(k): attribute_value(v) for k, v in value.items()}}
    if cls is bool:
        return {"BOOL": value}
    if cls is int and -_INT_LIMIT < value < _INT_LIMIT:
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if cls is list:
        return {"L": [attribute_value(v) for v in value]}
    return _serializer.serialize(to_dynamo(value))


def put_request(
    item: dict[str, Any], lineage: Mapping[str, Any] | None = None
) -> WriteRequestTypeDef:
    """The BatchWriteItem PutRequest that stores one curated item.

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
    return {"PutRequest": {"Item": stored}}


def write_chunk(
    table: str,
    requests: list[WriteRequestTypeDef],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write <= 25 requests, retrying UnprocessedItems; TransientAwsError when attempts run out."""
    pending = requests
    for attempt in range(max_attempts):
        try:
            response = client("dynamodb").batch_write_item(RequestItems={table: pending})
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"dynamodb:BatchWriteItem {table}") from exc
        unprocessed: Any = response.get("UnprocessedItems", {}).get(table, [])
        pending = list(unprocessed)
        if not pending:
            return
        if attempt + 1 < max_attempts:
            sleep(backoff(attempt))
    raise TransientAwsError(
        f"dynamodb:BatchWriteItem {table}: {len(pending)} items still unprocessed "
        f"after {max_attempts} attempts"
    )


Key = tuple[str, str]


def present_chunk(
    table: str,
    keys: list[Key],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> set[Key]:
    """Which of <= 100 keys exist (BatchGetItem of the key attributes, UnprocessedKeys retried)."""
    pk, sk = KEY_ATTRIBUTES
    request: KeysAndAttributesTypeDef = {
        "Keys": [{pk: {"S": user}, sk: {"S": time_key}} for user, time_key in keys],
        "ProjectionExpression": "#pk, #sk",
        "ExpressionAttributeNames": {"#pk": pk, "#sk": sk},
    }
    found: set[Key] = set()
    for attempt in range(max_attempts):
        try:
            response = client("dynamodb").batch_get_item(RequestItems={table: request})
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_error(exc, f"dynamodb:BatchGetItem {table}") from exc
        for item in response.get("Responses", {}).get(table, []):
            found.add((str(item[pk]["S"]), str(item[sk]["S"])))
        unprocessed: Any = response.get("UnprocessedKeys", {}).get(table)
        if not unprocessed or not unprocessed.get("Keys"):
            return found
        request = unprocessed
        if attempt + 1 < max_attempts:
            sleep(backoff(attempt))
    raise TransientAwsError(
        f"dynamodb:BatchGetItem {table}: {len(request['Keys'])} keys still unprocessed "
        f"after {max_attempts} attempts"
    )


def write_items(
    table: str,
    items: list[dict[str, Any]],
    *,
    lineage: Mapping[str, Any] | None = None,
    redelivery: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    """Write the items, `lineage` merged into each (put_request); on a re-delivery only those
    whose key is absent (first write wins)."""
    unique, removed = dedupe(items)
    present = 0
    if redelivery:
        keys: list[Key] = [(item[KEY_ATTRIBUTES[0]], item[KEY_ATTRIBUTES[1]]) for item in unique]
        found: set[Key] = set()
        for start in range(0, len(keys), GET_CHUNK):
            chunk = keys[start : start + GET_CHUNK]
            found |= present_chunk(table, chunk, max_attempts=max_attempts, sleep=sleep)
        absent = [item for item, key in zip(unique, keys, strict=True) if key not in found]
        present = len(unique) - len(absent)
        unique = absent
    for start in range(0, len(unique), CHUNK):
        requests = [put_request(item, lineage) for item in unique[start : start + CHUNK]]
        write_chunk(table, requests, max_attempts=max_attempts, sleep=sleep)
    return WriteResult(written=len(unique), duplicates_removed=removed, already_present=present)
