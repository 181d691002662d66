"""Lambda: Invoke runs the function in-process, as the Lambda service runs it; SQS event-source
mappings run by pollers of their own.

moto 5.2.5 runs a function's code in a Docker container (``LambdaBackend.invoke`` and the
``awslambda_simple`` backend's, which only echoes the event), and neither is here. AWS (Lambda
Developer Guide, "Lambda execution environment", "Defining Lambda function handler in Python",
"Using the Lambda runtime environment variables") runs the handler the function's ``Handler``
names with the function's environment, the credentials of its execution role and its timeout, and
answers an unhandled error as ``X-Amz-Function-Error: Unhandled``. The invoke path of both backends
is handed to ``harness.runtime.LambdaRuntime.invoke``, which does that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.sqs.models import sqs_backends

from harness.runtime.event_sources import Mapping, SqsEventSources

if TYPE_CHECKING:
    from harness.runtime import LambdaRuntime

BACKENDS = (LambdaBackend, LambdaSimpleBackend)


@contextmanager
def in_process_invoke(runtime: LambdaRuntime) -> Iterator[None]:
    originals = {cls: cls.__dict__["invoke"] for cls in BACKENDS}

    def invoke(
        backend: Any, name: str, qualifier: str | None, body: Any, headers: Any, out: Any
    ) -> bytes:
        return runtime.invoke(backend.get_function(name, qualifier), body, out)

    for cls in BACKENDS:
        cls.invoke = invoke
    try:
        yield
    finally:
        for cls, method in originals.items():
            cls.invoke = method


# Lambda API reference, CreateEventSourceMapping, for an SQS standard queue: BatchSize 1..10,000
# (default 10); MaximumBatchingWindowInSeconds 0..300, and at least 1 "When you set BatchSize to a
# value greater than 10"; FunctionResponseTypes only ReportBatchItemFailures.
SQS_MAX_BATCH_SIZE = 10_000
SQS_MAX_WINDOW = 300
SQS_BATCH_WITHOUT_WINDOW = 10


def sqs_mapping_problem(spec: dict[str, Any]) -> str | None:
    """Why Lambda refuses this SQS mapping, or None."""
    size = int(spec.get("BatchSize") or SQS_BATCH_WITHOUT_WINDOW)
    window = int(spec.get("MaximumBatchingWindowInSeconds") or 0)
    types = set(spec.get("FunctionResponseTypes") or ())
    if not 1 <= size <= SQS_MAX_BATCH_SIZE:
        return f"BatchSize must be between 1 and {SQS_MAX_BATCH_SIZE} for an SQS queue"
    if not 0 <= window <= SQS_MAX_WINDOW:
        return f"MaximumBatchingWindowInSeconds must be between 0 and {SQS_MAX_WINDOW}"
    if size > SQS_BATCH_WITHOUT_WINDOW and window < 1:
        return (
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            f"greater than {SQS_BATCH_WITHOUT_WINDOW}"
        )
    if types - {"ReportBatchItemFailures"}:
        return f"FunctionResponseTypes {sorted(types)}: only ReportBatchItemFailures is valid"
    return None


@contextmanager
def sqs_event_sources(event_sources: SqsEventSources) -> Iterator[SqsEventSources]:
    """SQS event-source mappings are run by ``event_sources``' pollers, not inside SendMessage.

    moto 5.2.5 keeps a mapping on its queue and, in ``Queue.add_message``, receives a batch and
    invokes the function right there, in the sender's call: one invocation per message sent, the
    batching window ignored, every message deleted on success or made visible at once on failure
    (no partial batch response, no visibility timeout, no receive count towards the DLQ). AWS
    (Lambda Developer Guide, "Using Lambda with Amazon SQS"): Lambda's pollers long-poll the queue
    and invoke the function with batches (harness.runtime.event_sources). So the mapping is created
    in moto (the Lambda API answers for it), checked as CreateEventSourceMapping checks it
    (``InvalidParameterValueException``), detached from moto's queue, and handed to a poller.
    """
    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(backend: Any, spec: dict[str, Any]) -> Any:
        is_sqs = str(spec.get("EventSourceArn", "")).split(":")[2:3] == ["sqs"]
        problem = sqs_mapping_problem(spec) if is_sqs else None
        if problem is not None:
            raise InvalidParameterValueException(problem)
        esm = original(backend, spec)
        if not is_sqs:
            return esm
        queue = sqs_backends[backend.account_id][backend.region_name].get_queue(
            esm.event_source_arn.rsplit(":", 1)[1]
        )
        queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        event_sources.add(
            Mapping(
                uuid=esm.uuid,
                queue_arn=esm.event_source_arn,
                function_arn=esm.function_arn,
                batch_size=int(esm.batch_size or SQS_BATCH_WITHOUT_WINDOW),
                window_seconds=float(esm.max_batch_window or 0),
                report_item_failures="ReportBatchItemFailures"
                in (esm.function_response_types or ()),
                enabled=bool(esm.enabled),
            )
        )
        return esm

    LambdaBackend.create_event_source_mapping = create_event_source_mapping
    try:
        yield event_sources
    finally:
        event_sources.stop()
        LambdaBackend.create_event_source_mapping = original
