"""``python -m benchmarks``: run every benchmark, write results.json, RESULTS.md and the chart.

Each workflow type runs in a fresh interpreter (``python -m benchmarks.harness_runs``): the
emulator, its patches and the handlers' module state never leak from one configuration into the
next, and the handler modules are imported only once the in-process Lambda runtime captures their
output.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    chart,
    coldstart,
    cost,
    cpu,
    curated,
    entries,
    latency,
    packing,
    report,
    writepath,
)
from benchmarks.buffered import BufferSettings, PipelineProfile
from benchmarks.prices import PriceTable, load_prices
from benchmarks.quotas import QuotaTable, load_quotas
from benchmarks.revision import source_revision
from benchmarks.workload import (
    fits_payload_limit,
    fits_records_limit,
    hottest_user_share,
    largest_fitting_batch,
    make_events,
)
from components.builders.settings import BufferSettings as StackBuffer
from components.builders.settings import load_stack_config
from handlers.table import WRITE_CONCURRENCY

HERE = Path(__file__).resolve().parent
MICRO_BATCH = 100
SIZES = (1, 25, 100, 500)
MAX_BATCH_EVENTS_KEY = "activity-pipeline:maxBatchEvents"


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def largest_fit(
    seed: int,
    samples: int = 8,
    upper: int = 500,
    fits: Callable[[list[Any]], bool] = fits_payload_limit,
) -> int:
    """The largest batch Ingest accepts, the smallest such over several windows of events
    (as an ``events`` envelope, or with ``fits`` another form)."""
    events = make_events(upper * samples, seed=seed, nonce="fit")
    return min(
        largest_fitting_batch(events[i * upper : (i + 1) * upper], upper, fits)
        for i in range(samples)
    )


def run_child(workflow_type: str, plan: list[tuple[int, int]], seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = Path(tmp) / "result.json"
        text = ",".join(f"{size}:{events}" for size, events in plan)
        print(f"  {workflow_type}: batches {text} ...", flush=True)
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                *(sys.executable, "-m", "benchmarks.harness_runs", workflow_type),
                *("--plan", text, "--seed", str(seed), "--out", str(out)),
            ],
            cwd=HERE.parent,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        print(f"  {workflow_type}: done in {time.perf_counter() - started:.0f} s", flush=True)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result


def outcome(segment: dict[str, Any]) -> str:
    if segment["succeeded"] == segment["executions"]:
        return "all stored"
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(segment["statuses"].items()))
    return f"{statuses}; {segment['items_written']} stored, {segment['dlq_messages']} to DLQ"


def usage_from(data: dict[str, Any]) -> cost.Usage:
    return cost.Usage(**data)


def cost_of(segment: dict[str, Any], prices: PriceTable) -> dict[str, float]:
    usage = usage_from(segment["usage"])
    return cost.per_million(cost.cost_lines(usage, prices), usage.events)


def pick(runs: list[dict[str, Any]], workflow_type: str, size: int) -> dict[str, Any]:
    for run in runs:
        if run["workflow_type"] == workflow_type:
            for segment in run["segments"]:
                if segment["batch_size"] == size:
                    return dict(segment)
    raise LookupError(f"no {workflow_type} run at batch size {size}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--events", type=int, default=1000, help="events per batch size")
    parser.add_argument(
        "--naive-events", type=int, default=1000, help="events at batch size 1 (one per execution)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--curated-events",
        type=int,
        default=curated.DEFAULT_EVENTS,
        help="events of the curated table's measurement",
    )
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    prices = load_prices()
    quotas = load_quotas()
    dev_config = load_stack_config(entries.DEV_STACK)
    max_batch_events = int(dev_config[MAX_BATCH_EVENTS_KEY])

    print("handler CPU ...", flush=True)
    cpu_results = cpu.run()
    print("write path ...", flush=True)
    write_path = writepath.run()
    print("cold start ...", flush=True)
    cold = coldstart.run()
    print("Batch packing ...", flush=True)
    packed = packing.measure(max_batch_events)
    fit = largest_fit(args.seed)
    records_fit = largest_fit(args.seed, upper=max_batch_events, fits=fits_records_limit)
    fit_size = max(2, fit // 10 * 10)
    print(f"largest batch under the payload limit: {fit} events; end to end ...", flush=True)
    standard_plan = [(1, args.naive_events)] + [
        (size, max(size, math.ceil(args.events / size) * size))
        for size in sorted({*SIZES[1:], fit_size})
    ]
    # Express at one event per execution too: the direct entry's single-event cost
    express_plan = [(1, max(1, args.naive_events // 4))] + [
        (size, max(size, math.ceil(args.events / size) * size))
        for size in sorted({*SIZES[1:], fit_size})
    ]
    runs = [
        run_child("STANDARD", standard_plan, args.seed),
        run_child("EXPRESS", express_plan, args.seed + 1),
    ]

    configurations = [
        ("naive: 1 event / Standard execution", pick(runs, "STANDARD", 1)),
        (f"micro-batch {MICRO_BATCH} / Standard", pick(runs, "STANDARD", MICRO_BATCH)),
        (f"micro-batch {MICRO_BATCH} / Express", pick(runs, "EXPRESS", MICRO_BATCH)),
    ]
    cost_configs = [
        {
            "label": label,
            "workflow_type": seg["workflow_type"],
            "batch_size": seg["batch_size"],
            "usage": seg["usage"],
            "per_million": cost_of(seg, prices),
        }
        for label, seg in configurations
    ]
    throughput = []
    by_batch = []
    for run in runs:
        for segment in run["segments"]:
            segment["outcome"] = outcome(segment)
            throughput.append(segment)
            by_batch.append(
                {
                    "workflow_type": segment["workflow_type"],
                    "batch_size": segment["batch_size"],
                    "per_million": cost_of(segment, prices),
                    # a refused batch stores nothing: its cost is not a cost per stored event
                    "comparable": segment["items_written"] == segment["events"],
                    "outcome": segment["outcome"],
                }
            )
    naive_total = cost_configs[0]["per_million"]["total"]
    micro_total = cost_configs[1]["per_million"]["total"]
    express_total = cost_configs[2]["per_million"]["total"]
    buffer = entries.stack_buffer(dev_config)
    entry = entry_model(
        runs, prices, quotas, packed, records_fit, buffer, max_batch_events, args.seed
    )
    series = [chart.Series(**s) for s in entry.pop("chart_series")]
    curated_table = curated.run(
        prices,
        BufferSettings(**entry["settings"]),
        args.curated_events,
        curated.DEFAULT_BATCH,
        args.seed,
    )
    print("buffered latency ...", flush=True)
    latencies = latency.run_rates(float(entry["settings"]["window_s"]))
    targets = (
        report.evaluate_targets(
            naive_total,
            micro_total,
            {name: h["vs_boto3"] for name, h in cold["handlers"].items()},
        )
        + [report.Target(**t) for t in entry["targets"]]
        + report.latency_targets(latencies)
    )
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "source": source_revision(),
        "prices": {
            "file": "benchmarks/prices_us_east_1.json",
            "region": prices.region,
            "checked_on": prices.checked_on.isoformat(),
            "usd_per_unit": dict(prices.usd),
            "sources": dict(prices.sources),
        },
        "targets": [t.as_dict() for t in targets],
        "gaps": gaps(targets, cold, fit, entry),
        "cost": {
            "micro_batch_size": MICRO_BATCH,
            "configurations": cost_configs,
            "micro_standard_vs_naive": round(micro_total / naive_total, 5),
            "micro_express_vs_naive": round(express_total / naive_total, 5),
            "by_batch_size": by_batch,
        },
        "largest_batch_under_payload_limit": fit,
        "largest_records_batch_under_payload_limit": records_fit,
        "batch_packing": packed,
        "entries": entry,
        "throughput": throughput,
        "deployments": [{k: v for k, v in run.items() if k != "segments"} for run in runs],
        "cpu": cpu_results,
        "write_path": write_path,
        "cold_start": cold,
        "curated": curated_table,
        "latency": latencies,
        "notes": notes(prices, entry),
    }
    results["wall_s"] = round(time.perf_counter() - started, 1)
    markdown = report.render_markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    drawn = chart.render(series, entries.RATES, args.out / chart.CHART_FILE.name)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (args.out / "RESULTS.md").write_text(markdown, encoding="utf-8")
    print()
    print(markdown)
    print(f"wrote {args.out / 'results.json'}, {args.out / 'RESULTS.md'} and {drawn}")
    return 0


def entry_model(
    runs: list[dict[str, Any]],
    prices: PriceTable,
    quotas: QuotaTable,
    packed: dict[str, Any],
    records_fit: int,
    buffer: StackBuffer,
    max_batch_events: int,
    seed: int,
) -> dict[str, Any]:
    """The entries' cost, capacity and targets from the measured runs (benchmarks.entries)."""
    profiles = {
        run["workflow_type"]: PipelineProfile.from_segments(
            run["workflow_type"], run["architecture"], run["memory_mb"], run["segments"]
        )
        for run in runs
    }
    standard = next(r for r in runs if r["workflow_type"] == "STANDARD")
    settings = entries.settings(
        quotas,
        buffer=buffer,
        max_batch_events=max_batch_events,
        execution_fit=records_fit,
        packing=packed,
        memory_mb=int(standard["memory_mb"]),
        log_bytes_per_invoke=entries.log_bytes_per_invoke(pick(runs, "STANDARD", 1)),
    )
    share = hottest_user_share(make_events(10_000, seed=seed, nonce="share"))
    return entries.model(profiles, settings, prices, quotas, share)


