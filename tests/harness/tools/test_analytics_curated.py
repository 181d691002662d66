"""The curated Iceberg table as DuckDB sees it: its current snapshot under the Glue table's name,
typed as in Iceberg, days in UTC; the warehouse found from `harness serve`'s line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.emulator import Emulator
from harness.tools import analytics
from tests.harness.curated import DATABASE, NOV_20, data, deploy_curated, row

HOUR = 3_600_000_000  # microseconds


def test_the_snapshot_is_a_typed_view_with_utc_days(tmp_path: Path) -> None:
    with Emulator() as emu:
        curated = deploy_curated(emu, "view", buffering_mb=128)
        firehose = emu.client("firehose", curated.writer)
        late_evening = NOV_20 + 14 * HOUR + 30 * 60_000_000  # 2025-11-20T23:30:00Z
        firehose.put_record_batch(
            DeliveryStreamName=curated.stream,
            Records=data(row("a"), row("b", occurred_at=late_evening, late=True), row("c")),
        )
        emu.firehose.flush()
        firehose.put_record_batch(  # sent, not yet delivered: not in the snapshot
            DeliveryStreamName=curated.stream, Records=data(row("d"))
        )
        snapshot = analytics.curated_snapshot(emu.warehouse, DATABASE, curated.table)
    connection = analytics.connect(tmp_path, {"curated_events": snapshot})
    result = analytics.run_sql(
        connection,
        "SELECT CAST(occurred_at AS DATE) AS day, typeof(occurred_at) AS type, "
        "count(*) AS events, count_if(late) AS late FROM curated_events GROUP BY 1, 2",
        [],
    )
    assert [(str(r["day"]), r["type"], r["events"], r["late"]) for r in result.records()] == [
        ("2025-11-20", "TIMESTAMP WITH TIME ZONE", 3, 1)
    ]
    connection.close()


def test_the_warehouse_comes_from_serves_line(tmp_path: Path) -> None:
    line = tmp_path / "serve.json"
    line.write_text(json.dumps({"iceberg_warehouse": str(tmp_path / "w"), "outputs": {}}))
    warehouse = analytics.serve_warehouse(str(line))
    assert warehouse is not None
    assert warehouse.root == tmp_path / "w"
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps({"raw_bucket_name": "b"}))
    assert analytics.serve_warehouse(str(stack)) is None
    with pytest.raises(LookupError, match="warehouse is needed"):
        analytics.run_named_queries(
            None, None, {"curated_table_name": "curated_events"}, "2025-11", None, None
        )
