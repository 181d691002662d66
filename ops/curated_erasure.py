"""The curated Iceberg table's part of ``ops forget``: the users' rows deleted, and every snapshot
and file that still holds them gone, so neither a query nor time travel can read them back.

An eraser does four steps, each safe to run again (``ops forget`` records which are done):

1. ``settle``: Firehose may still buffer records Write sent before the users' items were deleted
   (up to the stream's buffering interval; Amazon Data Firehose developer guide, "Configure
   buffering hints"). The items go first, then the eraser waits one buffering interval from the
   moment they were deleted, so every record of theirs sent before is in the table; Write sends
   only items in the table, so nothing of theirs is sent after (their raw lines are erased, so a
   replay brings none back; with ``--suppress`` their new events are rejected). A delivery
   Firehose retries past that interval is caught by running ``ops forget`` again.
2. ``count`` and ``delete``: the rows whose ``user_id`` is one of theirs.
3. ``expire``: every snapshot but the current one expired and the files no longer referenced
   removed.

``AthenaEraser`` does it on AWS, in the stack's workgroup: ``DELETE FROM``; ``OPTIMIZE ... REWRITE
DATA USING BIN_PACK`` (the table is merge-on-read: a DELETE writes delete files and leaves the
rows in their data files, which the rewrite drops); ``ALTER TABLE SET TBLPROPERTIES
('vacuum_max_snapshot_age_seconds'=...)`` to a short age, then ``VACUUM`` (Athena user guide,
"VACUUM": it expires the snapshots older than that property, keeping
``vacuum_min_snapshots_to_keep`` — 1 by default — and removes the files they alone held and the
orphan files older than the same age), then the property set back to its default, 432,000 s.
The age is never shorter than a Firehose delivery can take — the stream's buffering interval and
retry duration (DescribeDeliveryStream; Firehose's maximum, 7,200 s, when the stream does not say)
and a margin: a delivery in flight has written data files its commit does not yet reference, and
VACUUM would remove them as orphans, losing the delivery's rows. So the eraser waits that age after
the rewrite before VACUUM, and every snapshot before the rewrite (those that hold the rows) is
older than the age when it runs;
finally, the curated bucket being versioned, every version of each table file whose current
version is a delete marker is deleted, markers included. The harness's eraser
(``harness.tools.erasure``) does the same on the emulator's pyiceberg table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

from ops.commands import CommandError

VACUUM_DEFAULT_AGE_SECONDS: Final = 432_000  # Athena's default (5 days)
TABLE_PREFIX: Final = "curated_events/"
POLL_SECONDS: Final = 1.0
QUERY_TIMEOUT_SECONDS: Final = 1_800.0
SETTLE_MARGIN_SECONDS: Final = 30.0  # a delivery's own time after the interval
MAX_RETRY_SECONDS: Final = 7_200.0  # Firehose's RetryOptions.DurationInSeconds, at most
Sleep = Callable[[float], None]
Clock = Callable[[], float]


class CuratedEraser(Protocol):
    def settle(self, items_deleted_at: float) -> None:
        """Return once every record sent before ``items_deleted_at`` (epoch s) is in the table."""

    def count(self, users: frozenset[str]) -> int:
        """The table's rows of the users now."""

    def delete(self, users: frozenset[str]) -> None: ...

    def expire(self) -> dict[str, int]:
        """Expire every snapshot but the current one, remove the files they alone held:
        ``snapshots_expired``, ``files_deleted``."""


def sql_string(value: str) -> str:
    """A Trino string literal (the only escape is a doubled quote)."""
    return "'" + value.replace("'", "''") + "'"


def user_list(users: Iterable[str]) -> str:
    return ", ".join(sql_string(user) for user in sorted(users))


def buffering_interval(firehose: Any, stream_name: str) -> float:
    """The stream's buffering interval in seconds (DescribeDeliveryStream)."""
    description = firehose.describe_delivery_stream(DeliveryStreamName=stream_name)
    destinations = description["DeliveryStreamDescription"]["Destinations"]
    for destination in destinations:
        hints = destination.get("IcebergDestinationDescription", {}).get("BufferingHints", {})
        if "IntervalInSeconds" in hints:
            return float(hints["IntervalInSeconds"])
    return 0.0


def delivery_seconds(firehose: Any, stream_name: str) -> float:
    """How long one of the stream's deliveries can take, at most: its buffering interval, its
    retry duration (Firehose's maximum when the stream does not say) and the margin."""
    description = firehose.describe_delivery_stream(DeliveryStreamName=stream_name)
    retry = MAX_RETRY_SECONDS
    for destination in description["DeliveryStreamDescription"]["Destinations"]:
        options = destination.get("IcebergDestinationDescription", {}).get("RetryOptions", {})
        if "DurationInSeconds" in options:
            retry = float(options["DurationInSeconds"])
    return buffering_interval(firehose, stream_name) + retry + SETTLE_MARGIN_SECONDS


