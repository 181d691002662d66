"""The curated table's erasure on AWS (ops.curated_erasure.AthenaEraser) against stubbed clients:
the statements, in order, in the workgroup; polling to the end; FAILED/CANCELLED as clear errors;
the noncurrent versions of the files VACUUM deleted; the wait for Firehose's buffer."""

from __future__ import annotations

from typing import Any

import pytest

from ops.commands import CommandError
from ops.curated_erasure import (
    VACUUM_DEFAULT_AGE_SECONDS,
    AthenaEraser,
    delivery_seconds,
    sql_string,
    wait_one_interval,
)


class FakeAthena:
    """Each query goes QUEUED -> RUNNING -> its final state (SUCCEEDED unless told)."""

    def __init__(self, final: dict[str, str] | None = None, counts: list[int] | None = None):
        self.statements: list[tuple[str, str]] = []
        self.polls: dict[str, list[str]] = {}
        self.final = final or {}
        self.counts = list(counts or [])

    def start_query_execution(self, QueryString: str, WorkGroup: str) -> dict[str, str]:
        self.statements.append((QueryString, WorkGroup))
        query_id = f"q{len(self.statements)}"
        verb = QueryString.split()[0]
        self.polls[query_id] = ["QUEUED", "RUNNING", self.final.get(verb, "SUCCEEDED")]
        return {"QueryExecutionId": query_id}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        state = self.polls[QueryExecutionId].pop(0)
        status: dict[str, str] = {"State": state}
        if state in ("FAILED", "CANCELLED"):
            status["StateChangeReason"] = "ICEBERG_COMMIT_ERROR: conflict"
        return {"QueryExecution": {"Status": status}}

    def get_query_results(self, QueryExecutionId: str) -> dict[str, Any]:
        value = str(self.counts.pop(0))
        return {
            "ResultSet": {
                "Rows": [{"Data": [{"VarCharValue": "_col0"}]}, {"Data": [{"VarCharValue": value}]}]
            }
        }


class FakeS3:
    def __init__(self, versions: list[dict[str, Any]], markers: list[dict[str, Any]]) -> None:
        self.page = {"Versions": versions, "DeleteMarkers": markers}
        self.deleted: list[tuple[str, str]] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "list_object_versions"
        page = self.page

        class Paginator:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:
                assert (Bucket, Prefix) == ("curated-bucket", "curated_events/")
                return [page]

        return Paginator()

    def delete_object(self, Bucket: str, Key: str, VersionId: str) -> None:
        self.deleted.append((Key, VersionId))


class FakeFirehose:
    def __init__(self, retry: int | None = 300) -> None:
        self.retry = retry

    def describe_delivery_stream(self, DeliveryStreamName: str) -> dict[str, Any]:
        assert DeliveryStreamName == "stack-curated"
        hints = {"IntervalInSeconds": 60, "SizeInMBs": 64}
        description: dict[str, Any] = {"BufferingHints": hints}
        if self.retry is not None:
            description["RetryOptions"] = {"DurationInSeconds": self.retry}
        destination = {"IcebergDestinationDescription": description}
        return {"DeliveryStreamDescription": {"Destinations": [destination]}}


def eraser(
    athena: FakeAthena, s3: FakeS3 | None = None, firehose: FakeFirehose | None = None, **clock: Any
) -> AthenaEraser:
    sleeps: list[float] = []
    made = AthenaEraser(
        athena=athena,
        s3=s3 or FakeS3([], []),
        firehose=firehose or FakeFirehose(),
        workgroup="stack-wg",
        database="stack_db",
        table="curated_events",
        bucket="curated-bucket",
        stream_name="stack-curated",
        sleep=sleeps.append,
        **clock,
    )
    made.sleeps = sleeps  # type: ignore[attr-defined]
    return made


def test_count_and_delete_name_the_users_as_quoted_literals_in_the_workgroup() -> None:
    athena = FakeAthena(counts=[3])
    made = eraser(athena)
    users = frozenset({"b", "o'neil"})
    where = "WHERE user_id IN ('b', 'o''neil')"
    assert made.count(users) == 3
    made.delete(users)
    assert athena.statements == [
        (
            f'SELECT count(*) FROM "stack_db"."curated_events" {where}',  # noqa: S608
            "stack-wg",
        ),
        (
            """DELETE FROM "stack_db"."curated_events" WHERE user_id IN ('b', 'o''neil')""",
            "stack-wg",
        ),
    ]
    assert made.sleeps == [1.0, 1.0, 1.0, 1.0]  # type: ignore[attr-defined]  # QUEUED, RUNNING twice
    assert sql_string("'") == "''''"


