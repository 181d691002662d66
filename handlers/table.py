"""DynamoDB adapter: BatchWriteItem in chunks of 25, no duplicate keys, bounded retries."""

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
    from mypy_boto3_dynamodb.type_defs import WriteRequestTypeDef

CHUNK = 25  # BatchWriteItem limit
KEY_ATTRIBUTES = ("user_id", "event_time")  # PK, SK
MAX_ATTEMPTS = 6
BASE_DELAY = 0.05
MAX_DELAY = 2.0
_DECIMAL = Context(prec=38, traps=[Inexact, Rounded])
_serializer = TypeSerializer()


@dataclass(frozen=True)
class WriteResult:
    written: int
    duplicates_removed: int


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


def _put_request(item: dict[str, Any]) -> WriteRequestTypeDef:
    serialized = {k: _serializer.serialize(to_dynamo(v)) for k, v in item.items()}
    return {"PutRequest": {"Item": serialized}}


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


def write_items(
    table: str,
    items: list[dict[str, Any]],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    unique, removed = dedupe(items)
    for start in range(0, len(unique), CHUNK):
        requests = [_put_request(item) for item in unique[start : start + CHUNK]]
        write_chunk(table, requests, max_attempts=max_attempts, sleep=sleep)
    return WriteResult(written=len(unique), duplicates_removed=removed)
