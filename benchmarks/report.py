"""Targets and the readable report (pure: results dict in, verdicts and Markdown out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

COST_TARGET_RATIO: Final = 1 / 40
COLD_IMPORT_TARGET: Final = 1.3
LINE_LABELS: Final = {
    "stepfunctions_transitions": "Step Functions state transitions",
    "stepfunctions_express_requests": "Step Functions Express requests",
    "stepfunctions_express_duration": "Step Functions Express duration",
    "lambda_requests": "Lambda requests",
    "lambda_duration": "Lambda duration (GB-s)",
    "s3_put": "S3 PUT",
    "s3_get": "S3 GET",
    "dynamodb_writes": "DynamoDB writes (WRU)",
    "sqs_requests": "SQS requests",
    "logs_ingestion": "CloudWatch Logs ingestion",
    "kms_requests": "KMS requests",
    "apigateway_requests": "API Gateway HTTP API requests",
    "firehose_iceberg": "Firehose into the Iceberg table (GB ingested)",
    "total": "**total**",
}


@dataclass(frozen=True)
class Target:
    name: str
    measured: float
    limit: float
    comparison: str  # "<=": measured must not exceed limit; ">=": must reach it
    met: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def at_most(name: str, measured: float, limit: float, detail: str) -> Target:
    return Target(name, round(measured, 4), round(limit, 4), "<=", measured <= limit, detail)


def at_least(name: str, measured: float, limit: float, detail: str) -> Target:
    return Target(name, round(measured, 4), round(limit, 4), ">=", measured >= limit, detail)


def evaluate_targets(
    naive_total: float,
    micro_total: float,
    import_ratios: Mapping[str, float],
) -> list[Target]:
    cost_ratio = micro_total / naive_total if naive_total else float("inf")
    targets = [
        at_most(
            "micro-batch cost / naive cost (per million events)",
            cost_ratio,
            COST_TARGET_RATIO,
            f"${micro_total:.4f} vs ${naive_total:.4f} per million events (1/{1 / cost_ratio:.1f})"
            if cost_ratio
            else "micro-batch cost is zero",
        ),
    ]
    for handler, value in sorted(import_ratios.items()):
        targets.append(
            at_most(
                f"cold import {handler} / import boto3",
                value,
                COLD_IMPORT_TARGET,
                f"{value:.2f}x",
            )
        )
    return targets


def _money(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 1:
        return f"{value:,.2f}"
    return f"{value:.4f}" if value >= 0.001 else f"{value:.6f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def cost_table(configs: Mapping[str, Mapping[str, float]]) -> list[str]:
    names = list(configs)
    rows = []
    for key, label in LINE_LABELS.items():
        values = [configs[n].get(key, 0.0) for n in names]
        if key != "total" and not any(values):
            continue
        cells = [f"**{_money(v)}**" if key == "total" else _money(v) for v in values]
        rows.append([label, *cells])
    return _table(["USD per million events", *names], rows)


def write_path_section(results: Mapping[str, Any]) -> list[str]:
    """Write's latency and DynamoDB units: per invocation in the end-to-end runs, and first write
    wins against the blind BatchWriteItem it replaced (benchmarks.writepath)."""
    out = ["", "## Write path: first write wins (conditional PutItem)", ""]
    rows = []
    for s in results["throughput"]:
        write = s["handler_ms_per_invocation"].get("write")
        usage = s["usage"]
        if write is None or not usage["dynamodb_items"]:
            continue
        puts = s["operations"].get("dynamodb:PutItem", 0)
        rows.append(
            [
                s["workflow_type"],
                s["batch_size"],
                write["invocations"],
                write["wall_p50"],
                write.get("wall_p99", "n/a"),
                round(puts / usage["dynamodb_items"], 3),
                round(usage["dynamodb_wru"] / usage["dynamodb_items"], 3),
            ]
        )
    out += ["End to end (Write invocations in the throughput runs above):", ""]
    out += _table(
        ["workflow", "batch", "invocations", "p50 ms", "p99 ms", "PutItem / item", "WRU / item"],
        rows,
    )
    path = results["write_path"]
    labels = {
        "first_write_wins": "first write wins, first delivery",
        "first_write_wins_sent_again": "first write wins, same batch again",
        "baseline_blind_batch_write": "before: blind BatchWriteItem (25/request)",
    }
    out += [
        "",
        f"In process against moto ({path['write_concurrency']} PutItem at a time; "
        "benchmarks/writepath.py):",
        "",
    ]
    out += _table(
        ["write", "batch", "p50 ms", "p99 ms", "requests / item", "WRU / item"],
        [
            [
                label,
                m["batch_size"],
                m["wall_ms_p50"],
                m["wall_ms_p99"],
                m["requests_per_item"],
                m["wru_per_item"],
            ]
            for key, label in labels.items()
            for m in path[key]
        ],
    )
    return out


def _rate(value: float | None) -> str:
    return "unlimited" if value is None else f"{value:,.0f}"


def entry_section(entry: Mapping[str, Any], chart: str) -> list[str]:
    """Single-event HTTP traffic through the direct and the buffered entry: cost by arrival rate,
    the chart, the line items at the target rate, the assumptions' effect, and capacity."""
    rates = [f"{r:g}" for r in entry["rates"]]
    s = entry["settings"]
    out = [
        "",
        "## Single-event HTTP traffic: direct vs buffered entry",
        "",
        "Modelled from the counts above (benchmarks/buffered.py, benchmarks/capacity.py): the "
        "pipeline's units per execution as measured at each batch size (interpolated between "
        "them), API Gateway and SQS requests, the Batch function and the buffer's fixed hourly "
        f"requests. Buffer: batching window {s['window_s']:g} s, BatchSize {s['batch_size']:,}, "
        f"{s['pollers']} pollers each forming its own batch, at most "
        f"{entry['records_per_invoke']:,} records per batch (the 6 MB invoke payload at "
        f"{s['record_bytes']:,.0f} bytes a record) and {entry['events_per_execution_max']} per "
        f"execution; a POST body is {s['body_bytes']:,.0f} bytes (the workload's events).",
        "",
        f"![cost per million events against arrival rate]({chart})",
        "",
    ]
    rows = []
    for c in entry["configurations"]:
        cap = c["capacity_events_per_s"]
        cells = []
        for r, label in zip(entry["rates"], rates, strict=True):
            if cap is not None and r > cap:
                cells.append(f"over capacity ({cap:,.0f}/s)")
                continue
            lines = c["by_rate"][label] if "by_rate" in c else c["per_million"]
            cells.append(
                f"**{_money(lines['total'])}**"
                if c["kind"] == "buffered"
                else _money(lines["total"])
            )
        rows.append([c["label"], *cells])
    buffered = next(c for c in entry["configurations"] if c["kind"] == "buffered")
    rows.append(
        [
            "buffered: records per batch -> executions",
            *[
                f"{buffered['batch_formed'][r]['records']:g} -> "
                f"{buffered['batch_formed'][r]['executions']}"
                for r in rates
            ],
        ]
    )
    out += _table(["USD per million events", *[f"at {r}/s" for r in rates]], rows)
    target = "100"
    picked = {
        c["label"]: c["by_rate"][target] if "by_rate" in c else c["per_million"]
        for c in entry["configurations"]
        if c["kind"] in ("buffered", "client 100") or c["label"].startswith("direct, 1 event")
    }
    out += ["", f"Line items at {target} events/s:", ""]
    out += cost_table(picked)
    out += ["", f"What the model's assumptions do (buffered, {target} events/s):", ""]
    out += _table(
        ["assumption", "Standard", "Express"],
        [
            [row["assumption"], _money(row["STANDARD"]), _money(row["EXPRESS"])]
            for row in entry["sensitivity_at_target_rate"]
        ],
    )
    fixed = entry["fixed_requests_per_hour"]
    out += [
        "",
        f"Fixed requests whatever the traffic: {fixed['sqs_idle_receives']:,.0f} SQS receives an "
        f"hour (idle long polls of the pollers) and {fixed['kms']:,.0f} KMS requests an hour "
        "(SQS data keys), amortized over the events of that hour.",
        "",
        "### Capacity within the default quotas (us-east-1)",
        "",
        f"Quotas: `{entry['quotas']['file']}` (checked {entry['quotas']['checked_on']}). "
        "Sustained single-event POSTs per second; the hottest user sends "
        f"{entry['hot_user_share']:.2%} of the events (the workload's); a single user's own "
        f"events are capped at {entry['single_user_events_per_s']:,.0f}/s on every entry "
        "(its partition's write units).",
        "",
    ]
    out += _table(
        ["entry", "events/s", "binds first", "raising it buys", "Lambda concurrency then (ramp)"],
        [
            [
                c["label"],
                _rate(c["events_per_s"]),
                c["binding"],
                f"{_rate(c['next_events_per_s'])}/s, then {c['next_binding']}"
                if c["next_binding"]
                else "n/a",
                f"{c['at_capacity']['lambda_concurrency']:,.0f} "
                f"(<= {c['ramp_s']['lambda_concurrency']:g} s)",
            ]
            for c in entry["capacity"]
        ],
    )
    checks = list(entry["capacity"][0]["by_check"])
    for c in entry["capacity"][1:]:
        checks += [k for k in c["by_check"] if k not in checks]
    out += ["", "Events/s each quota allows on its own:", ""]
    out += _table(
        ["quota", *[c["label"] for c in entry["capacity"]]],
        [
            [
                name,
                *[
                    _rate(c["by_check"][name]) if name in c["by_check"] else "—"
                    for c in entry["capacity"]
                ],
            ]
            for name in checks
        ],
    )
    return out


