"""Sustained events/s of single-event POSTs each entry takes within an account's quotas (pure).

For an entry (direct or buffered, on a Standard or an Express workflow) at an arrival rate,
``flow`` says what it asks of every quota per second, from the pipeline's measured units per
execution (benchmarks.buffered.PipelineProfile) and the buffer's batch formation: API Gateway
requests, StartExecution calls, state transitions, Lambda invokes and concurrency (busy seconds
per second, all functions of the account), the event source mapping's concurrent invokes, SQS
messages in flight (received, not yet deleted), DynamoDB write units (the table's and the hottest
user's: every item of a user shares the partition key user_id, and its writes go to the newest
sort keys, so splitting the partition does not spread them), and S3 PUTs into the hour's raw prefix.

A check's capacity is the highest rate below which every rate fits its quota; the entry's capacity
is the lowest of its checks (the binding quota). Raising that quota lifts the capacity to the next
check that depends on another quota (``next_binding``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final

from benchmarks.buffered import (
    BufferSettings,
    PipelineProfile,
    batch_duration_s,
    batch_formed,
    executions_per_batch,
)
from benchmarks.quotas import QuotaTable

RATE_FLOOR: Final = 0.01
RATE_CEILING: Final = 1e8
GRID_POINTS: Final = 800
BISECTIONS: Final = 60


@dataclass(frozen=True)
class Entry:
    """One configuration: direct (one execution per POST) or buffered (settings given)."""

    label: str
    profile: PipelineProfile
    settings: BufferSettings | None
    hot_user_share: float  # the hottest user's share of the events

    @property
    def buffered(self) -> bool:
        return self.settings is not None


@dataclass(frozen=True)
class Flow:
    """What an entry asks per second (or at once) at one arrival rate of single-event POSTs."""

    rate: float
    api_requests: float
    events_per_execution: float
    executions: float
    state_transitions: float
    lambda_invokes: float
    lambda_concurrency: float
    mapping_invokes: float  # the event source mapping's concurrent invokes
    sqs_in_flight: float
    dynamodb_wru: float
    hot_partition_wru: float
    s3_puts: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


def flow(entry: Entry, rate: float) -> Flow:
    profile = entry.profile
    settings = entry.settings
    if settings is None:
        size, executions, batches, batch_s, in_flight = 1.0, rate, 0.0, 0.0, 0.0
    else:
        batch = batch_formed(rate, settings)
        chunks = executions_per_batch(batch, settings)
        size = batch / chunks
        batches = rate / batch
        executions = batches * chunks
        batch_s = batch_duration_s(batch, settings)
        gathering = min(settings.window_s, batch * settings.pollers / rate)
        in_flight = rate * (gathering + batch_s)
    units = profile.units(size)
    wru = executions * units["dynamodb_wru"]
    if profile.workflow_type == "STANDARD":
        transitions = executions * units["state_transitions"]
    else:
        transitions = 0.0
    return Flow(
        rate=rate,
        api_requests=rate,
        events_per_execution=size,
        executions=executions,
        state_transitions=transitions,
        lambda_invokes=executions * units["lambda_requests"] + batches,
        lambda_concurrency=executions * profile.lambda_seconds(size) + batches * batch_s,
        mapping_invokes=batches * batch_s,
        sqs_in_flight=in_flight,
        dynamodb_wru=wru,
        hot_partition_wru=wru * entry.hot_user_share,
        s3_puts=executions * units["s3_puts"],
    )


@dataclass(frozen=True)
class Check:
    name: str
    quota: str  # the quota whose raise lifts this check
    limit: Callable[[QuotaTable], float]
    demand: Callable[[Flow], float]
    applies: Callable[[Entry], bool]


def _always(entry: Entry) -> bool:
    return True


def _buffered(entry: Entry) -> bool:
    return entry.buffered


def _standard(entry: Entry) -> bool:
    return entry.profile.workflow_type == "STANDARD"


def _express(entry: Entry) -> bool:
    return entry.profile.workflow_type == "EXPRESS"


def _quota(key: str) -> Callable[[QuotaTable], float]:
    return lambda quotas: quotas[key]


CHECKS: Final = (
    Check(
        "API Gateway account throttle",
        "apigateway_account_rps",
        _quota("apigateway_account_rps"),
        lambda f: f.api_requests,
        _always,
    ),
    Check(
        "StartExecution (Standard)",
        "sfn_standard_start_execution_rps",
        _quota("sfn_standard_start_execution_rps"),
        lambda f: f.executions,
        _standard,
    ),
    Check(
        "StartExecution (Express)",
        "sfn_express_start_execution_rps",
        _quota("sfn_express_start_execution_rps"),
        lambda f: f.executions,
        _express,
    ),
    Check(
        "state transitions (Standard)",
        "sfn_standard_state_transitions_per_s",
        _quota("sfn_standard_state_transitions_per_s"),
        lambda f: f.state_transitions,
        _standard,
    ),
    Check(
        "Lambda concurrency (account)",
        "lambda_concurrency",
        _quota("lambda_concurrency"),
        lambda f: f.lambda_concurrency,
        _always,
    ),
    Check(
        "Lambda invokes/s (10 x concurrency quota)",
        "lambda_concurrency",
        lambda q: q["lambda_rps_per_concurrency"] * q["lambda_concurrency"],
        lambda f: f.lambda_invokes,
        _always,
    ),
    Check(
        "SQS mapping concurrent invokes",
        "lambda_sqs_max_concurrent_invokes",
        _quota("lambda_sqs_max_concurrent_invokes"),
        lambda f: f.mapping_invokes,
        _buffered,
    ),
    Check(
        "SQS messages in flight",
        "sqs_standard_in_flight",
        _quota("sqs_standard_in_flight"),
        lambda f: f.sqs_in_flight,
        _buffered,
    ),
    Check(
        "DynamoDB table write throughput",
        "dynamodb_table_wru_per_s",
        _quota("dynamodb_table_wru_per_s"),
        lambda f: f.dynamodb_wru,
        _always,
    ),
    Check(
        "DynamoDB partition (hottest user)",
        "dynamodb_partition_wcu_per_s",
        _quota("dynamodb_partition_wcu_per_s"),
        lambda f: f.hot_partition_wru,
        _always,
    ),
    Check(
        "S3 PUT per prefix (the hour's raw objects)",
        "s3_put_per_prefix_per_s",
        _quota("s3_put_per_prefix_per_s"),
        lambda f: f.s3_puts,
        _always,
    ),
)


def highest_rate(fits: Callable[[float], bool]) -> float:
    """The highest rate below which every rate fits: the first failing rate of a geometric grid
    (so a demand that is not monotone in the rate cannot hide a failure), refined by bisection;
    math.inf when every rate up to RATE_CEILING fits."""
    ratio = (RATE_CEILING / RATE_FLOOR) ** (1 / GRID_POINTS)
    good, rate = 0.0, RATE_FLOOR
    while rate <= RATE_CEILING:
        if not fits(rate):
            low, high = good, rate
            for _ in range(BISECTIONS):
                middle = (low + high) / 2
                if fits(middle):
                    low = middle
                else:
                    high = middle
            return low
        good, rate = rate, rate * ratio
    return math.inf


def check_capacity(check: Check, entry: Entry, quotas: QuotaTable) -> float:
    """Events/s the check's quota allows, to a thousandth (a bisection's last digits are noise)."""
    limit = check.limit(quotas)
    return round(highest_rate(lambda rate: check.demand(flow(entry, rate)) <= limit), 3)


@dataclass(frozen=True)
class Capacity:
    label: str
    events_per_s: float
    binding: str
    binding_quota: str
    next_binding: str | None
    next_events_per_s: float
    by_check: dict[str, float]
    at_capacity: dict[str, float]
    ramp_s: dict[str, float]  # how long the scaling rates take to reach the capacity's needs

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: an unbounded rate is None."""
        out = asdict(self)
        out["events_per_s"] = finite(self.events_per_s)
        out["next_events_per_s"] = finite(self.next_events_per_s)
        out["by_check"] = {k: finite(v) for k, v in self.by_check.items()}
        return out


