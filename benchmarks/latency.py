"""Latency of the buffered entry in the emulator: from the route's 200 to the item in the table.

Single events are POSTed to the dev stack's local HTTP API (one event per request) at ``rate``
events/s from ``concurrency`` clients, through the entry buffer and its consumer as
``harness serve`` runs them but with the batching window as deployed (5 s, unscaled), no faults
and no malformed bodies: ``harness.tools.soak_single.run_single``, whose latency is, per stored
event, the time the Write task of its execution succeeded (the execution's history) minus the time
its request was answered 200, after ``WARMUP`` events sent and stored first (the functions' first
invocations in the emulator — imports, clients — are not counted, as the bench's warm-up
executions are not). The target: p99 within the batching window plus 2 s.

The emulator runs every function in this process under one GIL, so a batch's own processing time
is the emulator's (moto in Python), not AWS's: an upper bound of the pipeline's share. It also
bounds the rate the emulator keeps up with — about 100 events/s for batches of 500 on this
machine (the end-to-end throughput table) — so ``RATES`` are 10 events/s, below it, where the
figure is the window's and a batch's processing, and 100 events/s, at it, where batches queue
behind each other; the target is read at the first.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from benchmarks import entries, report
from benchmarks.revision import source_revision
from benchmarks.stats import percentile
from components.builders.settings import load_stack_config
from harness.tools.soak_single import run_single

HERE = Path(__file__).resolve().parent

RATES: Final = ((10.0, 600), (100.0, 2_000))  # (events/s, events sent)
RATE, EVENTS = RATES[0]
CONCURRENCY: Final = 8
WARMUP: Final = 20
TARGET_MARGIN_S: Final = 2.0


def run(
    window_s: float, rate: float = RATE, events: int = EVENTS, concurrency: int = CONCURRENCY
) -> dict[str, Any]:
    """p50/p99/max of route-200 -> item, over every event (seconds), and the run's settings."""
    report = run_single(
        events=events,
        fault_rate=0.0,
        malformed_rate=0.0,
        concurrency=concurrency,
        rate=rate,
        progress=False,
        warmup=WARMUP,
    )
    if not report.ok:
        raise RuntimeError(f"latency run lost or duplicated events: {report.lines()}")
    latencies = report.latencies
    if len(latencies) != events:
        raise RuntimeError(f"latency measured for {len(latencies)} of {events} events")
    sizes = report.batch_sizes
    return {
        "rate": rate,
        "events": events,
        "concurrency": concurrency,
        "window_s": window_s,
        "executions": len(report.executions),
        "records_per_execution_mean": round(sum(sizes) / len(sizes), 1),
        "p50_s": round(percentile(latencies, 50), 3),
        "p99_s": round(percentile(latencies, 99), 3),
        "max_s": round(max(latencies), 3),
        "limit_s": window_s + TARGET_MARGIN_S,
        "wall_s": round(report.seconds, 1),
    }


def run_rates(window_s: float) -> list[dict[str, Any]]:
    """``run`` at each of ``RATES``."""
    return [run(window_s, rate=rate, events=events) for rate, events in RATES]


def splice(document: str, runs: list[dict[str, Any]], alone: dict[str, Any]) -> str:
    """RESULTS.md with its latency section, its latency target's row and gap replaced."""
    (target,) = report.latency_targets(runs)
    lines = document.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("| buffered p99 route 200 -> item"):
            lines[i] = "| " + " | ".join(map(str, report.target_cells(target.as_dict()))) + " |"
    gap = report.latency_gap(target)
    lines = [line for line in lines if not line.startswith("- buffered p99 route 200 -> item")]
    if not target.met:
        last = max(i for i, line in enumerate(lines) if line.startswith("- "))
        first_section = next(i for i, line in enumerate(lines) if line.startswith("## Cost"))
        lines.insert(min(last + 1, first_section - 1), f"- {gap}")
    section = "\n".join(report.latency_section(runs, alone)).strip("\n")
    return report.splice_section("\n".join(lines), report.LATENCY_TITLE, section)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.latency``: this section alone, spliced into RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency", description=__doc__)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    buffer = entries.stack_buffer(load_stack_config(entries.DEV_STACK))
    runs = run_rates(float(buffer.batching_window_seconds))
    alone = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": source_revision()["commit"],
    }
    document = args.results.read_text(encoding="utf-8")
    args.results.write_text(splice(document, runs, alone), encoding="utf-8")
    print(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
