"""The named queries on the curated Iceberg table give the DynamoDB table's figures, whatever
duplicates the pipeline saw; the raw layer's contrast queries, beside them, show what differs.

One deployment for the module (faults off until a step turns them on). A known event set is
loaded with every kind of duplicate: the same events re-sent in another batch, the same key with
other content (rejected `conflicting_duplicate`), a day replayed (`ops replay`), a batch whose
Write timed out redriven from the DLQ (`ops redrive`), and a Write retried by the state machine
after PutRecordBatch failed records between the table and Firehose; with events rejected for
several reasons. Then every deployed named query runs on DuckDB over the table's current snapshot
(read back from Athena as deployed) and must equal the figures worked out in Python from the
table's items (tests/e2e/curated_figures.py), for every month the events span; the raw layer's
queries run beside them and must equal their own Python figures — which differ from the
curated ones exactly where the raw layer counts what the table does not.

Times are relative to now (the late threshold is 72 h before the batch is received): two days
five and four days back (late) and two hours back (not late).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from components.builders import analytics_sql
from harness.deploy import Deployment
from harness.emulator.faults import FaultConfig, FaultInjector
from harness.tools import analytics
from ops.executions import Outcome, history
from ops.names import batch_name
from ops.redrive import redrive
from ops.replay import replay
from tests.e2e import curated_figures as figures
from tests.e2e.integrity import deployed, dlq_messages, execute

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
DAY_5 = (NOW - timedelta(days=5)).replace(hour=0, minute=0)
DAY_4 = DAY_5 + timedelta(days=1)
RECENT = (NOW - timedelta(hours=2)).replace(minute=0)  # its events share one UTC day
# Invokes: Ingest, Process pass; Write runs to the end, then times out (the execution's DLQ).
WRITE_TIMES_OUT = FaultConfig(rate=1.0, kinds=("timeout",), targets=("lambda",), after=2, limit=1)
# Every PutRecordBatch of one Write fails records (its 6 attempts): TransientAwsError, the state
# machine retries Write, which sends the batch's items again (already present in the table).
FIREHOSE_FAILS_RECORDS = FaultConfig(rate=1.0, kinds=("throttle",), targets=("firehose",), limit=6)


def at(day: datetime, clock: str) -> str:
    """RFC 3339 UTC of `day` at `HH:MM:SS(.sss)`."""
    return f"{day:%Y-%m-%d}T{clock}Z"


def event(user: str, action: str, when: Any, **fields: Any) -> dict[str, Any]:
    return {"user_id": user, "action": action, "event_time": when, **fields}


# Each day holds an odd number of sessions: Athena's approx_percentile and DuckDB's quantile_cont
# agree on the median of those only. Session lengths are counted in milliseconds, where Trino and
# DuckDB agree (their date_diff('second', ...) does not: whole seconds elapsed on one, second
# boundaries crossed on the other), and day 5's sessions have fractional lengths. Day 5: three
# sessions, an acronym and an accented action, an offset, an epoch-milliseconds time,
# properties; rejected events of u9 (an active user in the raw layer only), one too old, one with
# an action that normalizes to nothing.
DAY_5_BATCH = {
    "events": [
        event("u1", "Page View", at(DAY_5, "09:00:00"), event_id="a-1", session_id="s-1", page="/"),
        event(
            "u1",
            "click",
            at(DAY_5, "09:04:00.250"),
            event_id="a-2",
            session_id="s-1",
            page="/pricing",
            properties={"button": "buy", "n": 1, "price": 9.5},
        ),
        event(
            "u1", "HTTPRequest", at(DAY_5, "09:10:00"), event_id="a-3", session_id="s-1", page="/"
        ),
        event("u2", "Café Visit", at(DAY_5, "09:20:00.900"), session_id="s-2", page="/"),
        event(
            "u2",
            "PageView",
            int((DAY_5 + timedelta(hours=9, minutes=21, seconds=30)).timestamp()) * 1000 + 100,
            session_id="s-2",
            page="/pricing",
        ),
        event(
            "u3",
            "page-view",
            f"{DAY_5:%Y-%m-%d}T09:30:00+01:00",
            session_id="s-3",
            page="/",
            ip="203.0.113.57",
            referrer="https://www.example.com/",
        ),
        {"user_id": "u9", "event_time": at(DAY_5, "09:40:00"), "page": "/"},  # schema_violation
        event("u9", "login", f"{DAY_5:%Y-%m-%d}T09:41:00", page="/"),  # bad_event_time
        event("u4", "login", "1999-12-31T00:00:00Z"),  # event_too_old
        event("u5", "!!!", at(DAY_5, "09:50:00"), page="/x"),  # invalid_action
    ]
}
# The first three events again, in a batch of their own: another raw object, the same items.
RESENT = {"events": DAY_5_BATCH["events"][:3]}
DAY_4_BATCH = {
    "events": [
        event("u1", "Page View", at(DAY_4, "12:00:00"), event_id="b-1", session_id="s-4", page="/"),
        event("u4", "Sign-In", at(DAY_4, "12:01:00"), event_id="b-2"),
        event("u7", "click", (NOW + timedelta(days=2)).isoformat()),  # future_event_time
    ]
}
# b-1's key with other content: rejected conflicting_duplicate by Write; the stored item stays.
CONFLICT = {
    "events": [
        event("u1", "Page View", at(DAY_4, "12:00:00"), event_id="b-1", page="/other"),
        event("u6", "click", at(DAY_4, "12:30:00"), event_id="b-3", page="/docs"),
    ]
}
# Its Write times out after writing: the execution ends in the DLQ, `ops redrive` re-runs it.
REDRIVEN = {
    "events": [
        event("u5", "Purchase", at(DAY_4, "15:00:00"), event_id="c-1", page="/checkout"),
        event("u5", "purchase", at(DAY_4, "15:02:00"), event_id="c-2", page="/checkout"),
    ]
}
RECENT_BATCH = {
    "events": [
        event("u1", "click", RECENT.isoformat(), event_id="d-1", session_id="s-5", page="/"),
        event(
            "u6",
            "Page View",
            (RECENT + timedelta(minutes=1)).isoformat(),
            event_id="d-2",
            session_id="s-6",
            page="/docs",
        ),
    ]
}
# Sent while PutRecordBatch fails records: Write is retried by the state machine.
FIREHOSE_RETRIED = {
    "events": [
        event(
            "u3",
            "scroll",
            (RECENT + timedelta(minutes=2)).isoformat(),
            event_id="e-1",
            session_id="s-7",
        ),
        event(
            "u3",
            "scroll",
            (RECENT + timedelta(minutes=3)).isoformat(),
            event_id="e-2",
            session_id="s-7",
        ),
        event(
            "u6",
            "click",
            (RECENT + timedelta(minutes=4)).isoformat(),
            event_id="e-3",
            session_id="s-6",
            page="/docs",
        ),
    ]
}
REJECTED_REASONS = {
    "schema_violation": 1,
    "bad_event_time": 1,
    "event_too_old": 1,
    "invalid_action": 1,
    "future_event_time": 1,
    "conflicting_duplicate": 1,
}
STORED = 6 + 2 + 1 + 2 + 2 + 3  # the valid events, once each


@contextmanager
def faults(deployment: Deployment, config: FaultConfig) -> Iterator[FaultInjector]:
    """Inject `config`'s faults (counted afresh) for the block, then none."""
    injector = deployment.emulator.faults
    assert injector is not None
    injector.config = config
    injector.eligible.clear()
    injector.injected.clear()
    try:
        yield injector
    finally:
        injector.config = FaultConfig()


