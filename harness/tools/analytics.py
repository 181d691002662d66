"""The Athena named queries, offline: the same SQL text on DuckDB over the emulator's tables.

The raw layer (`ingest/`, `rejected/`) is copied from S3 into a temporary directory with the same
hive layout (`yyyy=/mm=/dd=/hh=`), DuckDB reads it with `read_json(..., hive_partitioning=true)`
(local files only: no httpfs, no network) into views named like the Glue tables, with the Glue
columns and types. The curated Iceberg table (`curated_events`, when the stack has one) is read
at its current snapshot from the emulator's warehouse (`harness.runtime.iceberg`): a pyiceberg
scan to Arrow, registered in DuckDB under the Glue table's name with the Iceberg types
(`timestamptz` as `TIMESTAMP WITH TIME ZONE`); no DuckDB extension is loaded. The session time
zone is UTC, as Athena's is, so days of a `timestamptz` are UTC days. The SQL is read back from
the deployed named queries (`athena:GetNamedQuery`), so what runs is what Athena stores. The
shims are two DuckDB macros with Trino's names: `array_join` and `approx_percentile`.

The stack's Firehose streams are flushed first, so the snapshot holds every record sent so far:
in-process (a `Deployment`: tests, `demo`) directly, against `harness serve` (`--outputs` its JSON
line, whose `iceberg_warehouse` names the warehouse directory and `pid` the process) by asking
serve to deliver (`harness.serve.flush`).

    python -m harness analytics daily_active_users --month 2025-11 --outputs serve.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import duckdb

from components.builders import analytics_sql
from harness.runtime.iceberg import Warehouse
from harness.serve import flush
from ops.table import text_table
from ops.target import TargetError, add_target_arguments, target_from_args

if TYPE_CHECKING:
    from harness.deploy import Deployment

PREFIXES = {analytics_sql.RAW_TABLE: "ingest/", analytics_sql.REJECTED_TABLE: "rejected/"}
COLUMNS = {
    analytics_sql.RAW_TABLE: analytics_sql.RAW_COLUMNS,
    analytics_sql.REJECTED_TABLE: analytics_sql.REJECTED_COLUMNS,
}
# Trino's names for DuckDB's functions: array_join (array_to_string) and approx_percentile, exact
# here (quantile_cont, which interpolates between the two middle values of an even count; Athena's
# approximation returns a value of the data).
SHIMS = (
    "CREATE MACRO array_join(items, separator) AS array_to_string(items, separator)",
    "CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)",
)
SESSION = ("SET TimeZone = 'UTC'",)  # Athena's session time zone
CURATED_OUTPUT = "curated_table_name"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def download_layer(s3: Any, bucket: str, root: Path) -> int:
    """Copy every object under `ingest/` and `rejected/` to `root/<key>`; returns the count."""
    count = 0
    for prefix in PREFIXES.values():
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                key = PurePosixPath(entry["Key"])
                if ".." in key.parts or key.is_absolute():
                    raise ValueError(f"refusing object key {entry['Key']!r}")
                target = root.joinpath(*key.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                target.write_bytes(body)
                count += 1
    return count


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _view_sql(root: Path, table: str) -> str:
    columns = COLUMNS[table]
    names = ", ".join(f'"{name}"' for name, _ in columns)
    partitions = ", ".join(analytics_sql.PARTITION_KEYS)
    files = sorted((root / PREFIXES[table]).glob("*/*/*/*/*.json"))
    if not files:  # read_json refuses an empty glob: an empty view with the same columns
        typed = ", ".join(
            f'CAST(NULL AS {analytics_sql.DUCKDB_TYPES[typ]}) AS "{name}"' for name, typ in columns
        )
        keys = ", ".join(f"CAST(NULL AS VARCHAR) AS {key}" for key in analytics_sql.PARTITION_KEYS)
        return f"CREATE VIEW {table} AS SELECT {typed}, {keys} WHERE false"
    struct = ", ".join(
        f"{_literal(name)}: {_literal(analytics_sql.DUCKDB_TYPES[typ])}" for name, typ in columns
    )
    hive = ", ".join(f"{_literal(key)}: 'VARCHAR'" for key in analytics_sql.PARTITION_KEYS)
    pattern = _literal(str(root / PREFIXES[table]) + "/*/*/*/*/*.json")
    # Table and column names are constants; the path is a quoted literal.
    return (
        f"CREATE VIEW {table} AS SELECT {names}, {partitions} FROM read_json({pattern}, "  # noqa: S608
        f"format='newline_delimited', hive_partitioning=true, columns={{{struct}}}, "
        f"hive_types={{{hive}}}, ignore_errors=true)"
    )


def curated_snapshot(warehouse: Warehouse, database: str, table: str) -> Any:
    """The curated Iceberg table at its current snapshot, as an Arrow table."""
    return warehouse.load(database, table).scan().to_arrow()


def connect(root: Path, curated: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the Glue tables as views over `root` (the copied raw layer) and
    `curated` ({Glue table name: Arrow table}) registered under their names."""
    connection = duckdb.connect(":memory:")
    for statement in (*SESSION, *SHIMS):
        connection.execute(statement)
    for table in PREFIXES:
        connection.execute(_view_sql(root, table))
    for name, snapshot in (curated or {}).items():
        connection.register(name, snapshot)
    return connection


