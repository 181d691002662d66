"""Cost model (pure): billable units from measured operations, and their list price.

Billing rules, as the AWS pricing pages state them (see ``prices_us_east_1.json``):

- Step Functions Standard: one state transition each time a state is entered, retries included.
- Step Functions Express: one request per started execution; duration from start to end rounded
  up to 100 ms, times memory billed in 64 MB chunks (50 MB + definition + execution data).
- Lambda: one request per invoke; duration rounded up to 1 ms times configured memory (GB-s).
- DynamoDB on-demand: one write request unit per started 1 KB of item size, per item written.
- CloudWatch Logs: bytes ingested; a log event counts its UTF-8 message plus 26 bytes.
- API Gateway HTTP API: one request per call, metered in 512 KB increments.
- SQS: every API action is a request, one more per started 64 KB of its payload.
- Firehose, Apache Iceberg Tables destination: the GB ingested (the records' data bytes), with no
  rounding of records to 5 KB as for its other destinations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Final

from benchmarks.prices import PriceTable

EXPRESS_DURATION_STEP_S: Final = 0.1
EXPRESS_MEMORY_CHUNK_MB: Final = 64
EXPRESS_BASE_MEMORY_MB: Final = 50
LOG_EVENT_OVERHEAD_BYTES: Final = 26
DYNAMODB_WRU_BYTES: Final = 1024
SQS_CHUNK_BYTES: Final = 64 * 1024
APIGATEWAY_HTTP_CHUNK_BYTES: Final = 512 * 1024
BYTES_PER_GB: Final = 1024**3
MB: Final = 1024 * 1024

# Execution-history events that are a Task being (re)scheduled: one per attempt.
_SCHEDULED: Final = frozenset({"TaskScheduled", "LambdaFunctionScheduled"})
_TASK_ENTERED: Final = "TaskStateEntered"
# Events a state machine logging at level ERROR writes (types ending in these words).
_ERROR_SUFFIXES: Final = ("Failed", "TimedOut", "Aborted")


def billable_transitions(event_types: Iterable[str]) -> int:
    """State transitions of one Standard execution from its history event types.

    Every ``*StateEntered`` is a transition; each Task attempt after the first (a Retry) is one
    more: (Task/Lambda scheduled events) - (TaskStateEntered events), never negative.
    """
    entered = scheduled = task_entered = 0
    for kind in event_types:
        if kind.endswith("StateEntered"):
            entered += 1
        if kind == _TASK_ENTERED:
            task_entered += 1
        if kind in _SCHEDULED:
            scheduled += 1
    return entered + max(0, scheduled - task_entered)


def workflow_log_events(event_types: Iterable[str], level: str) -> list[int]:
    """Indexes of history events a state machine logs at ``level`` (ALL, ERROR, FATAL, OFF)."""
    kinds = list(event_types)
    if level == "ALL":
        return list(range(len(kinds)))
    if level == "ERROR":
        return [i for i, k in enumerate(kinds) if k.endswith(_ERROR_SUFFIXES)]
    if level == "FATAL":
        return [
            i
            for i, k in enumerate(kinds)
            if k.startswith("Execution") and k != "ExecutionStarted" and k.endswith(_ERROR_SUFFIXES)
        ]
    return []


def log_event_bytes(message: str) -> int:
    """Billable bytes of one CloudWatch Logs event."""
    return len(message.encode("utf-8")) + LOG_EVENT_OVERHEAD_BYTES


def lambda_billed_ms(duration_s: float) -> int:
    """Lambda bills duration rounded up to the next millisecond (at least 1 ms)."""
    return max(1, math.ceil(duration_s * 1000 - 1e-9))


def lambda_gb_seconds(durations_s: Iterable[float], memory_mb: int) -> float:
    total_ms = sum(lambda_billed_ms(d) for d in durations_s)
    return total_ms / 1000 * memory_mb / 1024


def express_billed_seconds(duration_s: float) -> float:
    """Express duration rounded up to the next 100 ms (at least 100 ms)."""
    steps = max(1, math.ceil(duration_s / EXPRESS_DURATION_STEP_S - 1e-9))
    return round(steps * EXPRESS_DURATION_STEP_S, 3)


def express_billed_memory_mb(definition_bytes: int, data_bytes: int, map_steps: int = 0) -> int:
    """Billed memory: 50 MB + definition + execution data x Map/Parallel steps, 64 MB chunks.

    Without Map/Parallel states the execution data is counted once (conservative).
    """
    used = EXPRESS_BASE_MEMORY_MB * MB + definition_bytes + data_bytes * max(1, map_steps)
    chunk = EXPRESS_MEMORY_CHUNK_MB * MB
    return math.ceil(used / chunk) * EXPRESS_MEMORY_CHUNK_MB


def express_gb_seconds(duration_s: float, memory_mb: int) -> float:
    return express_billed_seconds(duration_s) * memory_mb / 1024


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return 1 + math.ceil(len(digits) / 2)


def dynamodb_value_size(value: Mapping[str, Any]) -> int:
    """Size of one DynamoDB-JSON attribute value ({"S": ...}, {"N": ...}, {"M": ...} ...).

    Rules from the DynamoDB developer guide (item sizes): strings and binary by length, numbers
    1 byte + 1 per two significant digits, null/boolean 1 byte, lists and maps 3 bytes + 1 per
    element + their contents (map keys included), sets the sum of their elements.
    """
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(str(raw).encode("utf-8"))
    if kind == "B":
        return len(raw)
    if kind == "N":
        return _number_size(str(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode("utf-8")) for s in raw)
    if kind == "NS":
        return sum(_number_size(str(n)) for n in raw)
    if kind == "BS":
        return sum(len(b) for b in raw)
    if kind == "L":
        return 3 + sum(1 + dynamodb_value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(
            1 + len(str(k).encode("utf-8")) + dynamodb_value_size(v) for k, v in raw.items()
        )
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def dynamodb_item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Item size: attribute names (UTF-8) plus attribute values."""
    return sum(len(name.encode("utf-8")) + dynamodb_value_size(v) for name, v in item.items())