def finite(value: float) -> float | None:
    return round(value, 1) if math.isfinite(value) else None


def capacity(entry: Entry, quotas: QuotaTable) -> Capacity:
    """The entry's sustained events/s, the binding check and what raising its quota buys."""
    checks = [c for c in CHECKS if c.applies(entry)]
    rates = {c.name: check_capacity(c, entry, quotas) for c in checks}
    ordered = sorted(checks, key=lambda c: rates[c.name])
    binding = ordered[0]
    after = next((c for c in ordered if c.quota != binding.quota), None)
    sustained = rates[binding.name]
    at = flow(entry, sustained if math.isfinite(sustained) else RATE_CEILING)
    return Capacity(
        label=entry.label,
        events_per_s=sustained,
        binding=binding.name,
        binding_quota=binding.quota,
        next_binding=after.name if after else None,
        next_events_per_s=rates[after.name] if after else math.inf,
        by_check={c.name: rates[c.name] for c in ordered},
        at_capacity=at.as_dict(),
        ramp_s=ramp(at, quotas),
    )


def ramp(at: Flow, quotas: QuotaTable) -> dict[str, float]:
    """Seconds the scaling rates take to reach what ``at`` needs, from nothing: Lambda adds 1,000
    environments per 10 s per function (as if one function needed all the concurrency: an upper
    bound), the SQS mapping 300 concurrent invokes a minute above its first five."""
    lambda_steps = math.ceil(at.lambda_concurrency / quotas["lambda_scaling_per_10s"])
    extra_invokes = max(0.0, at.mapping_invokes - quotas["lambda_sqs_pollers_low_traffic"])
    return {
        "lambda_concurrency": 10.0 * lambda_steps,
        "mapping_invokes": round(60 * extra_invokes / quotas["lambda_sqs_scale_up_per_minute"], 1),
    }