MEASURED_TITLE = "## How it was measured"


def splice_section(document: str, title: str, section: str) -> str:
    """``document`` (RESULTS.md) with the section headed ``title`` replaced by ``section`` (up to
    the next heading), or the section inserted before "## How it was measured"."""
    start = document.find(title)
    if start >= 0:
        end = document.find("\n## ", start + len(title))
        return document[:start] + section.rstrip("\n") + "\n" + document[end:]
    anchor = document.find(MEASURED_TITLE)
    if anchor < 0:
        raise ValueError(f"no {MEASURED_TITLE!r} heading to insert the section before")
    return document[:anchor] + section.rstrip("\n") + "\n\n" + document[anchor:]


def target_cells(t: Mapping[str, Any]) -> list[Any]:
    """A target's row of the Targets table."""
    return [
        t["name"],
        t["detail"],
        f"{t['comparison']} {t['limit']:g}",
        "met" if t["met"] else "**not met**",
    ]


def latency_gap(target: Target) -> str:
    """Why the latency target is not met."""
    return (
        f"{target.name} is {target.measured:.2f} s: an event that opens a batching window waits "
        "the whole window, then its batch's hand-over (the Batch function and its StartExecution) "
        "and processing in the one-process emulator (the throughput table); the target leaves "
        "them 2 s"
    )


