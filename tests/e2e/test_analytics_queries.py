"""The Athena named queries on DuckDB, over what the pipeline stored in the emulator.

A known set of events goes through the deployed state machine; the named queries are read back
from the emulator's Athena (`GetNamedQuery`) and run on DuckDB over the curated table's current
snapshot (and the rejected layer); the raw layer's versions of the same figures run beside them.
The figures are worked out by hand below.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from components.builders import analytics_sql
from harness.deploy import Deployment
from harness.tools import analytics, pipeline

NOVEMBER_20 = [  # raw partition 2025-11-20 hh=09 (the earliest event_time of the batch)
    {"user_id": "u1", "action": "Page View", "event_time": "2025-11-20T09:00:00Z", "page": "/"},
    {"user_id": "u1", "action": "click", "event_time": "2025-11-20T09:05:00Z", "page": "/"},
    {"user_id": "u2", "action": "PageView", "event_time": 1763629500000, "page": "/pricing"},
    {
        "user_id": "u3",
        "action": "page-view",
        "event_time": "2025-11-20T10:00:00+01:00",
        "page": "/",
    },
    {"user_id": "u4", "event_time": "2025-11-20T09:10:00Z", "page": "/x"},  # schema_violation
    {"user_id": "u5", "action": "login", "event_time": "2025-11-20T09:30:00"},  # bad_event_time
]
NOVEMBER_21 = [  # raw partition 2025-11-21 hh=00
    {"user_id": "u1", "action": "Sign-In", "event_time": "2025-11-21T00:00:00Z"},
    {"user_id": "u6", "action": "page_view", "event_time": 1763683200, "page": "/pricing"},
]
DECEMBER = [{"user_id": "u7", "action": "click", "event_time": "2025-12-01T00:00:00Z", "page": "/"}]


def records(results: dict[str, analytics.QueryResult], name: str) -> list[dict[str, Any]]:
    return results[name].records()


def raw_contrast(dev: Deployment, root: Path, month: str) -> dict[str, list[dict[str, Any]]]:
    """The raw layer's versions of the figures (analytics_sql.RAW_QUERIES), not deployed."""
    analytics.download_layer(dev.client("s3"), dev.outputs["raw_bucket_name"], root)
    connection = analytics.connect(root)
    try:
        parameters = analytics_sql.month_parameters(month)
        return {
            q.name: analytics.run_sql(connection, q.sql, parameters).records()
            for q in analytics_sql.RAW_QUERIES
        }
    finally:
        connection.close()


def test_each_named_query_returns_the_expected_figures(dev: Deployment, tmp_path: Path) -> None:
    for events in (NOVEMBER_20, NOVEMBER_21, DECEMBER):
        report = pipeline.run(dev, {"events": events})
        assert report.status == "SUCCEEDED", report
    for event in NOVEMBER_21:  # re-sent one by one: new raw objects, the same events
        assert pipeline.run(dev, event).status == "SUCCEEDED"
    raw = dev.client("s3").list_objects_v2(Bucket=dev.outputs["raw_bucket_name"], Prefix="ingest/")
    assert raw["KeyCount"] == 5
    results = analytics.deployment_queries(dev, "2025-11")
    nov_20, nov_21, week = date(2025, 11, 20), date(2025, 11, 21), date(2025, 11, 17)
    # The curated table: stored events once each, by the UTC day of occurred_at; u4 and u5 were
    # rejected and count nowhere but in rejected_by_reason.
    assert records(results, "daily_active_users") == [
        {"day": nov_20, "active_users": 3},
        {"day": nov_21, "active_users": 2},
    ]
    assert records(results, "weekly_active_users") == [{"week": week, "active_users": 4}]
    assert records(results, "monthly_active_users") == [
        {"month": date(2025, 11, 1), "active_users": 4}
    ]
    assert records(results, "sessions_per_day") == []  # no event carries a session_id
    assert records(results, "events_per_action_per_day") == [
        {"day": nov_20, "action": "page_view", "events": 3},
        {"day": nov_20, "action": "click", "events": 1},
        {"day": nov_21, "action": "page_view", "events": 1},
        {"day": nov_21, "action": "sign_in", "events": 1},
    ]
    assert records(results, "top_pages") == [
        {"page": "/", "events": 3, "users": 2},
        {"page": "/pricing", "events": 2, "users": 2},
    ]
    # received in 2026: every event of November 2025 is late
    assert records(results, "late_event_share") == [
        {"day": nov_20, "events": 4, "late_events": 4, "late_share": 1.0},
        {"day": nov_21, "events": 2, "late_events": 2, "late_share": 1.0},
    ]
    assert records(results, "rejected_by_reason") == [
        {"reason": "bad_event_time", "events": 1},
        {"reason": "schema_violation", "events": 1},
    ]
    december = analytics.deployment_queries(dev, "2025-12", ["top_pages"])
    assert records(december, "top_pages") == [{"page": "/", "events": 1, "users": 1}]

    # The raw layer: events as received by raw partition day, the rejected u4 and u5 included.
    contrast = raw_contrast(dev, tmp_path, "2025-11")
    assert contrast["daily_active_users"] == [
        {"yyyy": "2025", "mm": "11", "dd": "20", "active_users": 5},
        {"yyyy": "2025", "mm": "11", "dd": "21", "active_users": 2},
    ]
    day = {"yyyy": "2025", "mm": "11"}
    assert contrast["events_per_action_per_day"] == [
        day | {"dd": "20", "action": "page_view", "events": 3},
        day | {"dd": "20", "action": "click", "events": 1},
        day | {"dd": "20", "action": "login", "events": 1},
        day | {"dd": "21", "action": "page_view", "events": 1},
        day | {"dd": "21", "action": "sign_in", "events": 1},
    ]
    assert contrast["top_pages"] == [
        {"page": "/", "events": 3, "users": 2},
        {"page": "/pricing", "events": 2, "users": 2},
        {"page": "/x", "events": 1, "users": 1},
    ]


def test_the_sql_that_runs_is_the_sql_athena_stores(dev: Deployment) -> None:
    athena = dev.client("athena")
    workgroup = athena.get_work_group(WorkGroup=dev.outputs["athena_workgroup"])["WorkGroup"]
    configuration = workgroup["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert configuration["ResultConfiguration"] == {
        "OutputLocation": f"s3://{dev.outputs['athena_results_bucket']}/athena/",
        "EncryptionConfiguration": {
            "EncryptionOption": "SSE_KMS",
            "KmsKey": dev.outputs["kms_key_arn"],
        },
    }
    for query in analytics_sql.NAMED_QUERIES:
        stored = athena.get_named_query(NamedQueryId=dev.outputs["named_queries"][query.name])
        assert stored["NamedQuery"]["QueryString"] == query.sql
        assert stored["NamedQuery"]["Database"] == dev.outputs["glue_database"]
    table = dev.client("glue").get_table(
        DatabaseName=dev.outputs["glue_database"], Name="raw_events"
    )["Table"]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["storage.location.template"] == (
        f"s3://{dev.outputs['raw_bucket_name']}/ingest/yyyy=${{yyyy}}/mm=${{mm}}/dd=${{dd}}/hh=${{hh}}/"
    )
