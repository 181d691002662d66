"""Ingest: check the envelope, store the batch once as NDJSON under ingest/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import keys, storage
from handlers.aws import env, env_int
from handlers.canonical import to_ndjson
from handlers.envelope import check_event_sizes, check_payload_size, parse_envelope
from handlers.errors import BatchRejected
from handlers.observability import bind, configure, count, logger, metrics
from handlers.times import format_time


def step_payload(event: Any) -> tuple[Any, str]:
    """(execution input, execution id) from the Ingest task payload."""
    if not isinstance(event, dict) or "input" not in event:
        raise BatchRejected(
            'Ingest payload must be {"input": <execution input>, "execution_id": ...}'
        )
    execution_id = event.get("execution_id")
    if not isinstance(execution_id, str) or not execution_id:
        raise BatchRejected("Ingest payload has no execution_id")
    return event["input"], execution_id


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure()
    bucket, max_events = env("RAW_BUCKET"), env_int("MAX_BATCH_EVENTS", minimum=1)
    execution_input, execution_id = step_payload(event)
    bind(execution_id=execution_id)
    events = parse_envelope(execution_input, max_events)
    check_event_sizes(events)
    batch_id = keys.batch_id(events)
    raw_key = keys.raw_key(events, batch_id)
    bind(batch_id=batch_id)
    estimate = check_payload_size(events, raw_key, execution_id)
    received_at = format_time(datetime.now(UTC))
    metadata = {
        storage.META_RECEIVED_AT: received_at,
        storage.META_BATCH_ID: batch_id,
        storage.META_EVENT_COUNT: str(len(events)),
        storage.META_EXECUTION_ID: quote(execution_id, safe=":/-_.@"),
    }
    duplicate = storage.put_raw(bucket, raw_key, to_ndjson(events), metadata)
    count("EventsReceived", len(events))
    logger.info(
        "batch ingested",
        extra={
            "raw_key": raw_key,
            "event_count": len(events),
            "duplicate": duplicate,
            "estimated_payload_bytes": estimate,
        },
    )
    return {
        "batch_id": batch_id,
        "raw_key": raw_key,
        "event_count": len(events),
        "received_at": received_at,
        "duplicate": duplicate,
        "replay": False,  # the shape the Replay state gives Process too
    }
