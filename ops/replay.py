"""``replay --since T --until T``: re-run Process -> Write for the raw objects of a time range.

Lists the raw objects under the hour partitions ``ingest/yyyy=YYYY/mm=MM/dd=DD/hh=HH/`` from the
hour of ``--since`` up to (excluding) ``--until``, and starts one execution of the recovery state
machine per object with the input ``{"replay": {"raw_key": <key>}}``, which its ``Route`` state
sends straight to Process (the main state machine has no replay path). Re-deliveries are
first-write-wins, so a replay never changes an item already stored; it writes only what is
missing (``already present`` counts the rest). Standard execution names are unique for 90 days,
so each replay run names its executions ``r-<batch_id>-<run id>``. Times are RFC 3339 or
``YYYY-MM-DD[THH[:MM]]``; without an offset they are UTC.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from handlers.keys import RAW_PREFIX, partition
from ops.runs import Outcome, Run, run_all
from ops.target import Target

HOUR = timedelta(hours=1)
MAX_HOURS = 24 * 366


def parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time (RFC 3339 or YYYY-MM-DD[THH[:MM]])"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hour_prefixes(since: datetime, until: datetime) -> list[str]:
    """``ingest/<partition>/`` for every hour from the hour of ``since`` to before ``until``."""
    hour = since.replace(minute=0, second=0, microsecond=0)
    if until <= since:
        raise ValueError(f"--until {until:%Y-%m-%dT%H:%M}Z must be after --since")
    if (until - hour) / HOUR > MAX_HOURS:
        raise ValueError(f"the range spans more than {MAX_HOURS} hours; replay it in parts")
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
        Run(f"r-{PurePosixPath(key).stem[:32]}-{run_id}", {"replay": {"raw_key": key}}, key)
        for key in keys
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
            "rejected": sum(o.rejected for o in self.outcomes),
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
    recovery = target.recovery_state_machine_arn
    keys = list_raw_keys(target.client("s3"), target.raw_bucket_name, hour_prefixes(since, until))
    runs = replay_runs(keys, run_id or uuid.uuid4().hex[:8])
    outcomes = run_all(
        target,
        runs,
        label="replay",
        concurrency=concurrency,
        progress=progress,
        state_machine_arn=recovery,
    )
    return ReplaySummary(len(keys), outcomes)


def command(args: argparse.Namespace, target: Target) -> int:
    try:
        summary = replay(target, args.since, args.until, concurrency=args.concurrency)
    except ValueError as exc:  # TargetError too
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = summary.as_dict()
    print(json.dumps(result, indent=2))
    return 1 if result["failed"] else 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="re-run Process -> Write for the raw objects of a time range (idempotent)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--since", required=True, type=parse_time, help="first hour (inclusive)")
    parser.add_argument("--until", required=True, type=parse_time, help="end (exclusive)")
    parser.add_argument("--concurrency", type=int, default=4, help="executions at once (default 4)")
    parser.set_defaults(func=command)
