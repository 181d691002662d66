"""The suppression list and its salt, as Ingest reads them (adapters).

- `salt(secret_arn)`: the salt's SecretString (GetSecretValue), read once per sandbox: it never
  changes (every hash on the list depends on it).
- `suppressed(table, hashes)`: which of the hashes are on the list — BatchGetItem, at most 100 keys
  per request (DynamoDB's limit), strongly consistent (a user suppressed a moment ago is found),
  projecting the key only; unprocessed keys are asked again with backoff, then TransientAwsError.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import client, map_aws_error
from handlers.errors import PermanentAwsError, TransientAwsError
from handlers.table import backoff

HASH_KEY: Final = "user_hash"
BATCH_GET_LIMIT: Final = 100  # keys per BatchGetItem (DynamoDB API reference, BatchGetItem)
MAX_ATTEMPTS: Final = 6
_salts: dict[str, bytes] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Lookup:
    """The hashes found on the list and the BatchGetItem requests it took."""

    suppressed: frozenset[str]
    requests: int


def salt(secret_arn: str) -> bytes:
    with _lock:
        cached = _salts.get(secret_arn)
    if cached is not None:
        return cached
    try:
        value = client("secretsmanager").get_secret_value(SecretId=secret_arn)
    except (ClientError, BotoCoreError) as exc:
        raise map_aws_error(exc, f"secretsmanager:GetSecretValue {secret_arn}") from exc
    text = value.get("SecretString")
    if not isinstance(text, str) or not text:
        raise PermanentAwsError(f"secret {secret_arn} holds no salt (SecretString is empty)")
    data = text.encode("utf-8")
    with _lock:
        _salts[secret_arn] = data
    return data


def suppressed(
    table: str,
    hashes: Collection[str],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Lookup:
    """Which of `hashes` are on the suppression list (no request when there are none)."""
    wanted = sorted(set(hashes))
    found: set[str] = set()
    requests = 0
    dynamodb = client("dynamodb")
    operation = f"dynamodb:BatchGetItem {table}"
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        keys: list[Any] = [{HASH_KEY: {"S": h}} for h in wanted[start : start + BATCH_GET_LIMIT]]
        for attempt in range(max_attempts):
            request: Any = {
                table: {
                    "Keys": keys,
                    "ConsistentRead": True,
                    "ProjectionExpression": "#h",
                    "ExpressionAttributeNames": {"#h": HASH_KEY},
                }
            }
            requests += 1
            try:
                response: Any = dynamodb.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as exc:
                mapped = map_aws_error(exc, operation)
                if isinstance(mapped, TransientAwsError) and attempt + 1 < max_attempts:
                    sleep(backoff(attempt))
                    continue
                raise mapped from exc
            found.update(row[HASH_KEY]["S"] for row in response.get("Responses", {}).get(table, []))
            keys = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            if not keys:
                break
            if attempt + 1 == max_attempts:
                raise TransientAwsError(f"{operation}: {len(keys)} keys still unprocessed")
            sleep(backoff(attempt))
    return Lookup(frozenset(found), requests)
