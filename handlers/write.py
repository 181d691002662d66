"""Write: curated items to DynamoDB (chunks of 25, no duplicate keys, UnprocessedItems retried).

`redelivery` (from Process: a duplicate raw object or a replay) makes the write first-write-wins:
items whose key is already in the table are left as they are (`already_present`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import table
from handlers.aws import env
from handlers.errors import BatchRejected
from handlers.observability import bind, configure, count, logger, metrics

PASSTHROUGH = ("batch_id", "raw_key", "rejected", "rejected_key", "counts")


def redelivery(event: dict[str, Any]) -> bool:
    """The payload's `redelivery` flag; absent means a first delivery."""
    value = event.get("redelivery", False)
    if not isinstance(value, bool):
        raise BatchRejected(f"Write payload redelivery must be a boolean, got {value!r}")
    return value


def step_payload(event: Any) -> list[dict[str, Any]]:
    """The items of the Write task payload (Process's output plus execution_id)."""
    if not isinstance(event, dict) or not isinstance(event.get("items"), list):
        raise BatchRejected("Write payload must be Process's output with an 'items' list")
    missing = [k for k in PASSTHROUGH if k not in event]
    if missing:
        raise BatchRejected(f"Write payload lacks {missing}")
    items: list[dict[str, Any]] = event["items"]
    for index, item in enumerate(items):
        if not isinstance(item, dict) or any(
            not isinstance(item.get(k), str) for k in table.KEY_ATTRIBUTES
        ):
            raise BatchRejected(f"Write payload item {index} has no string user_id/event_time key")
    return items


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure()
    table_name = env("TABLE_NAME")
    items = step_payload(event)
    again = redelivery(event)
    bind(execution_id=event.get("execution_id"), batch_id=event["batch_id"])
    result = table.write_items(table_name, items, redelivery=again)
    count("EventsWritten", result.written)
    count("DuplicatesRemoved", result.duplicates_removed)
    count("AlreadyPresent", result.already_present)
    logger.info(
        "batch written",
        extra={
            "written": result.written,
            "duplicates_removed": result.duplicates_removed,
            "already_present": result.already_present,
            "redelivery": again,
        },
    )
    return {
        **{k: event[k] for k in PASSTHROUGH},
        "written": result.written,
        "duplicates_removed": result.duplicates_removed,
        "already_present": result.already_present,
        "redelivery": again,
    }