def gaps(
    targets: list[report.Target], cold: dict[str, Any], fit: int, entry: dict[str, Any]
) -> list[str]:
    """Why a target is not met, from the measured breakdowns."""
    reasons = []
    for target in targets:
        if target.met:
            continue
        if target.name.startswith("cold import"):
            handler = target.name.split()[2]
            top = cold["handlers"][handler]["top_imports"]
            reasons.append(
                f"{target.name} is {target.measured:.2f}x: boto3 is inside every handler import; "
                "the rest is " + ", ".join(f"{t['package']} {t['cumulative_ms']} ms" for t in top)
            )
        elif target.name.startswith("buffered p99"):
            reasons.append(report.latency_gap(target))
        elif target.name.startswith("buffered"):
            reasons.append(entries.gap(target, entry))
        elif target.name.startswith("micro-batch cost"):
            reasons.append(
                f"micro-batches cost {target.measured:.4f} of the naive design; the per-event "
                "floors (DynamoDB WRU, logs) dominate once transitions are shared"
            )
    if fit < 500:
        reasons.append(
            f"Batch size 500 (maxBatchEvents in Pulumi.dev.yaml) is refused by Ingest for these "
            f"events: its enriched-size estimate exceeds Process's output limit (256 KB less the "
            f"Lambda response and Write's execution_id) above {fit} events, so those executions "
            "end in the DLQ (shown in the throughput "
            "table); the largest size that fits was measured as well."
        )
    return reasons


