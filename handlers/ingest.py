"""Ingest: check the execution input (its JSON text), store the batch once as NDJSON under ingest/.

Every raw line is the exact text of a received event (handlers.envelope) — except the event of a
suppressed user, stored as a content-free marker (handlers.suppression: the user ids the lines
name are looked up on the suppression list by their salted hashes). Only the envelope and the
sizes are checked here, never the events' content (Process does that).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import keys, storage, suppression, suppression_list
from handlers.admission import read_lines
from handlers.aws import env, env_int, env_time
from handlers.envelope import check_payload_size, payload_base, received_lines
from handlers.errors import BatchRejected
from handlers.observability import bind, count, logger, metrics, require_settings
from handlers.times import format_time


def step_payload(event: Any) -> tuple[str, str]:
    """(execution input as JSON text, execution id) from the Ingest task payload."""
    if not isinstance(event, dict) or not isinstance(event.get("input"), str):
        raise BatchRejected(
            'Ingest payload must be {"input": <the execution input as JSON text, '
            'States.JsonToString($)>, "execution_id": ...}'
        )
    execution_id = event.get("execution_id")
    if not isinstance(execution_id, str) or not execution_id:
        raise BatchRejected("Ingest payload has no execution_id")
    return event["input"], execution_id


def suppressed_lines(lines: list[str], table: str, secret_arn: str) -> tuple[list[str], int, int]:
    """(the lines, a suppressed user's as markers; how many; the BatchGetItem requests made).
    No request at all for lines that name no user id."""
    names = [suppression.user_ids(line) for line in lines]
    users = set().union(*names)
    if not users:
        return lines, 0, 0
    salt = suppression_list.salt(secret_arn)
    hashes = {user: suppression.user_hash(salt, user) for user in users}
    lookup = suppression_list.suppressed(table, hashes.values())
    marked, count = suppression.suppress(lines, names, hashes, lookup.suppressed)
    return marked, count, lookup.requests


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    require_settings()
    bucket, max_events = env("RAW_BUCKET"), env_int("MAX_BATCH_EVENTS", minimum=1)
    oldest = env_time("OLDEST_EVENT_TIME")
    suppression_table, salt_arn = env("SUPPRESSION_TABLE"), env("SUPPRESSION_SALT_SECRET_ARN")
    text, execution_id = step_payload(event)
    bind(execution_id=execution_id)
    lines, suppressed, lookups = suppressed_lines(
        received_lines(text, max_events), suppression_table, salt_arn
    )
    body = ("\n".join(lines) + "\n").encode("utf-8")
    batch_id = keys.raw_batch_id(body)
    bind(batch_id=batch_id)
    events, shares = read_lines(lines)
    raw_key = keys.raw_key(events, batch_id, oldest)
    estimate = check_payload_size(payload_base(raw_key, execution_id) + sum(shares), len(lines))
    received_at = format_time(datetime.now(UTC))
    metadata = {
        storage.META_RECEIVED_AT: received_at,
        storage.META_BATCH_ID: batch_id,
        storage.META_EVENT_COUNT: str(len(lines)),
        storage.META_EXECUTION_ID: quote(execution_id, safe=":/-_.@"),
    }
    duplicate = storage.put_raw(bucket, raw_key, body, metadata)
    count("EventsReceived", len(lines))
    count("EventsSuppressed", suppressed)
    logger.info(
        "batch ingested",
        extra={
            "raw_key": raw_key,
            "event_count": len(lines),
            "duplicate": duplicate,
            "estimated_payload_bytes": estimate,
            "suppressed": suppressed,
            "suppression_lookups": lookups,
        },
    )
    return {
        "batch_id": batch_id,
        "raw_key": raw_key,
        "event_count": len(lines),
        "received_at": received_at,
        "duplicate": duplicate,
        "replay": False,
    }
