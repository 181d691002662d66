"""The curated table's bench section: columns read, bytes scanned, deliveries and objects per
hour, Athena's minimum, Parquet footers, the model and its report section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import curated, report
from benchmarks.buffered import BufferSettings
from benchmarks.cost import MB
from benchmarks.prices import load_prices
from components.builders.analytics_sql import NAMED_QUERIES
from handlers.curated import COLUMN_NAMES

DEV = curated.Buffering("dev", 64, 60)
PROD = curated.Buffering("prod", 128, 300)


def test_each_named_query_reads_the_columns_its_sql_names() -> None:
    read = {q.name: curated.referenced_columns(q.sql) for q in NAMED_QUERIES}
    assert read["daily_active_users"] == ("user_id", "occurred_at")
    assert read["sessions_per_day"] == ("occurred_at", "session_id")
    assert read["events_per_action_per_day"] == ("action", "occurred_at")
    assert read["top_pages"] == ("user_id", "occurred_at", "page")
    assert read["late_event_share"] == ("occurred_at", "late")


def test_a_column_counts_as_a_whole_word_only() -> None:
    assert curated.referenced_columns("SELECT late_events, pages FROM t") == ()
    assert curated.referenced_columns("CASE WHEN late THEN 1 END, t.page") == ("page", "late")


def test_scanned_bytes_are_the_named_chunks_and_the_footers() -> None:
    chunks = {"user_id": 100, "page": 30, "action": 7}
    assert curated.scanned_bytes(chunks, ("user_id", "page"), 5) == 135


def test_deliveries_follow_the_interval_or_the_buffer_size_whichever_comes_first() -> None:
    assert curated.delivery_seconds(100, 750, DEV) == 60
    slow = curated.curated_objects_per_hour(100, 750, DEV, 5)
    assert slow == {
        "delivery_every_s": 60,
        "bound_by": "interval",
        "deliveries": 60,
        "objects": 300,
    }
    fill = 128 * MB / (1_000 * 750)  # 179 s: the buffer fills before the 300 s interval
    assert curated.delivery_seconds(1_000, 750, PROD) == pytest.approx(fill)
    fast = curated.curated_objects_per_hour(1_000, 750, PROD, 5)
    assert fast["bound_by"] == "size"
    assert fast["deliveries"] == pytest.approx(3600 / fill, abs=0.1)
    with pytest.raises(ValueError, match="interval of 0"):
        curated.curated_objects_per_hour(100, 750, curated.Buffering("x", 64, 0), 5)
    with pytest.raises(ValueError, match="positive"):
        curated.delivery_seconds(0, 750, DEV)


def test_raw_objects_are_one_per_execution() -> None:
    assert curated.raw_objects_per_hour(100, 100) == 3600
    assert curated.raw_objects_per_hour(1_000, 500) == 7200
    with pytest.raises(ValueError, match="positive"):
        curated.raw_objects_per_hour(100, 0)


def test_events_per_execution_through_the_buffer(buffer: BufferSettings) -> None:
    assert curated.events_per_execution(100, buffer) == 100  # 5 s x 100/s over 5 pollers
    assert curated.events_per_execution(1_000, buffer) == 500  # 1,000 a batch, 2 executions
    assert curated.events_per_execution(0.1, buffer) == 1


def test_athena_bills_at_least_ten_mb_a_query() -> None:
    prices = load_prices()
    assert curated.athena_usd(1, prices) == curated.athena_usd(10 * MB, prices)
    assert curated.athena_usd(1024**4, prices) == pytest.approx(5.0)


def test_table_files_split_column_chunks_from_footers(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "data" / "occurred_at_day=2025-11-20"
    data.mkdir(parents=True)
    table = pa.table({"user_id": ["u1", "u2"] * 50, "page": ["/"] * 100})
    pq.write_table(table, data / "00000-0.parquet", compression="zstd")
    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata" / "00001.metadata.json").write_text("{}")
    files = curated.table_files(tmp_path)
    assert (files.data_files, files.metadata_files, files.metadata_bytes) == (1, 1, 2)
    assert set(files.column_bytes) == set(COLUMN_NAMES)
    assert files.column_bytes["user_id"] > 0
    assert files.column_bytes["page"] > 0
    assert files.column_bytes["action"] == 0
    assert sum(files.column_bytes.values()) + files.footer_bytes == files.data_bytes


def measured() -> dict[str, Any]:
    columns = dict.fromkeys(COLUMN_NAMES, 1_000)
    return {
        "events": 2_000,
        "batch_size": 200,
        "executions": 10,
        "rows": 2_000,
        "deliveries": 1,
        "raw_objects": 10,
        "raw_bytes": 400_000,
        "rejected_objects": 0,
        "rejected_bytes": 0,
        "firehose_bytes": 1_500_000,
        "firehose_calls": 10,
        "files": {
            "data_files": 1,
            "data_bytes": 19_000 + 6_000,
            "column_bytes": columns,
            "footer_bytes": 6_000,
            "metadata_files": 4,
            "metadata_bytes": 15_000,
        },
        "wall_s": 30.0,
    }


def test_the_model_scales_to_a_million_events_and_counts_footers_per_delivery() -> None:
    prices = load_prices()
    section = curated.model(measured(), [DEV, PROD], {100: 100.0, 1_000: 500.0}, prices)
    assert section["record_bytes_mean"] == 750
    assert section["objects_per_delivery"] == 5
    # dev at 100/s delivers 6,000 events a minute: 1e6 / 6,000 data files of 6,000-byte footers
    footers = 6_000 * 1_000_000 / 6_000
    assert section["stored_per_million"] == {
        "raw_ndjson": 200_000_000,
        "curated_parquet": round(20_000 * 500 + footers),  # 20 columns
        "curated_metadata_per_delivery": 15_000,
    }
    scans = {s["query"]: s for s in section["scanned_per_million"]}
    assert scans["daily_active_users"]["curated_per_million"] == round(2 * 1_000 * 500 + footers)
    assert scans["daily_active_users"]["raw_per_million"] == 200_000_000
    assert scans["daily_active_users"]["raw_query"] is True
    assert scans["late_event_share"]["raw_query"] is False
    assert scans["rejected_by_reason"]["curated_per_million"] is None
    assert [(o["stack"], o["rate"], o["raw_objects"]) for o in section["objects_per_hour"]] == [
        ("dev", 100, 3600),
        ("dev", 1_000, 7200),
        ("prod", 100, 3600),
        ("prod", 1_000, 7200),
    ]
    gb = 1_500_000 * 500 / 1024**3
    assert section["firehose"]["usd_per_million"] == pytest.approx(gb * 0.075, abs=1e-4)
    text = "\n".join(report.curated_section(section))
    assert text.startswith(curated.SECTION_TITLE)
    assert "| daily_active_users | user_id, occurred_at |" in text
    assert "| prod | 1,000 | 128 MB / 300 s | 7,200 (500) |" in text


def test_splice_replaces_the_section_or_inserts_it_before_the_method_notes() -> None:
    section = f"{curated.SECTION_TITLE}\n\nnew figures\n"
    fresh = f"# results\n\n## Cold start\n\nx\n\n{report.MEASURED_TITLE}\n\n- note\n"
    inserted = curated.splice(fresh, section)
    assert inserted.index("new figures") < inserted.index(report.MEASURED_TITLE)
    again = curated.splice(inserted.replace("new figures", "old figures"), section)
    assert again == inserted
    with pytest.raises(ValueError, match="heading"):
        curated.splice("# results\n", section)