def wait_one_interval(
    interval: float,
    items_deleted_at: float,
    *,
    margin: float = SETTLE_MARGIN_SECONDS,
    clock: Clock = time.time,
    sleep: Sleep = time.sleep,
) -> None:
    """Sleep until one buffering interval (and a delivery's margin) after the items went."""
    left = items_deleted_at + interval + margin - clock()
    if interval > 0 and left > 0:
        sleep(left)


class AthenaEraser:
    """The curated table's erasure on AWS, through Athena in the stack's workgroup."""

    def __init__(
        self,
        *,
        athena: Any,
        s3: Any,
        firehose: Any,
        workgroup: str,
        database: str,
        table: str,
        bucket: str,
        stream_name: str,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
    ) -> None:
        self.athena, self.s3, self.firehose = athena, s3, firehose
        self.workgroup, self.bucket, self.stream_name = workgroup, bucket, stream_name
        self.qualified = f'"{database}"."{table}"'
        self.snapshots = f'"{database}"."{table}$snapshots"'
        self.vacuum_name = f"{database}.{table}"  # VACUUM takes no double quotes
        self.sleep, self.clock = sleep, clock

    def run(self, sql: str) -> str:
        """Run one statement to its end; its QueryExecutionId. CommandError on FAILED/CANCELLED."""
        started = self.athena.start_query_execution(QueryString=sql, WorkGroup=self.workgroup)
        query_id = str(started["QueryExecutionId"])
        deadline = self.clock() + QUERY_TIMEOUT_SECONDS
        while True:
            execution = self.athena.get_query_execution(QueryExecutionId=query_id)
            status = execution["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return query_id
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason", "no reason given")
                raise CommandError(
                    f"Athena {state} {sql.split()[0]} ({query_id}): {reason}; run ops forget again"
                )
            if self.clock() > deadline:
                raise CommandError(f"Athena query {query_id} still {state}; run ops forget again")
            self.sleep(POLL_SECONDS)

    def settle(self, items_deleted_at: float) -> None:
        interval = buffering_interval(self.firehose, self.stream_name)
        wait_one_interval(interval, items_deleted_at, clock=self.clock, sleep=self.sleep)

    def scalar(self, sql: str) -> int:
        query_id = self.run(sql)
        rows = self.athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
        return int(rows[1]["Data"][0]["VarCharValue"])  # rows[0] is the header

    def count(self, users: frozenset[str]) -> int:
        return self.scalar(
            f"SELECT count(*) FROM {self.qualified} WHERE user_id IN ({user_list(users)})"  # noqa: S608
        )

    def delete(self, users: frozenset[str]) -> None:
        self.run(f"DELETE FROM {self.qualified} WHERE user_id IN ({user_list(users)})")  # noqa: S608

    def expire(self) -> dict[str, int]:
        rewritten_at = self.clock()
        self.run(f"OPTIMIZE {self.qualified} REWRITE DATA USING BIN_PACK")
        # no shorter than a delivery (the module's docstring), and waited out from the rewrite
        age = math.ceil(max(1.0, delivery_seconds(self.firehose, self.stream_name)))
        left = rewritten_at + age - self.clock()
        if left > 0:
            self.sleep(left)
        self.run(
            f"ALTER TABLE {self.vacuum_name} SET TBLPROPERTIES "
            f"('vacuum_max_snapshot_age_seconds'='{age}')"
        )
        before = self.scalar(f"SELECT count(*) FROM {self.snapshots}")  # noqa: S608
        try:
            self.run(f"VACUUM {self.vacuum_name}")
        finally:
            self.run(
                f"ALTER TABLE {self.vacuum_name} SET TBLPROPERTIES "
                f"('vacuum_max_snapshot_age_seconds'='{VACUUM_DEFAULT_AGE_SECONDS}')"
            )
        expired = before - self.scalar(f"SELECT count(*) FROM {self.snapshots}")  # noqa: S608
        return {"snapshots_expired": expired, "files_deleted": self.delete_noncurrent_versions()}

    def delete_noncurrent_versions(self) -> int:
        """Every version of each table file VACUUM deleted (its latest is a delete marker)."""
        by_key: dict[str, list[tuple[str, bool, bool]]] = {}
        pages = self.s3.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=TABLE_PREFIX
        )
        for page in pages:
            for kind in ("Versions", "DeleteMarkers"):
                for entry in page.get(kind, []):
                    by_key.setdefault(entry["Key"], []).append(
                        (entry["VersionId"], bool(entry["IsLatest"]), kind == "DeleteMarkers")
                    )
        deleted = 0
        for key, versions in sorted(by_key.items()):
            if not any(latest and marker for _, latest, marker in versions):
                continue
            for version_id, _, _ in versions:
                self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
                deleted += 1
        return deleted
