"""The curated Iceberg table against the raw NDJSON layer: bytes stored, bytes each named query
scans, objects written per hour, and Firehose's share of the cost.

Measured (``measure``): a generated event set (benchmarks.workload) goes through the dev stack in
the emulator in micro-batches, Write feeds the curated table's Firehose stream, the stream is
delivered once (one delivery: what Firehose commits per buffer), then

- bytes stored: the raw layer's objects (``ingest/``) as S3 holds them, against the Iceberg
  table's files in the emulator's warehouse — its Parquet data files, and apart the metadata
  (manifests, manifest lists, metadata JSON) one delivery adds; the Parquet is pyiceberg's writer
  (zstd, the table's ``write.parquet.compression-codec``), standing in for Firehose's;
- bytes scanned, estimated from what each query reads: Athena reads the column chunks a query
  names from the Parquet files of the partitions it keeps (every data file here: the events fall
  in the queried month) plus each file's footer (per data file of the deliveries a million events
  make at the dev stack's 100 events/s); a column counts when its name appears in the
  SQL as a word (an over-estimate when a name is also an alias). On the raw layer every query
  reads whole objects of the month's partitions (JSON is not columnar: all of ``ingest/``), and
  ``rejected_by_reason`` the rejected layer's. Athena bills at least 10 MB per query;
- Firehose: the record bytes Write sent (benchmarks.counting), per event.

Modelled (pure): objects written per hour at a steady arrival rate. Raw: one object per
execution. Curated: Firehose delivers when its buffer holds ``SizeInMBs`` or its oldest record is
``IntervalInSeconds`` old, whichever comes first (the stacks' ``curatedBufferingSizeMb`` and
``curatedBufferingIntervalSeconds``); each delivery writes the measured number of objects (a data
file per partition it touches, and its metadata) until the table optimizers compact them.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from benchmarks import entries, packing, report
from benchmarks.buffered import BufferSettings, batch_formed, executions_per_batch
from benchmarks.cost import BYTES_PER_GB, MB
from benchmarks.prices import PriceTable, load_prices
from benchmarks.quotas import load_quotas
from benchmarks.revision import source_revision
from benchmarks.workload import fits_records_limit, largest_fitting_batch, make_events
from components.builders.analytics_sql import NAMED_QUERIES, RAW_QUERIES, REJECTED_BY_REASON
from components.builders.settings import load_stack_config
from handlers.curated import COLUMN_NAMES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

EVENTS_PER_MILLION: Final = 1_000_000
SECONDS_PER_HOUR: Final = 3600
RATES: Final = (100, 1_000)
BYTES_PER_TB: Final = 1024**4
ATHENA_MINIMUM_BYTES: Final = 10 * MB
STACK_FILES: Final = {"dev": "Pulumi.dev.yaml", "prod": "Pulumi.prod.yaml"}
SIZE_KEY: Final = "activity-pipeline:curatedBufferingSizeMb"
INTERVAL_KEY: Final = "activity-pipeline:curatedBufferingIntervalSeconds"
MAX_BATCH_KEY: Final = "activity-pipeline:maxBatchEvents"
MEMORY_KEY: Final = "activity-pipeline:lambdaMemoryMb"
DEFAULT_EVENTS: Final = 2_000
DEFAULT_BATCH: Final = 200
SECTION_TITLE: Final = "## Curated table (Iceberg) vs raw layer (NDJSON)"


def referenced_columns(sql: str, columns: Iterable[str] = COLUMN_NAMES) -> tuple[str, ...]:
    """The columns whose names appear in the SQL as words, in table order."""
    return tuple(c for c in columns if re.search(rf"(?<![A-Za-z0-9_]){c}(?![A-Za-z0-9_])", sql))


def scanned_bytes(column_bytes: Mapping[str, int], columns: Iterable[str], footers: int) -> int:
    """Bytes a columnar scan reads: the named columns' chunks and the files' footers."""
    return sum(column_bytes[c] for c in columns) + footers


def per_million(value: float, events: int) -> float:
    if events <= 0:
        raise ValueError("events must be positive")
    return value * EVENTS_PER_MILLION / events


@dataclass(frozen=True)
class Buffering:
    """A stack's Firehose buffering hints."""

    stack: str
    size_mb: int
    interval_s: int

    @classmethod
    def from_config(cls, stack: str, config: Mapping[str, str]) -> Buffering:
        return cls(stack, int(config[SIZE_KEY]), int(config[INTERVAL_KEY]))