def notes(prices: PriceTable, entry: dict[str, Any]) -> list[str]:
    s = entry["settings"]
    return [
        "Operations are counted by a botocore before-parameter-build hook on every client the "
        "emulator, the ASL interpreter and the functions create (benchmarks/counting.py): S3 "
        "PutObject/GetObject, DynamoDB PutItem (and BatchWriteItem) items with their DynamoDB "
        "item sizes (1 WRU per started KB; a conditional PutItem refused because the key is "
        "taken is billed the same), SQS SendMessage (per 64 KB chunk), CloudWatch Logs "
        "PutLogEvents bytes (+26 bytes per event), Lambda Invoke, StartExecution. Warm-up "
        "executions (one of 1 event, one of 25) are excluded.",
        "Standard state transitions are counted from get_execution_history: every *StateEntered "
        "event plus each Task retry.",
        "Express duration is the emulator's startDate->stopDate rounded up to 100 ms; memory is "
        "50 MB + definition + largest state payload, billed in 64 MB chunks.",
        "Lambda duration is the measured wall time of each handler call (in the in-process "
        "runtime, incl. the emulated S3/DynamoDB calls in place of network round trips), rounded "
        "up to 1 ms, at the deployed memory size and architecture (arm64 price).",
        "Log bytes are what the functions logged (START/REPORT lines, Powertools JSON, EMF "
        "metrics) plus the state machine's own log at the deployed workflowLogLevel (ERROR in "
        "both stacks: failures only; at ALL every execution-history event is logged with its "
        "data, estimated as its JSON).",
        "KMS: the raw bucket uses an S3 Bucket Key, so S3 calls KMS about once per key lifetime, "
        "not per object; the emulator makes no KMS calls and the per-event KMS cost is taken as "
        f"0 (${prices['kms_request'] * 10_000:.2f} per 10,000 requests if it were per object).",
        "Not included: storage (S3 GB-month, DynamoDB GB-month, log retention), PITR, data "
        "transfer, custom-metric charges for the EMF metrics, free tiers.",
        "Throughput is sequential (one execution at a time) in moto's in-process ASL interpreter: "
        "it shows the emulator's per-execution overhead, not AWS latency.",
        "Write path: handlers.table.write_items (conditional PutItem, "
        f"{WRITE_CONCURRENCY} at a time) against the blind BatchWriteItem in "
        "chunks of 25 that Write used before, on the same curated items in moto in process "
        "(benchmarks/writepath.py); moto serves each request in Python under the GIL, so its "
        "wall times show the per-request overhead of the emulator, not DynamoDB's latency.",
        "Handler CPU uses the pure core functions of handlers/ directly (perf_counter_ns and "
        "process_time_ns, GC off, 3 warm-up runs); it is information, not a target: its share "
        "of the cost is in the Lambda duration line of the cost table.",
        "Cold start: the deployment package is zipped from components.workflow.handler_files, "
        "unzipped and imported in fresh interpreters with PYTHONDONTWRITEBYTECODE=1 (handlers "
        "compiled from source as in /var/task; site-packages from their bytecode).",
        "Single-event HTTP traffic (benchmarks/buffered.py, benchmarks/capacity.py) is modelled "
        "from the counts above, not run through a buffer in the emulator: the pipeline's units per "
        "execution at each measured batch size, linearly interpolated between sizes (the buffered "
        'entry\'s executions carry {"records": [...]}, the measured ones {"events": [...]}: '
        "the same work per event); API Gateway one request per POST; SQS one SendMessage per "
        f"POST, {s['messages_per_receive']:g} message per ReceiveMessage (a long poll returns as "
        "soon as one message is available: the upper bound of receives while messages trickle "
        "in), one DeleteMessageBatch per 10, 64 KB units; five pollers each gathering its share "
        f"of the traffic for the {s['window_s']:g} s window (bufferBatchingWindowSeconds of the "
        "dev and prod stacks); idle long polls (20 s) and KMS data-key requests (every "
        f"{s['kms_reuse_s']:g} s per principal, {s['producers']} producers and "
        f"{s['consumers']} consumer) counted every hour at every rate.",
        "The Batch function is priced at the stack's memory and architecture: one invoke per "
        f"batch lasting {s['fixed_s'] * 1000:g} ms + {s['start_execution_s'] * 1000:g} ms per "
        "StartExecution (conservative figures) + the packing CPU per record measured in process "
        f"({s['pack_cpu_per_record_s'] * 1e6:.0f} us on this machine's core, "
        "benchmarks/packing.py: the function's own packer, handlers.packing) divided by its "
        "vCPU share "
        f"({s['memory_mb']} of "
        f"{s['vcpu_memory_mb']:g} MB); its log bytes per invoke are the pipeline functions' "
        "measured mean.",
        "Capacity: the highest arrival rate of single-event POSTs below which every rate fits each "
        "quota of benchmarks/quotas_us_east_1.json; Lambda concurrency is the measured billed "
        "seconds per execution (in the emulator: an upper bound of AWS's) times executions per "
        "second, plus the Batch function's; Lambda invokes/s are 3 per execution plus one per "
        "batch; SQS in flight = rate x (gathering time + Batch duration); the hottest user's "
        "partition takes its share of the writes; raw objects of one hour share one S3 prefix.",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
