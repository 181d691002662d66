"""Single-event HTTP traffic through today's direct entry and through the buffered entry (pure).

Direct: API Gateway HTTP API -> StartExecution, one execution per POST (a client may send a batch).
Buffered: API Gateway HTTP API -> SQS SendMessage, one message per POST -> SQS standard queue
(SSE-KMS with the stack key) -> Lambda event source mapping (BatchSize, MaximumBatchingWindow) ->
the Batch function, which packs the records into executions of at most maxBatchEvents that Ingest
accepts for their size -> one execution per chunk -> Ingest, Process, Write.

Every unit is counted from measured operations and the billing rules AWS documents (sources in
prices_us_east_1.json and quotas_us_east_1.json):

- The pipeline per execution (transitions or Express requests and GB-s, Lambda requests and GB-s,
  S3, DynamoDB WRU, logs) is what the harness counted per execution at each measured batch size,
  linearly interpolated in the events per execution between them (``PipelineProfile``).
- Batches: the event source mapping polls with ``pollers`` concurrent pollers (five at low traffic,
  the documented start and floor), each gathering its own batch for up to the window, so a batch
  holds rate x window / pollers records (at least one), at most BatchSize and what fits the 6 MB
  invoke payload (``batch_formed``). AWS may lower the pollers to 2 when traffic is low: fewer,
  larger batches, a lower cost; 5 is the conservative count.
- SQS: one SendMessage per POST; ReceiveMessage calls of ``messages_per_receive`` messages each
  (1 by default: a long poll returns as soon as one message is available, which is what happens
  while messages trickle in; 10 at most); one DeleteMessageBatch per 10 messages; each started
  64 KB of a request's payload one more request. Idle pollers long-poll 20 s (three empty receives
  a minute each), counted at every rate (an upper bound once traffic keeps them busy).
- KMS: an SSE-KMS queue calls KMS once per data key reuse period per principal, so
  3,600 / reuse x (2 x producers + consumers) requests an hour, whatever the traffic.
- The Batch function: one invoke per batch; its duration a fixed overhead, one StartExecution call
  per execution and the packing CPU per record measured in process (benchmarks.packing) scaled to
  the function's share of a vCPU (1,769 MB = one vCPU); its log bytes per invoke those the
  pipeline's functions logged per invoke.
- API Gateway: one request per POST, metered in 512 KB increments.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

from benchmarks import cost
from benchmarks.prices import PriceTable

EVENTS: Final = 1_000_000  # every modelled configuration is priced for one million events
SECONDS_PER_HOUR: Final = 3600
# The pipeline's units that scale with executions (Usage fields), interpolated per execution.
PER_EXECUTION: Final = (
    "state_transitions",
    "express_requests",
    "express_gb_seconds",
    "lambda_requests",
    "lambda_gb_seconds",
    "s3_puts",
    "s3_gets",
    "dynamodb_items",
    "dynamodb_wru",
    "sqs_requests",
    "log_bytes",
    "kms_requests",
    "firehose_bytes",
)
ENVELOPE_OVERHEAD_BYTES: Final = len('{"events": []}')


def interpolate(points: Sequence[tuple[float, float]], x: float) -> float:
    """Piecewise-linear through ``points`` (sorted by x), extended linearly beyond the first and
    the last two; never below zero."""
    if not points:
        raise ValueError("no points to interpolate")
    if len(points) == 1:
        return max(0.0, points[0][1])
    xs = [p[0] for p in points]
    i = bisect.bisect_left(xs, x)
    i = min(max(i, 1), len(points) - 1)
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    return max(0.0, y0 + (y1 - y0) * (x - x0) / (x1 - x0))


@dataclass(frozen=True)
class PipelineProfile:
    """The pipeline's billable units per execution, by events per execution, as measured."""

    workflow_type: str
    architecture: str
    memory_mb: int
    points: tuple[tuple[float, Mapping[str, float]], ...]  # sorted by events per execution

    @classmethod
    def from_segments(
        cls,
        workflow_type: str,
        architecture: str,
        memory_mb: int,
        segments: Iterable[Mapping[str, Any]],
    ) -> PipelineProfile:
        """From the harness's segment summaries of one workflow type: only batches that stored
        every event count (a refused batch's cost is not a cost per stored event)."""
        points: dict[float, Mapping[str, float]] = {}
        for segment in segments:
            if segment["items_written"] != segment["events"] or not segment["executions"]:
                continue
            executions = float(segment["executions"])
            usage = segment["usage"]
            points[segment["events"] / executions] = {
                name: float(usage[name]) / executions for name in PER_EXECUTION
            }
        if not points:
            raise ValueError(f"no {workflow_type} batch stored all its events")
        ordered = tuple(sorted(points.items()))
        return cls(workflow_type, architecture, memory_mb, ordered)

    @property
    def sizes(self) -> list[float]:
        return [p[0] for p in self.points]

    @functools.cached_property
    def _series(self) -> dict[str, list[tuple[float, float]]]:
        return {name: [(x, u[name]) for x, u in self.points] for name in PER_EXECUTION}

    def units(self, events_per_execution: float) -> dict[str, float]:
        """Units of one execution of ``events_per_execution`` events."""
        return {
            name: interpolate(points, events_per_execution) for name, points in self._series.items()
        }

    def lambda_seconds(self, events_per_execution: float) -> float:
        """Billed Lambda seconds of one execution (Ingest + Process + Write)."""
        return self.units(events_per_execution)["lambda_gb_seconds"] * 1024 / self.memory_mb


