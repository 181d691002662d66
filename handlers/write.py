"""Write: curated items to DynamoDB, first write wins (handlers.table); conflicts kept, with reason.

Each stored item is a payload item (its per-event attributes) with the payload's `lineage` (the
batch-level attributes Process returns once) and its TTL `expires_at` (handlers.retention)
merged in. An item whose key holds the same content
already is `already_present` and changes nothing; one whose key holds other content is rejected
`conflicting_duplicate`: its record goes to `rejected/<partition>/<batch_id>.conflicts.json`
(NDJSON, the shape of Process's rejected records) and its summary to Write's output, and the
stored item stays as it was.

Then every item of the batch that is in the table — written now, or already present (the stored
item, read back from the refusal's ALL_OLD, so its row equals the stored item) — goes to the
curated table's Firehose stream (env CURATED_STREAM; `none` on a stack without the curated table)
as its handlers.curated row; conflicting duplicates and rejected events never do. A Firehose
failure is a TransientAwsError: the retried Write finds its items already present and sends them
again, and the Iceberg destination upserts them by their unique keys (one row per item).

`redelivery` (Process: the raw object was stored before, or this is a replay) is reported as it
came; it changes nothing in how items are written.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import curated, firehose, keys, retention, storage, table
from handlers.aws import env, env_int
from handlers.canonical import to_ndjson
from handlers.curate import Rejection
from handlers.envelope import LINEAGE_ATTRIBUTES
from handlers.errors import BatchRejected
from handlers.observability import bind, count, logger, metrics, require_settings
from handlers.reasons import CONFLICTING_DUPLICATE

PASSTHROUGH = ("batch_id", "raw_key", "rejected", "rejected_key", "counts")
_LINEAGE = frozenset(LINEAGE_ATTRIBUTES)
# CURATED_STREAM's value on a stack without the curated table (analyticsEnabled false): a stream
# this program deploys is always named `<prefix>-curated`, never this.
NO_CURATED_STREAM = "none"


def redelivery(event: dict[str, Any]) -> bool:
    """The payload's `redelivery` flag; absent means a first delivery."""
    value = event.get("redelivery", False)
    if not isinstance(value, bool):
        raise BatchRejected(f"Write payload redelivery must be a boolean, got {value!r}")
    return value


def step_payload(event: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(items, lineage) of the Write task payload (Process's output plus execution_id).

    The lineage object holds exactly the batch-level attributes (strings); an item must not
    carry any of them itself (which value would be stored is then ambiguous), and carries its
    key and content_hash as strings and its raw_index.
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
        if (
            not isinstance(item, dict)
            or any(
                not isinstance(item.get(k), str)
                for k in (*table.KEY_ATTRIBUTES, table.CONTENT_HASH, "event_id")
            )
            or type(item.get("raw_index")) is not int
        ):
            raise BatchRejected(
                f"Write payload item {index} lacks its string user_id/event_time key, event_id "
                "or content_hash, or its integer raw_index"
            )
        if not _LINEAGE.isdisjoint(item):
            clash = sorted(_LINEAGE.intersection(item))
            raise BatchRejected(f"Write payload item {index} carries lineage attributes {clash}")
        try:
            curated.row({**item, **lineage})
        except curated.RowError as exc:
            raise BatchRejected(f"Write payload item {index} is no curated row: {exc}") from None
    if not isinstance(event["raw_key"], str) or not event["raw_key"]:
        raise BatchRejected("Write payload has no raw_key")
    return items, lineage


def conflict_rejection(conflict: table.Conflict) -> Rejection:
    """The rejected record of an item whose key holds other content (the item as curated: its
    raw_key/raw_index lead to the event as received)."""
    item = conflict.item
    if conflict.stored_raw_key is None and conflict.stored_hash is None:
        detail = "an earlier item of this batch has the same key and other content"
    else:
        detail = (
            f"the key (user_id, event_time) holds other content (content_hash "
            f"{conflict.stored_hash}, raw_key {conflict.stored_raw_key}); it is kept"
        )
    return Rejection(item["raw_index"], item["event_id"], CONFLICTING_DUPLICATE, detail, item)


def curated_records(in_table: list[dict[str, Any]]) -> list[bytes]:
    """The Firehose records of the items in the table (handlers.curated.record_bytes); a stored
    item that is no curated row is refused (BatchRejected), never sent half."""
    records = []
    for stored in in_table:
        try:
            records.append(curated.record_bytes(stored))
        except curated.RowError as exc:
            raise BatchRejected(
                f"the stored item {stored.get('user_id')!r} {stored.get('event_time')!r} is no "
                f"curated row: {exc}"
            ) from None
    return records


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    require_settings()
    table_name, bucket, stream = env("TABLE_NAME"), env("RAW_BUCKET"), env("CURATED_STREAM")
    retention_days = env_int("ITEM_RETENTION_DAYS", minimum=1)
    items, lineage = step_payload(event)
    again = redelivery(event)
    bind(execution_id=event.get("execution_id"), batch_id=event["batch_id"])
    expiry = retention.expires_at(lineage["received_at"], retention_days)
    stored = {**lineage, retention.EXPIRY_ATTRIBUTE: expiry}  # merged into every stored item
    result = table.write_items(table_name, items, lineage=stored)
    conflicts = [conflict_rejection(conflict) for conflict in result.conflicts]
    conflicts_key = None
    if conflicts:
        conflicts_key = keys.conflicts_key(event["raw_key"])
        storage.put_rejected(bucket, conflicts_key, to_ndjson([r.record() for r in conflicts]))
    sent = 0
    if stream != NO_CURATED_STREAM:
        sent = firehose.put_records(stream, curated_records(result.in_table))
    count("EventsWritten", result.written)
    count("DuplicatesRemoved", result.duplicates_removed)
    count("AlreadyPresent", result.already_present)
    count("ConflictingDuplicates", len(conflicts))
    count("CuratedSent", sent)
    logger.info(
        "batch written",
        extra={
            "written": result.written,
            "duplicates_removed": result.duplicates_removed,
            "already_present": result.already_present,
            "conflicting": len(conflicts),
            "conflicts_key": conflicts_key,
            "curated_sent": sent,
            "redelivery": again,
        },
    )
    return {
        **{k: event[k] for k in PASSTHROUGH},
        "written": result.written,
        "duplicates_removed": result.duplicates_removed,
        "already_present": result.already_present,
        "conflicting": len(conflicts),
        "conflicts": [r.summary() for r in conflicts],
        "conflicts_key": conflicts_key,
        "curated_sent": sent,
        "redelivery": again,
    }
