"""The entries compared for single-event HTTP traffic: cost by rate, capacity, targets (pure).

From the harness's measured runs (one PipelineProfile per workflow type), the measured Batch
packing work and the dated price and quota tables, ``model`` prices one million events for:
today's direct entry (one execution per POST), clients that batch 100 or 500 events per POST
(direct), and the buffered entry at each arrival rate; the capacity of the direct and buffered
entries on Standard and Express; the chart's series; and the bench's targets for the buffered
entry. The buffer's settings (``settings``) are the dev stack's batching window and BatchSize
(Pulumi.dev.yaml: 5 s and 1,000; prod sets the same) with Lambda's five pollers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from benchmarks import buffered, capacity, cost
from benchmarks.buffered import BufferSettings, PipelineProfile
from benchmarks.chart import Series, capped, rates
from benchmarks.prices import PriceTable
from benchmarks.quotas import QuotaTable
from benchmarks.report import Target, at_least, at_most
from components.builders.settings import BufferSettings as StackBuffer

RATES: Final = (1.0, 10.0, 100.0, 1000.0)
CLIENT_BATCHES: Final = (100, 500)
WORKFLOW_TYPES: Final = ("STANDARD", "EXPRESS")
TARGET_RATE: Final = 100.0
TARGET_USD_STANDARD: Final = 3.50
TARGET_VS_CLIENT_BATCH: Final = 1.5
TARGET_CLIENT_BATCH: Final = 100
TARGET_CAPACITY: Final = 10_000.0
DEV_STACK: Final = Path(__file__).resolve().parents[1] / "Pulumi.dev.yaml"
# Conservative figures for the Batch function's own time (its packing CPU is measured): the
# runtime's overhead per invoke, and one StartExecution round trip, waited for in turn.
BATCH_FIXED_S: Final = 0.05
START_EXECUTION_S: Final = 0.05
# Principals that use the queue's KMS key: the HTTP API's role and EventBridge send, the Batch
# function's role receives.
PRODUCERS: Final = 2
CONSUMERS: Final = 1


def stack_buffer(config: Mapping[str, str]) -> StackBuffer:
    """The entry buffer's settings of a stack's config (``load_stack_config``: qualified keys)."""
    return StackBuffer.from_raw({key.partition(":")[2]: value for key, value in config.items()})


def settings(
    quotas: QuotaTable,
    *,
    buffer: StackBuffer,
    max_batch_events: int,
    execution_fit: int,
    packing: Mapping[str, Any],
    memory_mb: int,
    log_bytes_per_invoke: float,
) -> BufferSettings:
    """The buffered entry as the model prices it: a stack's batching window and BatchSize."""
    return BufferSettings(
        window_s=float(buffer.batching_window_seconds),
        batch_size=min(buffer.batch_size, int(quotas["lambda_sqs_batch_size_max"])),
        pollers=int(quotas["lambda_sqs_pollers_low_traffic"]),
        max_batch_events=max_batch_events,
        execution_fit=execution_fit,
        invoke_payload_bytes=int(quotas["lambda_sync_invoke_payload_bytes"]),
        record_bytes=float(packing["record_bytes_mean"]),
        body_bytes=float(packing["body_bytes_mean"]),
        messages_per_receive=1.0,
        max_messages_per_request=int(quotas["sqs_receive_max_messages"]),
        idle_wait_s=quotas["sqs_long_poll_wait_s"],
        kms_reuse_s=quotas["sqs_kms_data_key_reuse_s"],
        producers=PRODUCERS,
        consumers=CONSUMERS,
        memory_mb=memory_mb,
        fixed_s=BATCH_FIXED_S,
        start_execution_s=START_EXECUTION_S,
        pack_cpu_per_record_s=float(packing["cpu_us_per_record_max"]) / 1e6,
        vcpu_memory_mb=quotas["lambda_vcpu_memory_mb"],
        log_bytes_per_invoke=log_bytes_per_invoke,
    )


def log_bytes_per_invoke(segment: Mapping[str, Any]) -> float:
    """The log bytes per Lambda invoke of a measured segment (functions and state machine)."""
    usage = segment["usage"]
    return float(usage["log_bytes"]) / max(1.0, float(usage["lambda_requests"]))


def sensitivities(base: BufferSettings) -> list[tuple[str, BufferSettings]]:
    """What the model's assumptions do: each varied alone."""
    return [
        ("as modelled: 5 pollers, 1 message per receive, 5 s window", base),
        (
            "10 messages per ReceiveMessage",
            dataclasses.replace(base, messages_per_receive=base.max_messages_per_request),
        ),
        ("2 pollers (AWS's low-traffic optimization)", dataclasses.replace(base, pollers=2)),
        ("20 s batching window", dataclasses.replace(base, window_s=20.0)),
        (IDEAL, ideal_consumer(base, TARGET_RATE)),
    ]


IDEAL = "ideal consumer: every execution full, 10 messages per receive"