def sqs_billed_requests(payload_bytes: float) -> int:
    """SQS bills each started 64 KB chunk of a request's payload as one request (at least one)."""
    return max(1, math.ceil(payload_bytes / SQS_CHUNK_BYTES - 1e-9))


def apigateway_billed_requests(request_bytes: float) -> int:
    """HTTP APIs meter a request in 512 KB increments (at least one)."""
    return max(1, math.ceil(request_bytes / APIGATEWAY_HTTP_CHUNK_BYTES - 1e-9))


def write_request_units(item_size: int) -> int:
    """On-demand standard writes: 1 WRU per started 1 KB."""
    return max(1, math.ceil(item_size / DYNAMODB_WRU_BYTES))


@dataclass
class Usage:
    """Billable units of one configuration: counted while the harness ran it (whole numbers), or
    modelled from those counts (benchmarks.buffered: fractions of a unit per event add up)."""

    events: float
    workflow_type: str
    executions: float = 0
    state_transitions: float = 0
    express_requests: float = 0
    express_gb_seconds: float = 0.0
    lambda_requests: float = 0
    lambda_gb_seconds: float = 0.0
    lambda_architecture: str = "arm64"
    s3_puts: float = 0
    s3_gets: float = 0
    dynamodb_items: float = 0
    dynamodb_wru: float = 0
    sqs_requests: float = 0
    log_bytes: float = 0  # function logs + state-machine logs (see notes)
    kms_requests: float = 0
    apigateway_requests: float = 0
    firehose_bytes: float = 0  # PutRecordBatch record data sent to the curated table's stream
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cost_lines(usage: Usage, prices: PriceTable) -> dict[str, float]:
    """USD per line item for the whole measured run."""
    return {
        "stepfunctions_transitions": usage.state_transitions
        * prices["stepfunctions_standard_transition"],
        "stepfunctions_express_requests": usage.express_requests
        * prices["stepfunctions_express_request"],
        "stepfunctions_express_duration": usage.express_gb_seconds
        * prices["stepfunctions_express_gb_second"],
        "lambda_requests": usage.lambda_requests * prices["lambda_request"],
        "lambda_duration": usage.lambda_gb_seconds
        * prices.lambda_gb_second(usage.lambda_architecture),
        "s3_put": usage.s3_puts * prices["s3_put"],
        "s3_get": usage.s3_gets * prices["s3_get"],
        "dynamodb_writes": usage.dynamodb_wru * prices["dynamodb_write_request_unit"],
        "sqs_requests": usage.sqs_requests * prices["sqs_request"],
        "logs_ingestion": usage.log_bytes / BYTES_PER_GB * prices["logs_ingestion_gb"],
        "kms_requests": usage.kms_requests * prices["kms_request"],
        "apigateway_requests": usage.apigateway_requests * prices["apigateway_http_request"],
        "firehose_iceberg": usage.firehose_bytes / BYTES_PER_GB * prices["firehose_iceberg_gb"],
    }


def per_million(lines: Mapping[str, float], events: float) -> dict[str, float]:
    """Each line item scaled to one million events, plus ``total``."""
    if events <= 0:
        raise ValueError("events must be positive")
    scaled = {k: v * 1_000_000 / events for k, v in lines.items()}
    scaled["total"] = sum(scaled.values())
    return scaled


def ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return math.inf
    return numerator / denominator


def decimal_places(value: float, places: int = 6) -> float:
    """Round for reports without float noise (0.1 + 0.2 -> 0.3)."""
    return float(round(Decimal(repr(value)), places))
