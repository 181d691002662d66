"""Batch: the entry buffer's consumer — one execution of the pipeline per micro-batch.

Invoked by Lambda's SQS event-source mapping with up to its BatchSize messages. The messages are
packed into execution inputs `{"records": [...]}` (handlers.packing) and each input starts one
execution of the main state machine: a Standard one named `b-<batch_id>`, so a redelivered batch
cannot start it twice (`ExecutionAlreadyExists` is success); an Express one unnamed (Express names
are not deduplicated; idempotency by event_id holds anyway).

The answer is a partial batch response (`ReportBatchItemFailures`, Lambda developer guide,
"Handling errors for an SQS event source in Lambda"): every message with a record in an input that
could not start, or refused whole because a record cannot travel at all, is reported failed, and
only those return to the buffer; after the queue's maxReceiveCount receives they move to its DLQ.
When little of the invocation's time is left, the inputs not yet started are reported failed
rather than cut off by the timeout.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers import packing, sfn
from handlers.aws import env, env_int
from handlers.errors import ConfigurationError, PermanentAwsError, TransientAwsError
from handlers.observability import count, logger, metrics, require_settings

WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
# Time kept back for the answer: an input is not started with less left than this.
DEADLINE_MARGIN_MS = 5_000


def workflow_type() -> str:
    value = env("WORKFLOW_TYPE")
    if value not in WORKFLOW_TYPES:
        raise ConfigurationError(f"WORKFLOW_TYPE must be STANDARD or EXPRESS, got {value!r}")
    return value


def failures(message_ids: list[str]) -> dict[str, Any]:
    """The partial batch response naming `message_ids` (each once, in order)."""
    return {"batchItemFailures": [{"itemIdentifier": m} for m in dict.fromkeys(message_ids)]}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=SQSEvent)
def handler(event: SQSEvent, context: LambdaContext) -> dict[str, Any]:
    require_settings()
    state_machine_arn = env("STATE_MACHINE_ARN")
    max_events = env_int("MAX_BATCH_EVENTS", minimum=1)
    named = workflow_type() == "STANDARD"
    messages = [
        packing.Message(r.message_id, r.body, int(r.attributes.approximate_receive_count))
        for r in event.records
    ]
    plan = packing.pack(messages, max_events)
    failed: list[str] = []
    for refusal in plan.refused:
        logger.error(
            "message refused: a record cannot travel in an execution input",
            extra={
                "message_id": refusal.message_id,
                "code": refusal.code,
                "reason": refusal.reason,
            },
        )
        failed.append(refusal.message_id)
    started = 0
    for chunk in plan.chunks:
        if context.get_remaining_time_in_millis() < DEADLINE_MARGIN_MS:
            failed += chunk.message_ids
            continue
        try:
            outcome = sfn.start_execution(
                state_machine_arn, chunk.text, chunk.name if named else None
            )
        except (TransientAwsError, PermanentAwsError) as exc:
            logger.error(
                "batch not started",
                extra={
                    "batch_id": chunk.batch_id,
                    "records": len(chunk.records),
                    "error": str(exc),
                },
            )
            failed += chunk.message_ids
            continue
        started += 1
        count("BatchEvents", len(chunk.records))  # one value per batch: the sizes formed
        logger.info(
            "batch started",
            extra={"batch_id": chunk.batch_id, "records": len(chunk.records), "outcome": outcome},
        )
    response = failures(failed)
    count("BatchesStarted", started)
    count("BufferMessagesFailed", len(response["batchItemFailures"]))
    count("BufferMessagesRefused", len(plan.refused))
    logger.info(
        "buffer batch handled",
        extra={
            "messages": len(messages),
            "batches": len(plan.chunks),
            "started": started,
            "failed": len(response["batchItemFailures"]),
        },
    )
    return response
