"""Make moto judge like AWS where the pipeline depends on it.

Bucket policies: moto evaluates a bucket policy's ``Deny`` without its ``Condition`` context, so a
TLS-only policy (``Deny`` when ``aws:SecureTransport`` is ``false``) refuses every request. Here the
condition is evaluated against the request's real transport (https in-process; http through
``serve``, which a TLS-only bucket then refuses — as AWS would).

moto 5.2.5 refuses a BatchWriteItem only when two *whole items* are identical; DynamoDB refuses
the whole request as soon as two requests for one table share a *key* (ValidationException
"Provided list of item keys contains duplicates"). The pipeline dedupes per request, so the harness
must be as strict.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

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
def strict_dynamodb() -> Iterator[None]:
    original: Callable[[Any], Any] = DynamoHandler.batch_write_item

    def batch_write_item(self: Any) -> Any:
        check_batch_write_keys(self)
        return original(self)

    DynamoHandler.batch_write_item = batch_write_item
    try:
        yield
    finally:
        DynamoHandler.batch_write_item = original


_request = threading.local()


def _condition_holds(condition: dict[str, Any] | None, context: dict[str, str]) -> bool:
    """Bool/StringEquals on known keys are evaluated; anything else is assumed to hold (moto)."""
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            if key not in context or operator not in ("Bool", "StringEquals"):
                continue
            values = expected if isinstance(expected, list) else [expected]
            if context[key] not in [str(v).lower() if operator == "Bool" else v for v in values]:
                return False
    return True


def bucket_permission(bucket: Any, action: str, resource: str) -> Any:
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(bucket.policy.decode())
    statements = policy.get("Statement", [])
    context = {"aws:SecureTransport": "true" if getattr(_request, "secure", True) else "false"}
    applicable = [
        {k: v for k, v in statement.items() if k != "Condition"}
        for statement in (statements if isinstance(statements, list) else [statements])
        if _condition_holds(statement.get("Condition"), context)
    ]
    if not applicable:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**policy, "Statement": applicable})).is_action_permitted(
        action, resource
    )


@contextmanager
def bucket_policy_conditions() -> Iterator[None]:
    original_permission = FakeBucket.get_permission
    original_key_response = S3Response._key_response

    def key_response(self: Any, request: Any, full_url: str) -> Any:
        _request.secure = full_url.startswith("https://")
        return original_key_response(self, request, full_url)

    FakeBucket.get_permission = bucket_permission
    S3Response._key_response = key_response
    try:
        yield
    finally:
        FakeBucket.get_permission = original_permission
        S3Response._key_response = original_key_response