def latency_targets(runs: Sequence[Mapping[str, Any]]) -> list[Target]:
    """p99 route-200 -> item within the window plus 2 s, read at the first (lowest) rate."""
    first = runs[0]
    return [
        at_most(
            f"buffered p99 route 200 -> item at {first['rate']:g} events/s, emulator (s)",
            first["p99_s"],
            first["limit_s"],
            f"{first['p99_s']:.2f} s (p50 {first['p50_s']:.2f} s; window {first['window_s']:g} s)",
        )
    ]


LATENCY_TITLE = "## Latency of the buffered entry in the emulator: route 200 -> item"


def latency_section(
    runs: Sequence[Mapping[str, Any]], alone: Mapping[str, Any] | None = None
) -> list[str]:
    out = [
        "",
        LATENCY_TITLE,
        "",
        "Single events POSTed to the dev stack's local route (one per request, 8 clients, a "
        "steady rate), through the entry buffer with its batching window as deployed, no faults; "
        "per event, the time its execution's Write task succeeded minus the time its request was "
        "answered (benchmarks/latency.py). The emulator runs every function in one process, "
        "so it keeps up with about 100 events/s (the end-to-end throughput table): at that "
        "rate batches queue behind each other, which AWS's parallel executions would not. "
        "The functions are warmed up first (20 events sent and stored, not counted)."
        + (
            f" This section and its target were run alone (`python -m benchmarks.latency`) at "
            f"{alone['generated_at']} on source commit {alone['commit'][:12]}; the rest of the "
            "page is the run above."
            if alone
            else ""
        ),
        "",
    ]
    out += _table(
        [
            "events/s",
            "events",
            "executions",
            "records / execution",
            "p50 s",
            "p99 s",
            "max s",
            "window + 2 s",
        ],
        [
            [
                f"{r['rate']:g}",
                r["events"],
                r["executions"],
                r["records_per_execution_mean"],
                f"{r['p50_s']:.2f}",
                f"{r['p99_s']:.2f}",
                f"{r['max_s']:.2f}",
                f"{r['limit_s']:g}",
            ]
            for r in runs
        ],
    )
    return out


def _mb(value: float) -> str:
    return f"{value / 1024**2:,.2f}"


