"""Write's path against moto, in process: first write wins versus the blind BatchWriteItem it
replaced, on the same curated items.

- first write wins: ``handlers.table.write_items`` (a conditional PutItem per item with
  ALL_OLD, WRITE_CONCURRENCY at a time), for a first delivery and for the same batch sent again
  (every key taken: ``already_present``);
- baseline: BatchWriteItem in chunks of 25, UnprocessedItems retried, no condition (what Write
  did before; it overwrote a stored item with whatever came later).

Per batch size: wall time per batch (p50/p99 over ``repeats`` fresh batches), requests per item
and write request units per item, counted from the API calls by benchmarks.counting. DynamoDB
bills a conditional write that fails its condition like a write (1 WRU per started KB).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from benchmarks.counting import OperationLog, counting
from benchmarks.stats import percentile
from benchmarks.workload import make_events
from handlers import aws, keys, table
from handlers.canonical import to_ndjson
from handlers.curate import Lineage, curate_body
from handlers.times import EPOCH

TABLE = "bench-write-path"
REGION = "us-east-1"
CHUNK = 25


@contextmanager
def dynamodb_table() -> Iterator[Any]:
    """A fresh on-demand table in moto, clients of handlers.aws pointed at it."""
    env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": REGION}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with mock_aws():
            aws.reset_clients()
            client = boto3.client("dynamodb", region_name=REGION)
            client.create_table(
                TableName=TABLE,
                KeySchema=[
                    {"AttributeName": "user_id", "KeyType": "HASH"},
                    {"AttributeName": "event_time", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "user_id", "AttributeType": "S"},
                    {"AttributeName": "event_time", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            yield client
    finally:
        aws.reset_clients()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def curated_batch(size: int, nonce: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(Process's items, its lineage) for `size` fresh typical events."""
    now = datetime.now(UTC)
    body = to_ndjson(make_events(size, seed=size, nonce=nonce, now=now))
    batch = keys.raw_batch_id(body)
    lineage = Lineage(f"ingest/x/{batch}.json", batch, "arn:bench", now, now, 72, EPOCH)
    return curate_body(body, lineage).items, lineage.attributes()


def blind_batch_write(items: list[dict[str, Any]], lineage: dict[str, str]) -> None:
    """The baseline: BatchWriteItem in chunks of 25, UnprocessedItems sent again."""
    client = aws.client("dynamodb")
    unique, _, _ = table.dedupe(items)
    for start in range(0, len(unique), CHUNK):
        pending: Any = [
            {"PutRequest": {"Item": table.stored_item(item, lineage)}}
            for item in unique[start : start + CHUNK]
        ]
        while pending:
            response = client.batch_write_item(RequestItems={TABLE: pending})
            pending = response.get("UnprocessedItems", {}).get(TABLE, [])


def measure(
    write: Callable[[list[dict[str, Any]], dict[str, str]], Any],
    size: int,
    repeats: int,
    nonce: str,
    again: bool = False,
) -> dict[str, Any]:
    """Wall ms per batch and billed units per item of `write` over `repeats` fresh batches
    (`again`: each batch is written once first, then measured written a second time)."""
    walls: list[float] = []
    log, measured = OperationLog(), OperationLog()  # every call; the measured writes' calls
    with dynamodb_table(), counting(log):
        for run in range(repeats):
            items, lineage = curated_batch(size, f"{nonce}-{run}")
            if again:
                write(items, lineage)
            before = log.snapshot()
            started = time.perf_counter()
            write(items, lineage)
            walls.append(time.perf_counter() - started)
            delta = log.since(before)
            measured.calls += delta.calls
            measured.dynamodb_item_sizes += delta.dynamodb_item_sizes
    items_written = size * repeats
    requests = sum(n for (service, _), n in measured.calls.items() if service == "dynamodb")
    return {
        "batch_size": size,
        "repeats": repeats,
        "wall_ms_p50": round(percentile(walls, 50) * 1000, 2),
        "wall_ms_p99": round(percentile(walls, 99) * 1000, 2),
        "requests_per_item": round(requests / items_written, 4),
        "wru_per_item": round(measured.dynamodb_wru / items_written, 4),
        "operations": {f"{s}:{o}": n for (s, o), n in sorted(measured.calls.items())},
    }


def first_write_wins(items: list[dict[str, Any]], lineage: dict[str, str]) -> Any:
    return table.write_items(TABLE, items, lineage=lineage)


def run(sizes: tuple[int, ...] = (25, 100, 500), repeats: int = 10) -> dict[str, Any]:
    return {
        "write_concurrency": table.WRITE_CONCURRENCY,
        "first_write_wins": [measure(first_write_wins, n, repeats, "fww") for n in sizes],
        "first_write_wins_sent_again": [
            measure(first_write_wins, n, repeats, "again", again=True) for n in sizes
        ],
        "baseline_blind_batch_write": [
            measure(blind_batch_write, n, repeats, "blind") for n in sizes
        ],
    }