def delivery_seconds(rate: float, record_bytes: float, buffering: Buffering) -> float:
    """Seconds between deliveries at ``rate`` events/s of ``record_bytes`` each: the time the
    buffer takes to fill, or the interval when that comes first."""
    if rate <= 0 or record_bytes <= 0:
        raise ValueError("rate and record size must be positive")
    fill = buffering.size_mb * MB / (rate * record_bytes)
    return min(fill, buffering.interval_s) if buffering.interval_s > 0 else 0.0


def curated_objects_per_hour(
    rate: float, record_bytes: float, buffering: Buffering, objects_per_delivery: float
) -> dict[str, float]:
    """Deliveries and objects the curated table gains per hour (an interval of 0 delivers every
    PutRecordBatch: not modelled here)."""
    seconds = delivery_seconds(rate, record_bytes, buffering)
    if seconds <= 0:
        raise ValueError(f"{buffering.stack}: an interval of 0 delivers per call (not modelled)")
    deliveries = SECONDS_PER_HOUR / seconds
    return {
        "delivery_every_s": round(seconds, 1),
        "bound_by": "interval" if seconds == buffering.interval_s else "size",
        "deliveries": round(deliveries, 1),
        "objects": round(deliveries * objects_per_delivery, 1),
    }


def raw_objects_per_hour(rate: float, events_per_execution: float) -> float:
    """One raw object per execution (rejected objects only for batches with rejections)."""
    if events_per_execution <= 0:
        raise ValueError("events per execution must be positive")
    return rate * SECONDS_PER_HOUR / events_per_execution


def athena_usd(scanned: float, prices: PriceTable) -> float:
    """One query's price: the bytes scanned, at least 10 MB."""
    return max(scanned, ATHENA_MINIMUM_BYTES) / BYTES_PER_TB * prices["athena_tb_scanned"]


@dataclass(frozen=True)
class TableFiles:
    """The Iceberg table's files: data files (bytes, per column, footers), metadata files."""

    data_files: int
    data_bytes: int
    column_bytes: dict[str, int]
    footer_bytes: int
    metadata_files: int
    metadata_bytes: int


def table_files(location: Path) -> TableFiles:
    """Read the Parquet footers of every data file under ``location/data``; count the metadata."""
    import pyarrow.parquet as pq

    data = sorted((location / "data").rglob("*.parquet"))
    columns: dict[str, int] = dict.fromkeys(COLUMN_NAMES, 0)
    footers = 0
    for path in data:
        meta = pq.read_metadata(path)
        chunks = 0
        for group in range(meta.num_row_groups):
            row_group = meta.row_group(group)
            for index in range(row_group.num_columns):
                chunk = row_group.column(index)
                columns[chunk.path_in_schema] += chunk.total_compressed_size
                chunks += chunk.total_compressed_size
        footers += path.stat().st_size - chunks
    metadata = [p for p in (location / "metadata").rglob("*") if p.is_file()]
    return TableFiles(
        len(data),
        sum(p.stat().st_size for p in data),
        columns,
        footers,
        len(metadata),
        sum(p.stat().st_size for p in metadata),
    )


def queries_scanned(files: TableFiles, raw_bytes: int, rejected_bytes: int) -> list[dict[str, Any]]:
    """Per named query: the columns it reads and their chunks' bytes on the curated table (the
    files' footers apart: ``model`` counts them per file a million events make); on the raw
    layer any query of the month reads every raw object of it (``raw_query``: the figure has a
    contrast query there); ``rejected_by_reason`` reads the rejected layer."""
    contrast = {q.name for q in RAW_QUERIES}
    rows: list[dict[str, Any]] = []
    for query in NAMED_QUERIES:
        if query.name == REJECTED_BY_REASON.name:
            rows.append(
                {
                    "query": query.name,
                    "columns": [],
                    "curated": None,
                    "raw": rejected_bytes,
                    "raw_query": True,
                }
            )
            continue
        columns = referenced_columns(query.sql)
        rows.append(
            {
                "query": query.name,
                "columns": list(columns),
                "curated": scanned_bytes(files.column_bytes, columns, 0),
                "raw": raw_bytes,
                "raw_query": query.name in contrast,
            }
        )
    return rows


