"""DynamoDB: BatchWriteItem refuses a request that repeats a key.

moto 5.2.5 refuses a BatchWriteItem only when two *whole items* are identical; DynamoDB refuses
the whole request as soon as two requests for one table share a *key* (ValidationException
"Provided list of item keys contains duplicates", DynamoDB API reference, BatchWriteItem).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.responses import DynamoHandler

DUPLICATE_KEYS_MESSAGE = "Provided list of item keys contains duplicates"


def _key_of(request: dict[str, Any], key_names: list[str]) -> str | None:
    if "PutRequest" in request:
        item = request["PutRequest"].get("Item", {})
    elif "DeleteRequest" in request:
        item = request["DeleteRequest"].get("Key", {})
    else:
        return None
    return json.dumps({name: item.get(name) for name in key_names}, sort_keys=True)


def check_batch_write_keys(handler: Any) -> None:
    """Raise ValidationException when one table's requests repeat a primary key."""
    request_items: dict[str, list[dict[str, Any]]] = handler.body.get("RequestItems", {}) or {}
    for table_name, requests in request_items.items():
        table = handler.dynamodb_backend.get_table(table_name)
        key_names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
        seen: set[str] = set()
        for request in requests:
            key = _key_of(request, key_names)
            if key is None:
                continue
            if key in seen:
                raise MockValidationException(DUPLICATE_KEYS_MESSAGE)
            seen.add(key)


@contextmanager
def batch_write_keys() -> Iterator[None]:
    original: Callable[[Any], Any] = DynamoHandler.batch_write_item

    def batch_write_item(self: Any) -> Any:
        check_batch_write_keys(self)
        return original(self)

    DynamoHandler.batch_write_item = batch_write_item
    try:
        yield
    finally:
        DynamoHandler.batch_write_item = original
