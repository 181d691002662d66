"""Process: read the raw batch, validate, normalize, enrich; keep rejected events with reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import keys, storage
from handlers.aws import env, env_float, env_time
from handlers.canonical import short_hash_bytes, to_ndjson
from handlers.curate import Curated, Lineage, curate_body
from handlers.envelope import runtime_size
from handlers.errors import BatchRejected
from handlers.limits import PROCESS_OUTPUT_LIMIT
from handlers.observability import bind, count, logger, metrics, require_settings
from handlers.times import EventTimeError, parse_timestamp


def redelivery(event: dict[str, Any]) -> bool:
    """`duplicate` (Ingest found the raw object stored already) or `replay`: absent means False."""
    flags = [event.get(name, False) for name in ("duplicate", "replay")]
    if not all(isinstance(flag, bool) for flag in flags):
        raise BatchRejected(f"Process payload duplicate/replay must be booleans, got {flags!r}")
    return any(flags)


def step_payload(event: Any) -> tuple[str, str]:
    """(raw_key, execution_id) from the Process task payload."""
    if not isinstance(event, dict):
        raise BatchRejected('Process payload must be {"raw_key": ..., "execution_id": ...}')
    raw_key, execution_id = event.get("raw_key"), event.get("execution_id")
    if not isinstance(raw_key, str) or not raw_key:
        raise BatchRejected("Process payload has no raw_key")
    if not isinstance(execution_id, str) or not execution_id:
        raise BatchRejected("Process payload has no execution_id")
    return raw_key, execution_id


def received_at(raw: storage.RawObject) -> datetime:
    """From the object's metadata (so a replay gives the same items); else when S3 stored it."""
    value = raw.metadata.get(storage.META_RECEIVED_AT)
    if value:
        try:
            return parse_timestamp(value)
        except EventTimeError:
            logger.warning(
                "unreadable received-at metadata; using LastModified", extra={"value": value}
            )
    return raw.last_modified.astimezone(UTC)


def output_payload(
    lineage: Lineage,
    curated: Curated,
    rejected_key: str | None,
    redelivered: bool = False,
) -> dict[str, Any]:
    """Process's output: the batch's lineage once, the items with their per-event attributes."""
    return {
        "batch_id": lineage.batch_id,
        "raw_key": lineage.raw_key,
        "lineage": lineage.attributes(),
        "items": curated.items,
        "rejected": [r.summary() for r in curated.rejected],
        "rejected_key": rejected_key,
        "counts": curated.counts(),
        "redelivery": redelivered,
    }


def shape_output(
    lineage: Lineage,
    curated: Curated,
    rejected_key: str | None,
    redelivered: bool = False,
) -> dict[str, Any]:
    """output_payload(), or BatchRejected when it is over PROCESS_OUTPUT_LIMIT (the payload limit
    less room for the Lambda invoke response and Write's execution_id), measured as the Lambda
    runtime serializes it (ASCII-escaped, with spaces: never smaller than the UTF-8 or compact
    forms)."""
    output = output_payload(lineage, curated, rejected_key, redelivered)
    size = runtime_size(output)
    if size > PROCESS_OUTPUT_LIMIT:  # Ingest's estimate makes this unreachable for its batches
        raise BatchRejected(
            f"Process output is {size} bytes, over its limit of {PROCESS_OUTPUT_LIMIT} bytes "
            f"(Step Functions payload limit less the Lambda response and Write's additions); "
            f"replay {lineage.raw_key} as smaller batches"
        )
    return output


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    require_settings()
    bucket = env("RAW_BUCKET")
    threshold = env_float("LATE_EVENT_THRESHOLD_HOURS", minimum=0)
    oldest = env_time("OLDEST_EVENT_TIME")
    raw_key, execution_id = step_payload(event)
    redelivered = redelivery(event)
    bind(execution_id=execution_id)
    raw = storage.get_raw(bucket, raw_key)
    batch_id = raw.metadata.get(storage.META_BATCH_ID) or short_hash_bytes(raw.body)
    bind(batch_id=batch_id)
    lineage = Lineage(
        raw_key=raw_key,
        batch_id=batch_id,
        execution_id=execution_id,
        received_at=received_at(raw),
        processed_at=datetime.now(UTC),
        late_threshold_hours=threshold,
        oldest_event_time=oldest,
    )
    curated = curate_body(raw.body, lineage)
    rejected_key = None
    if curated.rejected:
        rejected_key = keys.rejected_key(raw_key)
        storage.put_rejected(
            bucket, rejected_key, to_ndjson([r.record() for r in curated.rejected])
        )
    count("EventsValid", len(curated.items))
    count("EventsRejected", len(curated.rejected))
    logger.info(
        "batch processed",
        extra={
            "counts": curated.counts(),
            "rejected_key": rejected_key,
            "redelivery": redelivered,
        },
    )
    return shape_output(lineage, curated, rejected_key, redelivered)
