"""The analytics builders (no Pulumi): projection parameters, portable SQL, the analyst policy."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from components.builders import analytics_sql
from handlers import curated
from handlers.normalize import normalize_action
from harness.tools import analytics


@pytest.mark.parametrize(
    ("bucket", "prefix"), [("", "ingest/"), ("a/b", "ingest/"), ("b", "ingest"), ("b", "/x/")]
)
def test_table_parameters_refuse_bad_locations(bucket: str, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"bucket|prefix"):
        analytics_sql.table_parameters(bucket, prefix)


@pytest.mark.parametrize(
    ("month", "expected"), [("2025-11", ("2025", "11")), ("1970-01", ("1970", "01"))]
)
def test_month_parameters(month: str, expected: tuple[str, str]) -> None:
    assert analytics_sql.month_parameters(month) == expected


@pytest.mark.parametrize("month", ["2025-13", "2025-1", "25-11", "2025/11", "2025-00", ""])
def test_month_parameters_refuse_other_forms(month: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        analytics_sql.month_parameters(month)


@pytest.mark.parametrize(
    "action",
    [
        "page_view",
        "Page View",
        "page-view",
        "PageView",
        "pageView",
        "PAGE_VIEW",
        "  add--to  cart ",
        "STEP2DONE",
        "step2Done",
        "Sign-In",
        "checkout.completed",
    ],
)
def test_sql_normalization_matches_the_contract(action: str) -> None:
    sql = f"SELECT {analytics_sql.normalized_action_sql('a')} FROM (SELECT ? AS a)"  # noqa: S608
    with duckdb.connect() as connection:
        for shim in analytics.SHIMS:
            connection.execute(shim)
        row = connection.execute(sql, [action]).fetchone()
    assert row is not None
    assert row[0] == normalize_action(action)


def test_sql_normalization_documented_differences() -> None:
    sql = f"SELECT {analytics_sql.normalized_action_sql('a')} FROM (SELECT ? AS a)"  # noqa: S608
    with duckdb.connect() as connection:
        for shim in analytics.SHIMS:
            connection.execute(shim)
        row = connection.execute(sql, ["HTTPRequest"]).fetchone()
    assert row == ("h_t_t_p_request",)  # the contract (curated table) says "http_request"
    assert normalize_action("HTTPRequest") == "http_request"


def write_ndjson(path: Path, records: list[object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_named_queries_run_on_duckdb_over_the_hive_layout(tmp_path: Path) -> None:
    day = "yyyy=2025/mm=11/dd=20/hh=09"
    write_ndjson(
        tmp_path / f"ingest/{day}/a.json",
        [
            {"user_id": "u1", "action": "Page View", "event_time": 1763629200000, "page": "/"},
            {"user_id": "u2", "action": "pageView", "event_time": "2025-11-20T09:00:00Z"},
            {"user_id": "u2", "action": "click", "event_time": "x", "properties": {"a": [1]}},
        ],
    )
    (tmp_path / f"ingest/{day}/b.json").write_text("not json\n", encoding="utf-8")
    write_ndjson(
        tmp_path / "ingest/yyyy=2025/mm=12/dd=01/hh=00/c.json",
        [{"user_id": "u9", "action": "click", "event_time": "2025-12-01T00:00:00Z", "page": "/"}],
    )
    write_ndjson(
        tmp_path / f"rejected/{day}/a.json",
        [{"index": 2, "event_id": "e", "reason": "bad_event_time", "detail": "d", "event": {}}],
    )
    connection = analytics.connect(tmp_path)
    results = {
        q.name: analytics.run_sql(connection, q.sql, ("2025", "11")).rows
        for q in (*analytics_sql.RAW_QUERIES, analytics_sql.REJECTED_BY_REASON)
    }
    assert results == {
        "daily_active_users": [("2025", "11", "20", 2)],
        "events_per_action_per_day": [
            ("2025", "11", "20", "page_view", 2),
            ("2025", "11", "20", "click", 1),
        ],
        "top_pages": [("/", 1, 1)],
        "rejected_by_reason": [("bad_event_time", 1)],
    }
    described = connection.execute(f"DESCRIBE {analytics_sql.RAW_TABLE}").fetchall()
    assert [(r[0], r[1]) for r in described] == [
        *((name, "VARCHAR") for name, _ in analytics_sql.RAW_COLUMNS),
        *((key, "VARCHAR") for key in analytics_sql.PARTITION_KEYS),
    ]


def test_views_exist_when_the_layer_is_empty(tmp_path: Path) -> None:
    connection = analytics.connect(tmp_path)
    for query in (*analytics_sql.RAW_QUERIES, analytics_sql.REJECTED_BY_REASON):
        assert analytics.run_sql(connection, query.sql, ("2025", "11")).rows == []


def test_named_query_names_are_unique_and_the_documented_ones() -> None:
    names = [query.name for query in analytics_sql.NAMED_QUERIES]
    assert len(set(names)) == len(names)
    assert names == [
        "daily_active_users", "weekly_active_users", "monthly_active_users", "sessions_per_day",
        "events_per_action_per_day", "top_pages", "late_event_share", "rejected_by_reason",
    ]  # fmt: skip


DUCKDB_TYPES = {"string": "VARCHAR", "timestamptz": "TIMESTAMPTZ", "boolean": "BOOLEAN",
                "int": "INTEGER"}  # fmt: skip


def curated_rows(connection: Any, items: list[dict[str, Any]]) -> None:
    """A DuckDB table `curated_events` with the row contract's columns, filled as the harness's
    view is: each row as row() sends it (timestamps as epoch microseconds)."""
    columns = ", ".join(f"{c.name} {DUCKDB_TYPES[c.type]}" for c in curated.COLUMNS)
    connection.execute(f"CREATE TABLE {curated.TABLE_NAME} ({columns})")
    for item in items:
        record = curated.row(item)
        values = [
            f"make_timestamptz({v})" if c.type == "timestamptz" else "?"
            for c in curated.COLUMNS
            for v in [record[c.name]]
        ]
        params = [record[c.name] for c in curated.COLUMNS if c.type != "timestamptz"]
        insert = f"INSERT INTO {curated.TABLE_NAME} VALUES ({', '.join(values)})"  # noqa: S608
        connection.execute(insert, params)


def test_curated_queries_run_on_duckdb_with_the_one_median_shim() -> None:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)")
    lineage = {
        "received_at": "2025-11-22T00:00:00.000Z",
        "processed_at": "2025-11-22T00:00:01.000Z",
        "raw_key": "k",
        "batch_id": "b",
        "execution_id": "e",
    }

    def item(user: str, at: str, action: str = "page_view", **extra: Any) -> dict[str, Any]:
        return {"user_id": user, "event_time": f"{at}#{user}{at}", "event_id": f"{user}{at}",
                "action": action, "occurred_at": at, "late": extra.pop("late", False),
                "raw_index": 0, "content_hash": "h", **lineage, **extra}  # fmt: skip

    curated_rows(connection, [
        item("u1", "2025-11-17T23:59:59.000Z", session_id="s1", page="/"),
        item("u1", "2025-11-18T00:00:30.000Z", session_id="s2", page="/"),
        item("u1", "2025-11-18T00:01:30.000Z", "click", session_id="s2", page="/a"),
        item("u2", "2025-11-18T10:00:00.000Z", session_id="s3", late=True, page="/"),
        item("u3", "2025-12-01T00:00:00.000Z", session_id="s4"),  # another month
    ])  # fmt: skip
    results = {
        q.name: connection.execute(q.sql, ["2025", "11"]).fetchall()
        for q in analytics_sql.CURATED_QUERIES
    }
    d17, d18 = date(2025, 11, 17), date(2025, 11, 18)
    assert results == {
        "daily_active_users": [(d17, 1), (d18, 2)],
        "weekly_active_users": [(d17, 2)],  # the ISO week from Monday 17 November
        "monthly_active_users": [(date(2025, 11, 1), 2)],
        "sessions_per_day": [(d17, 1, 0.0), (d18, 2, 30.0)],  # s2 60 s, s3 0 s: median 30
        "events_per_action_per_day": [
            (d17, "page_view", 1),
            (d18, "page_view", 2),
            (d18, "click", 1),
        ],
        "top_pages": [("/", 3, 2), ("/a", 1, 1)],
        "late_event_share": [(d17, 1, 0, 0.0), (d18, 3, 1, 1 / 3)],
    }