def ideal_consumer(base: BufferSettings, rate: float) -> BufferSettings:
    """The cheapest consumer the model allows at ``rate``: one poller gathering a full execution
    (``maxBatchEvents``) per batch, 10 messages per receive — a lower bound of the buffered
    entry's cost whatever the mapping's pollers, window and receives do."""
    return dataclasses.replace(
        base,
        pollers=1,
        messages_per_receive=base.max_messages_per_request,
        window_s=max(base.window_s, base.events_per_execution_max / rate),
    )


def _money(value: float) -> float:
    return round(value, 4)


def model(
    profiles: Mapping[str, PipelineProfile],
    buffer: BufferSettings,
    prices: PriceTable,
    quotas: QuotaTable,
    hot_user_share: float,
) -> dict[str, Any]:
    """Costs, capacities, chart series and targets for the entries, as one results section."""
    configurations: list[dict[str, Any]] = []
    capacities: dict[str, capacity.Capacity] = {}
    series: list[Series] = []
    chart_rates = rates(1, 10_000)
    for workflow in WORKFLOW_TYPES:
        profile = profiles[workflow]
        name = workflow.capitalize()
        direct = capacity.Entry(f"direct, {name}", profile, None, hot_user_share)
        queued = capacity.Entry(f"buffered, {name}", profile, buffer, hot_user_share)
        for entry in (direct, queued):
            capacities[entry.label] = capacity.capacity(entry, quotas)
        direct_cap = capacities[direct.label].events_per_s
        queued_cap = capacities[queued.label].events_per_s

        single = buffered.per_million(buffered.direct_usage(1, profile, buffer.body_bytes), prices)
        configurations.append(
            _row(f"direct, 1 event per POST, {name}", workflow, "direct", single, direct_cap)
        )
        series.append(
            Series(
                f"direct, 1 event/POST, {name}",
                workflow,
                "direct",
                capped({r: single["total"] for r in chart_rates}, direct_cap),
            )
        )
        for size in CLIENT_BATCHES:
            lines = buffered.per_million(
                buffered.direct_usage(size, profile, buffer.body_bytes), prices
            )
            configurations.append(
                _row(
                    f"client batches of {size} per POST (direct), {name}",
                    workflow,
                    f"client {size}",
                    lines,
                    math.inf,
                )
            )
            if size == TARGET_CLIENT_BATCH:
                series.append(
                    Series(
                        f"client batches of {size}/POST, {name}",
                        workflow,
                        "client batch",
                        [(r, lines["total"]) for r in chart_rates],
                    )
                )
        by_rate = {
            r: buffered.per_million(buffered.buffered_usage(r, profile, buffer), prices)
            for r in sorted({*chart_rates, *RATES})
        }
        row = _row(f"buffered, 1 event per POST, {name}", workflow, "buffered", {}, queued_cap)
        row["by_rate"] = {
            _rate_key(r): {k: _money(v) for k, v in by_rate[r].items()} for r in RATES
        }
        row["batch_formed"] = {
            _rate_key(r): {
                "records": round(buffered.batch_formed(r, buffer), 2),
                "executions": buffered.executions_per_batch(
                    buffered.batch_formed(r, buffer), buffer
                ),
            }
            for r in RATES
        }
        row["usage_at_target_rate"] = buffered.usage_dict(
            buffered.buffered_usage(TARGET_RATE, profile, buffer)
        )
        configurations.append(row)
        series.append(
            Series(
                f"buffered, 1 event/POST, {name}",
                workflow,
                "buffered",
                capped({r: by_rate[r]["total"] for r in chart_rates}, queued_cap),
            )
        )
    sensitivity = [
        {
            "assumption": label,
            **{
                w: _money(
                    buffered.per_million(
                        buffered.buffered_usage(TARGET_RATE, profiles[w], varied), prices
                    )["total"]
                )
                for w in WORKFLOW_TYPES
            },
        }
        for label, varied in sensitivities(buffer)
    ]
    targets = evaluate(configurations, capacities)
    return {
        "rates": list(RATES),
        "settings": dataclasses.asdict(buffer),
        "records_per_invoke": buffer.records_per_invoke,
        "events_per_execution_max": buffer.events_per_execution_max,
        "fixed_requests_per_hour": buffered.fixed_requests_per_hour(buffer),
        "hot_user_share": round(hot_user_share, 5),
        # what every single event pays before the buffer: its POST and its SendMessage
        "front_door_per_million": _money(
            buffered.EVENTS
            * (
                cost.apigateway_billed_requests(buffer.body_bytes)
                * prices["apigateway_http_request"]
                + cost.sqs_billed_requests(buffer.body_bytes) * prices["sqs_request"]
            )
        ),
        "single_user_events_per_s": quotas["dynamodb_partition_wcu_per_s"]
        / max(1e-9, _wru_per_event(profiles["STANDARD"])),
        "configurations": configurations,
        "capacity": [c.as_dict() for c in capacities.values()],
        "sensitivity_at_target_rate": sensitivity,
        "targets": [t.as_dict() for t in targets],
        "chart_series": [dataclasses.asdict(s) for s in series],
        "quotas": {
            "file": "benchmarks/quotas_us_east_1.json",
            "checked_on": quotas.checked_on.isoformat(),
            "values": dict(quotas.values),
            "sources": dict(quotas.sources),
        },
    }


