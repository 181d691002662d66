"""Write: curated items to DynamoDB (chunks of 25, no duplicate keys, UnprocessedItems retried).

Each stored item is a payload item (its per-event attributes) with the payload's `lineage` (the
batch-level attributes Process returns once) merged in.

`redelivery` (from Process: a duplicate raw object or a replay) makes the write first-write-wins:
items whose key is already in the table are left as they are (`already_present`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import table
from handlers.aws import env
from handlers.envelope import LINEAGE_ATTRIBUTES
from handlers.errors import BatchRejected
from handlers.observability import bind, configure, count, logger, metrics

PASSTHROUGH = ("batch_id", "raw_key", "rejected", "rejected_key", "counts")
_LINEAGE = frozenset(LINEAGE_ATTRIBUTES)


def redelivery(event: dict[str, Any]) -> bool:
    """The payload's `redelivery` flag; absent means a first delivery."""
    value = event.get("redelivery", False)
    if not isinstance(value, bool):
        raise BatchRejected(f"Write payload redelivery must be a boolean, got {value!r}")
    return value


def step_payload(event: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(items, lineage) of the Write task payload (Process's output plus execution_id).

    The lineage object holds exactly the batch-level attributes (strings); an item must not
    carry any of them itself (which value would be stored is then ambiguous).
    """
    if not isinstance(event, dict) or not isinstance(event.get("items"), list):
        raise BatchRejected("Write payload must be Process's output with an 'items' list")
    missing = [k for k in (*PASSTHROUGH, "lineage") if k not in event]
    if missing:
        raise BatchRejected(f"Write payload lacks {missing}")
    lineage = event["lineage"]
    if (
        not isinstance(lineage, dict)
        or set(lineage) != _LINEAGE
        or not all(isinstance(v, str) for v in lineage.values())
    ):
        raise BatchRejected(
            f"Write payload lineage must be an object of the strings {list(LINEAGE_ATTRIBUTES)}"
        )
    items: list[dict[str, Any]] = event["items"]
    for index, item in enumerate(items):
        if not isinstance(item, dict) or any(
            not isinstance(item.get(k), str) for k in table.KEY_ATTRIBUTES
        ):
            raise BatchRejected(f"Write payload item {index} has no string user_id/event_time key")
        if not _LINEAGE.isdisjoint(item):
            clash = sorted(_LINEAGE.intersection(item))
            raise BatchRejected(f"Write payload item {index} carries lineage attributes {clash}")
    return items, lineage


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure()
    table_name = env("TABLE_NAME")
    items, lineage = step_payload(event)
    again = redelivery(event)
    bind(execution_id=event.get("execution_id"), batch_id=event["batch_id"])
    result = table.write_items(table_name, items, lineage=lineage, redelivery=again)
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