def succeeded(deployment: Deployment, payload: dict[str, Any]) -> Outcome:
    outcome = execute(deployment, payload, batch_name(payload))
    assert outcome.status == "SUCCEEDED", outcome.error
    return outcome


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[Deployment, list[tuple[str, str, str]]]]:
    """The stack with the event set loaded; the (raw_key, event_id, reason) of every rejection
    an execution reported."""
    with deployed(FaultConfig()) as deployment:
        outcomes = [succeeded(deployment, DAY_5_BATCH), succeeded(deployment, DAY_4_BATCH)]
        resent = succeeded(deployment, RESENT)
        assert (resent.written, resent.already_present) == (0, 3)
        outcomes.append(succeeded(deployment, CONFLICT))
        outcomes.append(succeeded(deployment, RECENT_BATCH))

        with faults(deployment, WRITE_TIMES_OUT) as injector:
            timed_out = execute(deployment, REDRIVEN, batch_name(REDRIVEN))
            assert injector.total == 1
        assert timed_out.status == "FAILED"
        [letter] = dlq_messages(deployment)
        assert letter["Body"]["failed_state"] == "Write"
        summary = redrive(deployment.as_target(), progress=False, wait=0).as_dict()
        assert (summary["redriven"], summary["failed"]) == (1, 0)
        assert (summary["items_written"], summary["already_present"]) == (0, 2)

        with faults(deployment, FIREHOSE_FAILS_RECORDS) as injector:
            retried = succeeded(deployment, FIREHOSE_RETRIED)
            assert injector.total == 6
        events = history(deployment.client("stepfunctions"), retried.description["executionArn"])
        failures = [e["taskFailedEventDetails"] for e in events if "taskFailedEventDetails" in e]
        assert [f["error"] for f in failures] == ["TransientAwsError"]
        assert (retried.written, retried.already_present) == (0, 3)  # written by the first try
        outcomes.append(retried)

        day = replay(
            deployment.as_target(),
            DAY_5,
            DAY_4,
            concurrency=2,
            run_id="day5",
            progress=False,
        ).as_dict()
        assert (day["objects"], day["failed"], day["items_written"]) == (2, 0, 0)
        assert day["already_present"] == 6 + 3  # the day's batch and its re-sent part

        rejected = [
            (str(o.output["raw_key"]), str(r["event_id"]), str(r["reason"]))
            for o in outcomes
            for r in o.rejected
        ]
        yield deployment, rejected


