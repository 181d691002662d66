"""``ops status``: the most recent executions of the main state machine and how each one ended.

Lists executions newest first (``ListExecutions``, paginated) and describes each one for its
duration and, when it succeeded, the events written and rejected.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from ops.commands import Command, CommandError, emit, positive_int
from ops.table import text_table
from ops.target import Target

DESCRIPTION = """\
The most recent executions of the pipeline's state machine, newest first: name,
status, start time, duration, events written and rejected. Express workflows
keep no execution history in Step Functions: for them the command refuses and
names the workflow's log group."""
COLUMNS = ("name", "status", "start", "duration_s", "written", "rejected")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--last", type=positive_int, default=20, metavar="N", help="how many executions (20)"
    )


def recent(sfn: Any, state_machine_arn: str, last: int) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn}
    while len(listed) < last:
        page = sfn.list_executions(**kwargs, maxResults=min(last - len(listed), 100))
        listed += page["executions"]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    listed.sort(key=lambda e: e["startDate"], reverse=True)
    return [row(sfn, execution) for execution in listed[:last]]


def row(sfn: Any, execution: dict[str, Any]) -> dict[str, Any]:
    start: datetime = execution["startDate"]
    stop: datetime | None = execution.get("stopDate")
    result: dict[str, Any] = {
        "name": execution["name"],
        "status": execution["status"],
        "start": start.isoformat(timespec="seconds"),
        "duration_s": round((stop - start).total_seconds(), 3) if stop else None,
        "written": None,
        "rejected": None,
    }
    if execution["status"] == "SUCCEEDED":
        description = sfn.describe_execution(executionArn=execution["executionArn"])
        output = json.loads(description.get("output") or "{}")
        if isinstance(output, dict):
            result["written"] = output.get("written")
            rejected = output.get("rejected")
            result["rejected"] = len(rejected) if isinstance(rejected, list) else None
    elif execution["status"] != "RUNNING":
        description = sfn.describe_execution(executionArn=execution["executionArn"])
        result["error"] = description.get("error")
    return result


def format_rows(rows: list[dict[str, Any]]) -> str:
    return text_table(COLUMNS, ([r.get(c) for c in COLUMNS] for r in rows))


def run(args: argparse.Namespace, target: Target) -> int:
    if target.workflow_type == "EXPRESS":
        raise CommandError(
            "Express workflows keep no execution history in Step Functions; "
            f"read the workflow's log group ({target.outputs.get('log_group_names', {})})"
        )
    rows = recent(target.client("stepfunctions"), target.state_machine_arn, args.last)
    emit(args, rows, lambda: format_rows(rows))
    return 0


COMMAND = Command(
    "status", "recent executions and how each one ended", DESCRIPTION, add_arguments, run
)
