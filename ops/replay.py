"""``ops replay``: re-run Process -> Write for the raw objects of a time range.

Lists the raw objects under the hour partitions ``ingest/yyyy=YYYY/mm=MM/dd=DD/hh=HH/`` from the
hour of ``--since`` up to (excluding) ``--until``, and runs one execution of the recovery state
machine per object with the input ``{"replay": {"raw_key": <key>}}`` (the main state machine has no
replay path). Re-deliveries are first-write-wins, so a replay never changes an item already stored.
Standard execution names are unique for 90 days, so each replay run names its executions with a
run id of its own (ops.names.replay_name).
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.keys import RAW_PREFIX, partition
from ops.commands import Command, CommandError, add_concurrency, report
from ops.executions import Outcome, Run, Runner
from ops.names import replay_name
from ops.target import Target
from ops.times import add_time_range

DESCRIPTION = """\
Re-run Process -> Write for every raw object stored in the hours from --since
to before --until, through the operators' recovery state machine. Items already
stored are left exactly as they are (already present); only missing ones are
written. Running it twice changes nothing.

Exit status 1 when a re-run failed; the raw objects stay as they are."""
HOUR = timedelta(hours=1)
MAX_HOURS = 24 * 366
FAILURE_COLUMNS = ("raw_key", "execution", "status", "error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_time_range(parser, "first hour (included)", "end (excluded)", required=True)
    add_concurrency(parser, "executions")


def hour_prefixes(since: datetime, until: datetime) -> list[str]:
    """``ingest/<partition>/`` for every hour from the hour of ``since`` to before ``until``."""
    hour = since.replace(minute=0, second=0, microsecond=0)
    if until <= since:
        raise CommandError(f"--until {until:%Y-%m-%dT%H:%M}Z must be after --since")
    if (until - hour) / HOUR > MAX_HOURS:
        raise CommandError(f"the range spans more than {MAX_HOURS} hours; replay it in parts")
    prefixes = []
    while hour < until:
        prefixes.append(f"{RAW_PREFIX}{partition(hour)}/")
        hour += HOUR
    return prefixes


def list_raw_keys(s3: Any, bucket: str, prefixes: list[str]) -> list[str]:
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys += [obj["Key"] for obj in page.get("Contents", []) if obj["Key"].endswith(".json")]
    return keys


def replay_runs(keys: list[str], run_id: str) -> list[Run]:
    return [
        Run(replay_name(key, run_id), json.dumps({"replay": {"raw_key": key}}), key) for key in keys
    ]


@dataclass
class ReplaySummary:
    objects: int
    outcomes: list[Outcome]

    def as_dict(self) -> dict[str, Any]:
        failed = [o for o in self.outcomes if o.status != "SUCCEEDED"]
        return {
            "objects": self.objects,
            "succeeded": len(self.outcomes) - len(failed),
            "items_written": sum(o.written for o in self.outcomes),
            "already_present": sum(o.already_present for o in self.outcomes),
            "rejected": sum(len(o.rejected) for o in self.outcomes),
            "failed": len(failed),
            "failures": [
                {
                    "raw_key": o.run.tag,
                    "execution": o.run.name,
                    "status": o.status,
                    "error": o.error,
                }
                for o in failed
            ],
        }


def replay(
    target: Target,
    since: datetime,
    until: datetime,
    *,
    concurrency: int = 4,
    run_id: str | None = None,
    progress: bool = True,
) -> ReplaySummary:
    runner = Runner.for_target(target, target.recovery_state_machine_arn)
    keys = list_raw_keys(target.client("s3"), target.raw_bucket_name, hour_prefixes(since, until))
    runs = replay_runs(keys, run_id or uuid.uuid4().hex[:8])
    outcomes = runner.run_all(runs, concurrency=concurrency, label="replay" if progress else None)
    return ReplaySummary(len(keys), outcomes)


def run(args: argparse.Namespace, target: Target) -> int:
    summary = replay(target, args.since, args.until, concurrency=args.concurrency).as_dict()
    return report(args, summary, "failures", FAILURE_COLUMNS)


COMMAND = Command(
    "replay",
    "re-run Process -> Write for the raw objects of a time range",
    DESCRIPTION,
    add_arguments,
    run,
)