def _wru_per_event(profile: PipelineProfile) -> float:
    size = profile.sizes[-1]
    return profile.units(size)["dynamodb_wru"] / size


def _rate_key(rate: float) -> str:
    return f"{rate:g}"


def _row(
    label: str,
    workflow: str,
    kind: str,
    lines: Mapping[str, float],
    capacity_events_per_s: float,
) -> dict[str, Any]:
    return {
        "label": label,
        "workflow_type": workflow,
        "kind": kind,
        "per_million": {k: _money(v) for k, v in lines.items()},
        "capacity_events_per_s": capacity.finite(capacity_events_per_s),
    }


def _find(configurations: Sequence[Mapping[str, Any]], workflow: str, kind: str) -> Any:
    return next(c for c in configurations if c["workflow_type"] == workflow and c["kind"] == kind)


def evaluate(
    configurations: Sequence[Mapping[str, Any]], capacities: Mapping[str, capacity.Capacity]
) -> list[Target]:
    """The bench's targets for the buffered entry (single-event HTTP traffic)."""
    rate = _rate_key(TARGET_RATE)
    targets: list[Target] = []
    for workflow in WORKFLOW_TYPES:
        name = workflow.capitalize()
        queued = _find(configurations, workflow, "buffered")["by_rate"][rate]["total"]
        client = _find(configurations, workflow, f"client {TARGET_CLIENT_BATCH}")["per_million"][
            "total"
        ]
        if workflow == "STANDARD":
            targets.append(
                at_most(
                    f"buffered single-event HTTP at {TARGET_RATE:g} events/s, {name} "
                    "(USD per million events)",
                    queued,
                    TARGET_USD_STANDARD,
                    f"${queued:.2f} per million events",
                )
            )
        targets.append(
            at_most(
                f"buffered at {TARGET_RATE:g} events/s / client batches of "
                f"{TARGET_CLIENT_BATCH}, {name}",
                queued / client,
                TARGET_VS_CLIENT_BATCH,
                f"{queued / client:.2f}x (${queued:.2f} vs ${client:.2f} per million events)",
            )
        )
    for workflow in WORKFLOW_TYPES:
        found = capacities[f"buffered, {workflow.capitalize()}"]
        targets.append(
            at_least(
                f"buffered capacity within default quotas, {workflow.capitalize()} (events/s)",
                found.events_per_s,
                TARGET_CAPACITY,
                f"{found.events_per_s:,.0f} events/s; binds first: {found.binding}",
            )
        )
    return targets


def gap(target: Target, results: Mapping[str, Any]) -> str:
    """Why a target of the buffered entry is not met, from the modelled figures."""
    workflow = "EXPRESS" if "Express" in target.name else "STANDARD"
    name = workflow.capitalize()
    if "capacity" in target.name:
        found = next(c for c in results["capacity"] if c["label"] == f"buffered, {name}")
        return (
            f"the buffered entry on {name} sustains {found['events_per_s']:,.0f} events/s: "
            f"{found['binding']} binds first; raising it buys up to "
            f"{found['next_events_per_s'] or math.inf:,.0f}/s ({found['next_binding']})"
        )
    rate = _rate_key(TARGET_RATE)
    queued = _find(results["configurations"], workflow, "buffered")
    lines = queued["by_rate"][rate]
    client = _find(results["configurations"], workflow, f"client {TARGET_CLIENT_BATCH}")
    rest = lines["total"] - lines["apigateway_requests"] - lines["sqs_requests"]
    sensitivity = {
        row["assumption"]: row[workflow] for row in results["sensitivity_at_target_rate"]
    }
    best = min(((k, v) for k, v in sensitivity.items() if k != IDEAL), key=lambda kv: kv[1])
    ideal = sensitivity[IDEAL]
    front = results["front_door_per_million"]
    floor = (
        f"; even an ideal consumer (every execution {results['events_per_execution_max']} "
        f"records, 10 messages per receive) costs ${ideal:.2f}, "
        f"{ideal / client['per_million']['total']:.2f}x: the POST and its SendMessage alone are "
        f"${front:.2f} per million, {front / client['per_million']['total']:.2f}x the client-"
        "batched figure"
        if "client batches" in target.name
        else ""
    )
    return (
        f"buffered single events at {rate} events/s on {name} cost ${lines['total']:.2f} per "
        f"million: API Gateway ${lines['apigateway_requests']:.2f} and SQS "
        f"${lines['sqs_requests']:.2f} (one request per event each for the POST and the "
        "SendMessage, one ReceiveMessage per message as messages trickle in, a DeleteMessageBatch "
        f"per 10) besides the pipeline and the Batch function, ${rest:.2f} at "
        f"{queued['batch_formed'][rate]['records']:g} records per execution; client batches of "
        f"{TARGET_CLIENT_BATCH} pay one API request per {TARGET_CLIENT_BATCH} events and no SQS "
        f"(${client['per_million']['total']:.2f}). The lowest figure under the varied "
        f"assumptions is ${best[1]:.2f} ({best[0]}){floor}"
    )