@dataclass(frozen=True)
class BufferSettings:
    """The buffered entry as deployed (window, sizes, memory) and what was measured about it."""

    window_s: float
    batch_size: int  # the mapping's BatchSize
    pollers: int
    max_batch_events: int  # maxBatchEvents of the stack
    execution_fit: int  # the most records one execution input takes for its size (measured)
    invoke_payload_bytes: int
    record_bytes: float  # one message in the batch's Lambda event (measured)
    body_bytes: float  # one POST body = one message body (measured)
    messages_per_receive: float
    max_messages_per_request: int  # ReceiveMessage / DeleteMessageBatch
    idle_wait_s: float  # a long poll's wait
    kms_reuse_s: float
    producers: int  # principals that send to the queue (the API's role, EventBridge's)
    consumers: int  # principals that receive (the Batch function's role)
    memory_mb: int  # the Batch function's
    fixed_s: float  # per invoke: runtime overhead, reading the event, answering
    start_execution_s: float  # one StartExecution call, waited for
    pack_cpu_per_record_s: float  # measured on this machine, one core
    vcpu_memory_mb: float
    log_bytes_per_invoke: float

    def __post_init__(self) -> None:
        if not 1 <= self.messages_per_receive <= self.max_messages_per_request:
            raise ValueError("messages_per_receive must be within 1..max_messages_per_request")
        if min(self.window_s, self.batch_size, self.pollers, self.max_batch_events) <= 0:
            raise ValueError("window, batch size, pollers and maxBatchEvents must be positive")

    @property
    def records_per_invoke(self) -> int:
        """The most records one batch holds: BatchSize, or what fits the invoke payload."""
        return max(1, min(self.batch_size, int(self.invoke_payload_bytes // self.record_bytes)))

    @property
    def events_per_execution_max(self) -> int:
        return max(1, min(self.max_batch_events, self.execution_fit))


def batch_formed(rate: float, settings: BufferSettings) -> float:
    """Mean records per batch at ``rate`` events/s: each poller gathers its share of the traffic
    for the window, at least one record, at most ``records_per_invoke``."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    gathered = rate * settings.window_s / settings.pollers
    return min(float(settings.records_per_invoke), max(1.0, gathered))


def executions_per_batch(batch: float, settings: BufferSettings) -> int:
    """Executions the Batch function starts for one batch (chunks as even as the cap allows)."""
    return max(1, math.ceil(batch / settings.events_per_execution_max - 1e-9))


def batch_duration_s(batch: float, settings: BufferSettings) -> float:
    """Wall time of one Batch invoke: overhead, StartExecution calls, packing CPU at its memory."""
    cpu_share = min(1.0, settings.memory_mb / settings.vcpu_memory_mb)
    packing = batch * settings.pack_cpu_per_record_s / cpu_share
    starts = executions_per_batch(batch, settings) * settings.start_execution_s
    return settings.fixed_s + starts + packing


def sqs_requests_per_batch(batch: float, settings: BufferSettings) -> dict[str, float]:
    """Billed SQS requests for one batch: the sends of its messages, the receives that fetched
    them and the deletes (each started 64 KB of a payload one more request)."""
    per_receive = settings.messages_per_receive
    return {
        "send": batch * cost.sqs_billed_requests(settings.body_bytes),
        "receive": batch
        / per_receive
        * cost.sqs_billed_requests(per_receive * settings.record_bytes),
        "delete": float(math.ceil(batch / settings.max_messages_per_request - 1e-9)),
    }


def fixed_requests_per_hour(settings: BufferSettings) -> dict[str, float]:
    """Requests the buffer makes whatever the traffic: idle long polls and KMS data keys."""
    return {
        "sqs_idle_receives": settings.pollers * SECONDS_PER_HOUR / settings.idle_wait_s,
        "kms": SECONDS_PER_HOUR
        / settings.kms_reuse_s
        * (2 * settings.producers + settings.consumers),
    }


def _pipeline(usage: cost.Usage, profile: PipelineProfile, executions: float, size: float) -> None:
    for name, value in profile.units(size).items():
        setattr(usage, name, getattr(usage, name) + executions * value)
    usage.executions += executions


def direct_usage(
    events_per_request: int, profile: PipelineProfile, body_bytes: float
) -> cost.Usage:
    """One million events POSTed ``events_per_request`` at a time, one execution per POST."""
    usage = cost.Usage(
        events=EVENTS,
        workflow_type=profile.workflow_type,
        lambda_architecture=profile.architecture,
    )
    requests = EVENTS / events_per_request
    _pipeline(usage, profile, requests, events_per_request)
    request_bytes = (
        body_bytes
        if events_per_request == 1
        else ENVELOPE_OVERHEAD_BYTES + events_per_request * (body_bytes + 2)
    )
    usage.apigateway_requests = requests * cost.apigateway_billed_requests(request_bytes)
    return usage


def buffered_usage(rate: float, profile: PipelineProfile, settings: BufferSettings) -> cost.Usage:
    """One million single-event POSTs arriving at ``rate`` events/s through the buffer."""
    usage = cost.Usage(
        events=EVENTS,
        workflow_type=profile.workflow_type,
        lambda_architecture=profile.architecture,
    )
    batch = batch_formed(rate, settings)
    batches = EVENTS / batch
    chunks = executions_per_batch(batch, settings)
    _pipeline(usage, profile, batches * chunks, batch / chunks)
    usage.apigateway_requests = EVENTS * cost.apigateway_billed_requests(settings.body_bytes)
    hours = EVENTS / rate / SECONDS_PER_HOUR
    fixed = fixed_requests_per_hour(settings)
    usage.sqs_requests += batches * sum(sqs_requests_per_batch(batch, settings).values())
    usage.sqs_requests += hours * fixed["sqs_idle_receives"]
    usage.kms_requests += hours * fixed["kms"]
    usage.lambda_requests += batches
    billed_ms = cost.lambda_billed_ms(batch_duration_s(batch, settings))
    usage.lambda_gb_seconds += batches * billed_ms / 1000 * settings.memory_mb / 1024
    usage.log_bytes += batches * settings.log_bytes_per_invoke
    return usage


def per_million(usage: cost.Usage, prices: PriceTable) -> dict[str, float]:
    """USD per million events, by line item, with ``total``."""
    return cost.per_million(cost.cost_lines(usage, prices), usage.events)


def usage_dict(usage: cost.Usage) -> dict[str, Any]:
    """The modelled units, rounded for the report (no float noise)."""
    return {
        f.name: cost.decimal_places(value, 4) if isinstance(value, float) else value
        for f in fields(usage)
        if not isinstance(value := getattr(usage, f.name), list)
    }