def curated_section(section: Mapping[str, Any]) -> list[str]:
    """The curated Iceberg table against the raw layer (benchmarks.curated)."""
    m = section["measured"]
    stored = section["stored_per_million"]
    usd = section["stored_usd_per_million_month"]
    files = m["files"]
    out = [
        "## Curated table (Iceberg) vs raw layer (NDJSON)",
        "",
        f"Measured on {m['events']:,} generated events through the dev stack in the emulator "
        f"({m['executions']} executions of {m['batch_size']}, {m['wall_s']:.0f} s), the stream "
        f"delivered once: {m['rows']:,} rows in {files['data_files']} Parquet data file(s) and "
        f"{files['metadata_files']} metadata files; scaled to one million events.",
        "",
    ]
    alone = section.get("standalone")
    if alone:
        out[2] += (
            f" This section was run alone (`python -m benchmarks.curated`) at "
            f"{alone['generated_at']} on source commit {alone['commit'][:12]}; the rest of the "
            "page is the run above."
        )
    out += _table(
        ["per million events", "raw NDJSON (ingest/)", "curated Parquet (data files)"],
        [
            ["MB stored", _mb(stored["raw_ndjson"]), _mb(stored["curated_parquet"])],
            [
                "USD per month (S3 Standard)",
                _money(usd["raw_ndjson"]),
                _money(usd["curated_parquet"]),
            ],
        ],
    )
    out += [
        "",
        f"Parquet is {stored['curated_parquet'] / stored['raw_ndjson']:.2f}x the raw bytes; each "
        f"delivery adds {stored['curated_metadata_per_delivery']:,} bytes of Iceberg metadata "
        "until snapshot retention expires it.",
        "",
        "Bytes scanned per million events (Athena bills at least 10 MB per query):",
        "",
    ]
    rows = []
    for q in section["scanned_per_million"]:
        curated = q["curated_per_million"]
        rows.append(
            [
                q["query"],
                ", ".join(q["columns"]) if q["columns"] else "rejected layer",
                "-" if curated is None else _mb(curated),
                _mb(q["raw_per_million"]) + ("" if q["raw_query"] else " (no contrast query)"),
                "-" if curated is None else f"{q['raw_per_million'] / max(1, curated):.0f}x",
                "-" if curated is None else _money(q["curated_usd_per_million"]),
                _money(q["raw_usd_per_million"]),
            ]
        )
    out += _table(
        [
            "named query",
            "columns read",
            "curated MB",
            "raw MB",
            "raw / curated",
            "USD curated",
            "USD raw",
        ],
        rows,
    )
    out += ["", "Objects written per hour (steady arrival, buffered entry):", ""]
    out += _table(
        [
            "stack",
            "events/s",
            "Firehose buffering",
            "raw objects (events per execution)",
            "curated deliveries (one every, bound by)",
            "curated objects",
        ],
        [
            [
                o["stack"],
                f"{o['rate']:,}",
                o["buffering"],
                f"{o['raw_objects']:,} ({o['events_per_execution']:g})",
                f"{o['curated_deliveries']:g} ({o['curated_delivery_every_s']:g} s, "
                f"{o['curated_bound_by']})",
                f"{o['curated_objects']:g}",
            ]
            for o in section["objects_per_hour"]
        ],
    )
    fh = section["firehose"]
    out += [
        "",
        f"Firehose into the Iceberg table: {section['record_bytes_mean']:g} bytes per record "
        f"(what Write sent, {m['firehose_calls']} PutRecordBatch calls), "
        f"{fh['gb_per_million']:g} GB and ${_money(fh['usd_per_million'])} per million events "
        "(per GB ingested, no 5 KB rounding).",
        "",
        "How: bytes stored are the raw objects' sizes and the table's Parquet data files "
        "(pyiceberg's writer, zstd, standing in for Firehose's): their column chunks, and a "
        f"footer of {section['footer_bytes_per_file']:,} bytes per data file, counted for the "
        f"files a million events make in deliveries of {section['events_per_delivery']:g} "
        "events (dev, 100 events/s); bytes scanned on the curated table are the compressed "
        "column chunks of the columns each query's SQL names (a word match on the column "
        "names) and those footers; on the raw layer every "
        "query of the month reads all of its NDJSON objects. Objects per hour: one raw object "
        "per execution (events per execution from the buffered entry's model); one delivery "
        "every min(buffer fill time, interval) at the measured record size, each writing "
        f"{section['objects_per_delivery']:g} objects as measured (data files per partition "
        "touched, manifest, manifest list, metadata JSON) before compaction.",
        "",
    ]
    return out


