"""Handler CPU per event, as information: the pure cores of Process and Write, and a JSON baseline.

Process = ``curate_body`` over the NDJSON raw object (parse, validate, normalize, enrich) plus
serializing its items (the Lambda runtime serializes the returned payload). Baseline = parsing the
same NDJSON lines and serializing the parsed events. Write = de-duplicating and building the
PutItem items (``handlers.table``). Each is timed over the whole event set after a
warm-up; the figure is the median of the repeats, divided by the number of events. No target: the
Lambda duration this costs is a small share of the cost per event (the cost table shows it).
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks.stats import median
from benchmarks.workload import make_events
from handlers import keys, table
from handlers.canonical import (
    canonical_bytes,
    iter_ndjson_lines,
    json_value_problem,
    short_hash_bytes,
    to_ndjson,
)
from handlers.curate import Lineage, curate_body, curate_event
from handlers.normalize import anonymize_ip, normalize_action
from handlers.rawlines import read_line
from handlers.schema import schema_problem
from handlers.times import EPOCH, format_time, parse_event_time

COMPACT = (",", ":")


def time_per_item(
    fn: Callable[[], Any], items: int, *, repeats: int, warmup: int = 3
) -> dict[str, float]:
    """Median wall and CPU microseconds per item over ``repeats`` runs of ``fn`` (GC off)."""
    for _ in range(warmup):
        fn()
    walls: list[float] = []
    cpus: list[float] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            wall, cpu = time.perf_counter_ns(), time.process_time_ns()
            fn()
            walls.append((time.perf_counter_ns() - wall) / 1000 / items)
            cpus.append((time.process_time_ns() - cpu) / 1000 / items)
    finally:
        if enabled:
            gc.enable()
    return {"wall_us": round(median(walls), 3), "cpu_us": round(median(cpus), 3)}


def run(events_count: int = 1000, repeats: int = 15, seed: int = 11) -> dict[str, Any]:
    now = datetime.now(UTC)
    events = make_events(events_count, seed=seed, nonce="cpu", now=now)
    body = to_ndjson(events)
    lines = list(iter_ndjson_lines(body))
    batch = keys.batch_id(events)
    lineage = Lineage(
        raw_key=keys.raw_key(events, batch, EPOCH),
        batch_id=batch,
        execution_id=f"arn:aws:states:us-east-1:123456789012:execution:bench:b-{batch}",
        received_at=now,
        processed_at=now,
        late_threshold_hours=72,
    )
    curated = curate_body(body, lineage)
    if curated.rejected:
        raise RuntimeError(f"benchmark events were rejected: {curated.rejected[:3]}")
    items = curated.items
    parsed = [json.loads(line) for line in lines]

    def baseline() -> str:
        return json.dumps([json.loads(line) for line in lines], separators=COMPACT)

    def process() -> str:
        return json.dumps(curate_body(body, lineage).items, separators=COMPACT)

    def process_core() -> Any:
        return curate_body(body, lineage)

    stored_lineage = lineage.attributes()  # Process's `lineage` output

    def write() -> Any:
        unique, _, _ = table.dedupe(items)
        return [table.stored_item(item, stored_lineage) for item in unique]  # Write's builder

    n = len(events)
    results: dict[str, Any] = {
        "events": n,
        "repeats": repeats,
        "mean_event_bytes": round(len(body) / n, 1),
        "mean_item_bytes": round(len(json.dumps(items, separators=COMPACT)) / n, 1),
        "baseline_json_parse_serialize": time_per_item(baseline, n, repeats=repeats),
        "process": time_per_item(process, n, repeats=repeats),
        "process_without_output_serialize": time_per_item(process_core, n, repeats=repeats),
        "write_item_building": time_per_item(write, n, repeats=repeats),
    }
    results["process_stages"] = stage_breakdown(lines, parsed, lineage, repeats)
    base = results["baseline_json_parse_serialize"]["cpu_us"]
    results["process_vs_baseline"] = round(results["process"]["cpu_us"] / base, 2)
    results["write_vs_baseline"] = round(results["write_item_building"]["cpu_us"] / base, 2)
    return results


def stage_breakdown(
    lines: list[str], parsed: list[Any], lineage: Lineage, repeats: int
) -> dict[str, float]:
    """CPU microseconds per event of each rule Process applies, measured one by one, and of
    curate_event (every rule, and building the item) for comparison."""
    n = len(parsed)
    stages: dict[str, Callable[[], Any]] = {
        "read_line": lambda: [read_line(line) for line in lines],
        "canonical_json_and_hash": lambda: [short_hash_bytes(canonical_bytes(e)) for e in parsed],
        "json_value_check": lambda: [json_value_problem(e) for e in parsed],
        "event_time": lambda: [format_time(parse_event_time(e["event_time"])) for e in parsed],
        "json_schema": lambda: [schema_problem(e) for e in parsed],
        "normalize_action": lambda: [normalize_action(e["action"]) for e in parsed],
        "anonymize_ip": lambda: [anonymize_ip(e["ip"]) for e in parsed if "ip" in e],
        "curate_event": lambda: [curate_event(e, i, lineage) for i, e in enumerate(parsed)],
    }
    return {
        name: time_per_item(fn, n, repeats=max(5, repeats // 2))["cpu_us"]
        for name, fn in stages.items()
    }