def run_sql(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[str]
) -> QueryResult:
    cursor = connection.execute(sql, list(parameters))
    columns = [d[0] for d in cursor.description or []]
    return QueryResult(columns, [tuple(row) for row in cursor.fetchall()])


def deployed_sql(athena: Any, query_id: str) -> str:
    """The SQL text of a deployed named query, as Athena stores it."""
    return str(athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]["QueryString"])


def run_named_queries(
    s3: Any,
    athena: Any,
    outputs: dict[str, Any],
    month: str,
    names: Sequence[str] | None = None,
    warehouse: Warehouse | None = None,
) -> dict[str, QueryResult]:
    """Run the deployed named queries for one month (`YYYY-MM`) over the emulator's raw layer and,
    when the stack has the curated table, its current snapshot in `warehouse`."""
    curated: dict[str, Any] = {}
    if outputs.get(CURATED_OUTPUT):
        if warehouse is None:
            raise LookupError(
                "the stack has a curated Iceberg table: the emulator's warehouse is needed "
                "(the `iceberg_warehouse` of `harness serve`'s line)"
            )
        table = str(outputs[CURATED_OUTPUT])
        curated[table] = curated_snapshot(warehouse, str(outputs["glue_database"]), table)
    queries = outputs.get("named_queries")
    if not isinstance(queries, dict) or not queries:
        raise LookupError("the stack has no named queries (is analyticsEnabled true?)")
    unknown = sorted(set(names or ()) - set(queries))
    if unknown:
        raise LookupError(f"no named query {', '.join(unknown)}; known: {', '.join(queries)}")
    parameters = analytics_sql.month_parameters(month)
    with tempfile.TemporaryDirectory(prefix="activity-analytics-") as directory:
        root = Path(directory)
        download_layer(s3, str(outputs["raw_bucket_name"]), root)
        connection = connect(root, curated)
        try:
            return {
                name: run_sql(connection, deployed_sql(athena, str(queries[name])), parameters)
                for name in (names or list(queries))
            }
        finally:
            connection.close()


def deployment_queries(
    deployment: Deployment, month: str, names: Sequence[str] | None = None
) -> dict[str, QueryResult]:
    """The named queries of an in-process deployment, its Firehose streams flushed first."""
    emulator = deployment.emulator
    emulator.firehose.flush()
    return run_named_queries(
        deployment.client("s3"),
        deployment.client("athena"),
        deployment.outputs,
        month,
        names,
        emulator.warehouse,
    )


def serve_warehouse(source: str) -> Warehouse | None:
    """The warehouse `harness serve`'s line names (`iceberg_warehouse`), if `source` is one, its
    streams delivered first (serve's `pid` asked to flush)."""
    if source == "-":
        return None
    document = json.loads(Path(source).read_text(encoding="utf-8"))
    directory = document.get("iceberg_warehouse") if isinstance(document, dict) else None
    if not isinstance(directory, str):
        return None
    if isinstance(document.get("pid"), int):
        flush.request(document["pid"], Path(directory))
    return Warehouse(Path(directory))


def format_table(result: QueryResult) -> str:
    return text_table(result.columns, result.rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="named queries (default: all)")
    parser.add_argument("--month", required=True, help="YYYY-MM: the month to report")
    parser.add_argument("--json", action="store_true", help="print records as JSON")
    add_target_arguments(parser)


def main(args: argparse.Namespace) -> int:
    try:
        target = target_from_args(args)
        analytics_sql.month_parameters(args.month)
        results = run_named_queries(
            target.client("s3"),
            target.client("athena"),
            target.outputs,
            args.month,
            args.names,
            serve_warehouse(args.outputs),
        )
    except (TargetError, OSError, LookupError, ValueError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        records = {name: r.records() for name, r in results.items()}
        print(json.dumps(records, indent=2, default=str))  # dates as YYYY-MM-DD
    else:
        for name, result in results.items():
            print(f"== {name} ({args.month}, {len(result.rows)} rows)")
            print(format_table(result))
            print()
    return 0