def months_of(deployment: Deployment) -> list[tuple[int, int]]:
    return figures.months(figures.stored_items(deployment))


def test_every_event_is_stored_once_and_no_rejected_event_reaches_the_table(
    loaded: tuple[Deployment, list[tuple[str, str, str]]],
) -> None:
    deployment, rejected = loaded
    items = figures.stored_items(deployment)
    assert len(items) == STORED
    assert {str(i["user_id"]) for i in items} == {"u1", "u2", "u3", "u4", "u5", "u6"}
    conflicted = next(i for i in items if str(i["event_id"]) == "b-1")
    assert conflicted["page"] == "/"  # first write wins
    reasons: dict[str, int] = {}
    for _, _, reason in rejected:
        reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons == REJECTED_REASONS


def test_the_curated_rows_are_the_tables_items(
    loaded: tuple[Deployment, list[tuple[str, str, str]]],
) -> None:
    deployment, _ = loaded
    deployment.emulator.firehose.flush()
    snapshot = analytics.curated_snapshot(
        deployment.emulator.warehouse,
        deployment.outputs["glue_database"],
        deployment.outputs["curated_table_name"],
    )
    items = figures.stored_items(deployment)
    assert snapshot.num_rows == len(items) == STORED
    assert figures.row_problems(snapshot.to_pylist(), items) == []


def test_every_named_query_gives_the_tables_figures_and_the_raw_layer_differs(
    loaded: tuple[Deployment, list[tuple[str, str, str]]], tmp_path: Path
) -> None:
    deployment, rejected = loaded
    items = figures.stored_items(deployment)
    raw_rows = figures.raw_rows(deployment)
    assert len(months_of(deployment)) in (1, 2)
    analytics.download_layer(
        deployment.client("s3"), deployment.outputs["raw_bucket_name"], tmp_path
    )
    raw = analytics.connect(tmp_path)
    try:
        for year, month in months_of(deployment):
            label = f"{year:04d}-{month:02d}"
            results = analytics.deployment_queries(deployment, label)
            assert set(results) == {q.name for q in analytics_sql.NAMED_QUERIES}
            expected = figures.curated_figures(items, year, month)
            expected["rejected_by_reason"] = figures.rejected_figures(rejected, year, month)
            for name, result in results.items():
                assert result.records() == expected[name], name

            contrast = {
                query.name: analytics.run_sql(
                    raw, query.sql, analytics_sql.month_parameters(label)
                ).records()
                for query in analytics_sql.RAW_QUERIES
            }
            assert contrast == figures.raw_figures(raw_rows, year, month)
            assert_raw_differs(expected, contrast, year, month)
    finally:
        raw.close()


def assert_raw_differs(
    curated: figures.Figures, raw: figures.Figures, year: int, month: int
) -> None:
    """Where the raw layer's figures part from the table's, by construction of the event set."""
    day_5 = (DAY_5.year, DAY_5.month) == (year, month)
    day_4 = (DAY_4.year, DAY_4.month) == (year, month)
    curated_dau = {r["day"].isoformat(): r["active_users"] for r in curated["daily_active_users"]}
    raw_dau = {
        f"{r['yyyy']}-{r['mm']}-{r['dd']}": r["active_users"] for r in raw["daily_active_users"]
    }
    raw_actions = {(r["action"], r["events"]) for r in raw["events_per_action_per_day"]}
    curated_actions = {(r["action"], r["events"]) for r in curated["events_per_action_per_day"]}
    if day_5:
        key = f"{DAY_5:%Y-%m-%d}"
        # u9 (rejected twice), u4 (too old) and u5 (invalid action) were received, never stored.
        assert (curated_dau[key], raw_dau[key]) == (3, 6)
        assert {("http_request", 1), ("cafe_visit", 1)} <= curated_actions
        assert {("h_t_t_p_request", 1), ("caf_visit", 1)} <= raw_actions
        assert not {a for a, _ in curated_actions} & {"h_t_t_p_request", "caf_visit"}
    if day_4:
        key = f"{DAY_4:%Y-%m-%d}"
        assert (curated_dau[key], raw_dau[key]) == (4, 5)  # u7's event was in the future
        raw_pages = {r["page"]: r["events"] for r in raw["top_pages"]}
        curated_pages = {r["page"]: r["events"] for r in curated["top_pages"]}
        assert raw_pages.get("/other") == 1  # the conflicting duplicate, counted as received
        assert "/other" not in curated_pages
