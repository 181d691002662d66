"""The Athena named queries on DuckDB, over what the pipeline stored in the emulator.

A known set of events goes through the deployed state machine; Write feeds the curated Iceberg
table through Firehose; the named queries are read back from the emulator's Athena
(`GetNamedQuery`) and run on DuckDB over the curated table's current snapshot (the streams
flushed first) and, for `rejected_by_reason`, the rejected layer; the figures are worked out by
hand below.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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


def test_each_named_query_returns_the_expected_figures(dev: Deployment) -> None:
    for events in (NOVEMBER_20, NOVEMBER_21, DECEMBER):
        report = pipeline.run(dev, {"events": events})
        assert report.status == "SUCCEEDED", report
    for event in NOVEMBER_21:  # re-sent one by one: new raw objects, the same events
        assert pipeline.run(dev, event).status == "SUCCEEDED"
    raw = dev.client("s3").list_objects_v2(Bucket=dev.outputs["raw_bucket_name"], Prefix="ingest/")
    assert raw["KeyCount"] == 5
    results = analytics.deployment_queries(dev, "2025-11")
    # Stored events per UTC day of occurred_at: u4 and u5 were rejected, the re-sent events of
    # November 21 are one row each.
    nov_20, nov_21 = date(2025, 11, 20), date(2025, 11, 21)
    assert records(results, "daily_active_users") == [
        {"day": nov_20, "active_users": 3},
        {"day": nov_21, "active_users": 2},
    ]
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
    assert records(results, "rejected_by_reason") == [
        {"reason": "bad_event_time", "events": 1},
        {"reason": "schema_violation", "events": 1},
    ]
    december = analytics.deployment_queries(dev, "2025-12", ["top_pages"])
    assert records(december, "top_pages") == [{"page": "/", "events": 1, "users": 1}]


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
    from components.builders.analytics_sql import NAMED_QUERIES

    for query in NAMED_QUERIES:
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