def layer_bytes(s3: Any, bucket: str, prefix: str) -> tuple[int, int]:
    """(objects, bytes) under a prefix."""
    count = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            count += 1
            size += int(entry["Size"])
    return count, size


def measure(events: int, batch_size: int, seed: int) -> dict[str, Any]:
    """Run ``events`` generated events through the dev stack in the emulator; the layers' bytes
    and objects, the table's files after one delivery, the record bytes Write sent."""
    from benchmarks.counting import OperationLog, counting
    from benchmarks.workload import batches, payload
    from harness.deploy import deploy
    from harness.emulator import Emulator
    from ops.executions import Run, Runner

    log = OperationLog()
    generated = make_events(events, seed=seed, nonce="curated")
    started = time.perf_counter()
    with counting(log), Emulator(retry_time_scale=0.01) as emulator:
        deployment = deploy(emulator, "dev")
        runner = Runner.for_target(deployment.as_target(), timeout=300)
        runs = [Run.of(payload(b)) for b in batches(generated, batch_size)]
        outcomes = runner.run_all(runs, concurrency=2, label="curated bench")
        failed = [o for o in outcomes if o.status != "SUCCEEDED"]
        if failed:
            raise RuntimeError(f"{len(failed)} executions did not succeed: {failed[0].error}")
        deliveries = emulator.firehose.flush()
        outputs = deployment.outputs
        s3 = deployment.client("s3")
        raw_objects, raw_bytes = layer_bytes(s3, outputs["raw_bucket_name"], "ingest/")
        rejected_objects, rejected_bytes = layer_bytes(s3, outputs["raw_bucket_name"], "rejected/")
        warehouse = emulator.warehouse
        database, table = outputs["glue_database"], outputs["curated_table_name"]
        location = Path(
            urlsplit(warehouse.local_location(warehouse.locations[(database, table)])).path
        )
        files = table_files(location)
        rows = warehouse.load(database, table).scan().count()
    return {
        "events": events,
        "batch_size": batch_size,
        "executions": len(outcomes),
        "rows": rows,
        "deliveries": len(deliveries),
        "raw_objects": raw_objects,
        "raw_bytes": raw_bytes,
        "rejected_objects": rejected_objects,
        "rejected_bytes": rejected_bytes,
        "firehose_bytes": log.firehose_bytes,
        "firehose_calls": log.count("firehose", "PutRecordBatch"),
        "files": files.__dict__,
        "wall_s": round(time.perf_counter() - started, 1),
    }