def render_markdown(results: Mapping[str, Any]) -> str:
    machine = results["machine"]
    out = [
        "# activity-pipeline benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks`); every figure is measured in that run.",
        f"Run at {results['generated_at']} in {results['wall_s']:.0f} s on "
        f"{machine['cpu_model']} ({machine['cores']} cores), Python {machine['python']}, "
        f"{machine['platform']}; source commit {results['source']['commit'][:12]}"
        f"{' with uncommitted changes' if results['source']['dirty'] else ''}.",
        f"Prices: `benchmarks/prices_us_east_1.json` (us-east-1 list prices, checked "
        f"{results['prices']['checked_on']}).",
        "",
        "## Targets",
        "",
    ]
    out += _table(
        ["target", "measured", "limit", "met"], [target_cells(t) for t in results["targets"]]
    )
    gaps = results.get("gaps", [])
    if gaps:
        out += ["", *[f"- {g}" for g in gaps]]
    cost = results["cost"]
    out += [
        "",
        "## Cost per million events (AWS list prices, us-east-1)",
        "",
        "From the billable operations counted while the harness ran real batches "
        f"(micro-batch = {cost['micro_batch_size']} events per execution).",
        "",
    ]
    out += cost_table({c["label"]: c["per_million"] for c in cost["configurations"]})
    out += ["", "Per batch size (every measured run):", ""]
    out += _table(
        ["workflow", "batch", "USD / M events", "of which logs", "outcome"],
        [
            [
                row["workflow_type"],
                row["batch_size"],
                _money(row["per_million"]["total"]) if row["comparable"] else "n/a",
                _money(row["per_million"]["logs_ingestion"]) if row["comparable"] else "n/a",
                row["outcome"],
            ]
            for row in cost["by_batch_size"]
        ],
    )
    out += entry_section(results["entries"], "cost_vs_rate.png")
    out += latency_section(results["latency"])
    out += ["", "## End-to-end throughput through the emulator", ""]
    out += _table(
        ["workflow", "batch", "events", "executions", "events/s", "p50 ms", "p99 ms", "outcome"],
        [
            [
                s["workflow_type"],
                s["batch_size"],
                s["events"],
                s["executions"],
                s["events_per_s"] if s["items_written"] == s["events"] else "n/a (refused)",
                s["execution_latency_ms"]["p50"],
                s["execution_latency_ms"]["p99"],
                s["outcome"],
            ]
            for s in results["throughput"]
        ],
    )
    cpu = results["cpu"]
    out += [
        "",
        f"## Handler CPU per event ({cpu['events']} events, median of {cpu['repeats']} runs)",
        "",
    ]
    out += _table(
        ["work", "CPU us/event", "vs baseline"],
        [
            [
                "baseline: JSON parse + serialize",
                cpu["baseline_json_parse_serialize"]["cpu_us"],
                "1.00x",
            ],
            [
                "Process: parse, validate, normalize, enrich, serialize items",
                cpu["process"]["cpu_us"],
                f"{cpu['process_vs_baseline']:.2f}x",
            ],
            [
                "Write: de-duplicate, build the PutItem items",
                cpu["write_item_building"]["cpu_us"],
                f"{cpu['write_vs_baseline']:.2f}x",
            ],
        ],
    )
    stages = ", ".join(f"{k} {v}" for k, v in cpu["process_stages"].items())
    out += ["", f"Process stages (CPU us/event, measured one by one): {stages}."]
    micro = cost["configurations"][1]
    out += [
        "",
        "Information, not a target: Lambda duration (the three functions, emulated AWS calls "
        "included) is "
        f"${_money(micro['per_million']['lambda_duration'])} of "
        f"${_money(micro['per_million']['total'])} per million events ({micro['label']}).",
    ]
    out += write_path_section(results)
    cold = results["cold_start"]
    out += [
        "",
        f"## Cold start (median of {cold['runs']} fresh interpreters, package as deployed)",
        "",
    ]
    out += _table(
        ["module", "import ms", "vs boto3", "largest imports (ms)"],
        [["boto3", cold["boto3_import_ms_median"], "1.00x", ""]]
        + [
            [
                f"handlers.{name}",
                h["import_ms_median"],
                f"{h['vs_boto3']:.2f}x",
                ", ".join(f"{t['package']} {t['cumulative_ms']}" for t in h["top_imports"][:4]),
            ]
            for name, h in cold["handlers"].items()
        ],
    )
    package = cold["package"]
    out += [
        "",
        f"Deployment package: {package['files']} files, {package['zip_bytes']:,} bytes zipped "
        f"({package['unzipped_bytes']:,} unzipped); Powertools comes from the public layer.",
        "",
        *(curated_section(results["curated"]) if "curated" in results else []),
        MEASURED_TITLE,
        "",
        *[f"- {note}" for note in results["notes"]],
        "",
    ]
    return "\n".join(out)