def test_expire_rewrites_vacuums_with_a_short_age_restores_it_and_deletes_versions() -> None:
    athena = FakeAthena(counts=[5, 1])
    versions = [
        {"Key": "curated_events/data/a.parquet", "VersionId": "a1", "IsLatest": False},
        {"Key": "curated_events/data/b.parquet", "VersionId": "b1", "IsLatest": True},
        {"Key": "curated_events/metadata/m.avro", "VersionId": "m1", "IsLatest": False},
    ]
    markers = [
        {"Key": "curated_events/data/a.parquet", "VersionId": "a2", "IsLatest": True},
        {"Key": "curated_events/metadata/m.avro", "VersionId": "m2", "IsLatest": True},
    ]
    s3 = FakeS3(versions, markers)
    ticks = iter([1000.0] + [1004.0] * 50)  # the rewrite took 4 s
    made = eraser(athena, s3, clock=lambda: next(ticks))
    result = made.expire()
    # the age is one delivery (interval 60 s, retry 300 s, margin 30 s), waited out from the
    # rewrite's start before VACUUM, so no delivery in flight has files older than it
    assert made.sleeps[2] == 390 - 4  # type: ignore[attr-defined]  # after OPTIMIZE's two polls
    assert [sql for sql, _ in athena.statements] == [
        'OPTIMIZE "stack_db"."curated_events" REWRITE DATA USING BIN_PACK',
        "ALTER TABLE stack_db.curated_events SET TBLPROPERTIES "
        "('vacuum_max_snapshot_age_seconds'='390')",
        'SELECT count(*) FROM "stack_db"."curated_events$snapshots"',
        "VACUUM stack_db.curated_events",
        "ALTER TABLE stack_db.curated_events SET TBLPROPERTIES "
        f"('vacuum_max_snapshot_age_seconds'='{VACUUM_DEFAULT_AGE_SECONDS}')",
        'SELECT count(*) FROM "stack_db"."curated_events$snapshots"',
    ]
    # the current file b keeps its version; a and m (deleted by VACUUM) lose every version
    assert sorted(s3.deleted) == [
        ("curated_events/data/a.parquet", "a1"),
        ("curated_events/data/a.parquet", "a2"),
        ("curated_events/metadata/m.avro", "m1"),
        ("curated_events/metadata/m.avro", "m2"),
    ]
    assert result == {"snapshots_expired": 4, "files_deleted": 4}


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_a_failed_statement_is_a_clear_error_and_vacuum_restores_the_age(state: str) -> None:
    athena = FakeAthena(final={"DELETE": state})
    with pytest.raises(CommandError, match=f"Athena {state} DELETE .*ICEBERG_COMMIT_ERROR.*again"):
        eraser(athena).delete(frozenset({"a"}))

    vacuum_fails = FakeAthena(final={"VACUUM": state}, counts=[2])
    with pytest.raises(CommandError, match=f"Athena {state} VACUUM"):
        eraser(vacuum_fails).expire()
    assert f"'{VACUUM_DEFAULT_AGE_SECONDS}'" in vacuum_fails.statements[-1][0]


def test_a_query_still_running_past_the_deadline_fails() -> None:
    athena = FakeAthena()
    athena.polls = {}
    ticks = iter(range(0, 10_000, 1000))

    def start(QueryString: str, WorkGroup: str) -> dict[str, str]:
        athena.polls["q"] = ["RUNNING"] * 100
        return {"QueryExecutionId": "q"}

    athena.start_query_execution = start  # type: ignore[method-assign]
    with pytest.raises(CommandError, match="still RUNNING"):
        eraser(athena, clock=lambda: float(next(ticks))).delete(frozenset({"a"}))


def test_settle_waits_one_buffering_interval_from_the_items_deletion() -> None:
    made = eraser(FakeAthena(), clock=lambda: 1_000.0)
    made.settle(990.0)
    assert made.sleeps == [990.0 + 60 + 30 - 1_000.0]  # type: ignore[attr-defined]
    slept: list[float] = []
    wait_one_interval(60, 0.0, clock=lambda: 1_000.0, sleep=slept.append)
    assert slept == []  # long past


def test_without_a_stated_retry_duration_vacuum_waits_firehose_longest() -> None:
    made = eraser(FakeAthena(counts=[1, 1]), firehose=FakeFirehose(retry=None))
    made.expire()
    assert delivery_seconds(FakeFirehose(retry=None), "stack-curated") == 60 + 7_200 + 30
    assert "'7290'" in made.athena.statements[1][0]