def model(
    measured: Mapping[str, Any],
    bufferings: Iterable[Buffering],
    events_per_execution: Mapping[int, float],
    prices: PriceTable,
) -> dict[str, Any]:
    """Per million events: bytes stored, bytes scanned by each query and its price, Firehose's
    price; objects written per hour at each rate and stack."""
    events = int(measured["events"])
    files = TableFiles(**measured["files"])
    record_bytes = measured["firehose_bytes"] / events
    objects_per_delivery = (files.data_files + files.metadata_files) / max(
        1, measured["deliveries"]
    )
    objects = []
    for buffering in bufferings:
        for rate in RATES:
            objects.append(
                {
                    "stack": buffering.stack,
                    "rate": rate,
                    "buffering": f"{buffering.size_mb} MB / {buffering.interval_s} s",
                    "raw_objects": round(raw_objects_per_hour(rate, events_per_execution[rate])),
                    "events_per_execution": events_per_execution[rate],
                    **{
                        f"curated_{k}": v
                        for k, v in curated_objects_per_hour(
                            rate, record_bytes, buffering, objects_per_delivery
                        ).items()
                    },
                }
            )
    # Footers are per data file: a million events make as many files as deliveries of the first
    # stack at the lowest rate (its delivery size), times the data files a delivery writes.
    first = objects[0]
    events_per_delivery = first["rate"] * first["curated_delivery_every_s"]
    data_files_per_delivery = files.data_files / max(1, measured["deliveries"])
    footers = (
        files.footer_bytes
        / max(1, files.data_files)
        * data_files_per_delivery
        * EVENTS_PER_MILLION
        / events_per_delivery
    )
    scans = []
    for row in queries_scanned(files, measured["raw_bytes"], measured["rejected_bytes"]):
        curated = None if row["curated"] is None else per_million(row["curated"], events) + footers
        scans.append(
            {
                **row,
                "curated_per_million": None if curated is None else round(curated),
                "raw_per_million": round(per_million(row["raw"], events)),
                "curated_usd_per_million": None if curated is None else athena_usd(curated, prices),
                "raw_usd_per_million": athena_usd(per_million(row["raw"], events), prices),
            }
        )
    stored = {
        "raw_ndjson": round(per_million(measured["raw_bytes"], events)),
        "curated_parquet": round(per_million(sum(files.column_bytes.values()), events) + footers),
        "curated_metadata_per_delivery": round(
            files.metadata_bytes / max(1, measured["deliveries"])
        ),
    }
    firehose_gb = per_million(measured["firehose_bytes"], events) / BYTES_PER_GB
    return {
        "measured": dict(measured),
        "record_bytes_mean": round(record_bytes, 1),
        "objects_per_delivery": objects_per_delivery,
        "footer_bytes_per_file": round(files.footer_bytes / max(1, files.data_files)),
        "events_per_delivery": events_per_delivery,
        "stored_per_million": stored,
        "stored_usd_per_million_month": {
            "raw_ndjson": stored["raw_ndjson"] / BYTES_PER_GB * prices["s3_storage_gb_month"],
            "curated_parquet": stored["curated_parquet"]
            / BYTES_PER_GB
            * prices["s3_storage_gb_month"],
        },
        "scanned_per_million": scans,
        "objects_per_hour": objects,
        "firehose": {
            "gb_per_million": round(firehose_gb, 4),
            "usd_per_million": round(firehose_gb * prices["firehose_iceberg_gb"], 4),
        },
    }


def events_per_execution(rate: float, settings: BufferSettings) -> float:
    """Events per execution through the buffered entry at ``rate`` (benchmarks.buffered: each
    poller's batch, split into executions of at most maxBatchEvents)."""
    batch = batch_formed(rate, settings)
    return batch / executions_per_batch(batch, settings)


def run(
    prices: PriceTable, settings: BufferSettings, events: int, batch_size: int, seed: int
) -> dict[str, Any]:
    """Measure, then model the per-million and per-hour figures for both stacks' buffering."""
    print(f"curated table: {events} events in batches of {batch_size} ...", flush=True)
    measured = measure(events, batch_size, seed)
    bufferings = [
        Buffering.from_config(stack, load_stack_config(ROOT / name))
        for stack, name in STACK_FILES.items()
    ]
    rates = {rate: events_per_execution(rate, settings) for rate in RATES}
    return model(measured, bufferings, rates, prices)


def standalone_settings(seed: int) -> BufferSettings:
    """The buffered entry's settings as ``make bench`` derives them, without the pipeline runs
    (their log bytes per invoke, which no figure of this section uses, are left at 0)."""
    config = load_stack_config(ROOT / STACK_FILES["dev"])
    max_batch_events = int(config[MAX_BATCH_KEY])
    fit = largest_fitting_batch(
        make_events(max_batch_events, seed=seed, nonce="fit"), max_batch_events, fits_records_limit
    )
    return entries.settings(
        load_quotas(),
        buffer=entries.stack_buffer(config),
        max_batch_events=max_batch_events,
        execution_fit=fit,
        packing=packing.measure(max_batch_events),
        memory_mb=int(config[MEMORY_KEY]),
        log_bytes_per_invoke=0.0,
    )


def splice(document: str, section: str) -> str:
    """``document`` (RESULTS.md) with its curated-table section replaced by ``section``, or the
    section inserted before "## How it was measured"."""
    return report.splice_section(document, SECTION_TITLE, section)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.curated``: this section alone, spliced into RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.curated", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    section = run(
        load_prices(), standalone_settings(args.seed), args.events, args.batch_size, args.seed
    )
    section["standalone"] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": source_revision()["commit"],
    }
    (HERE / "curated.json").write_text(json.dumps(section, indent=1) + "\n", encoding="utf-8")
    markdown = "\n".join(report.curated_section(section))
    if args.results.exists():
        args.results.write_text(
            splice(args.results.read_text(encoding="utf-8"), markdown), encoding="utf-8"
        )
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
