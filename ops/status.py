"""``status``: the most recent executions of the state machine and how each one ended.

Lists executions newest first (``ListExecutions``, paginated) and describes each for its duration
and, when it succeeded, the events written and rejected. Express workflows keep no execution
history in Step Functions (see the workflow's log group instead).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from ops.table import text_table
from ops.target import Target

COLUMNS = ("name", "status", "start", "duration_s", "written", "rejected")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status", help="recent executions and their outcome", description=__doc__
    )
    parser.add_argument("--last", type=int, default=20, help="how many executions (20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per execution")
    parser.set_defaults(func=run)


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
    if args.last < 1:
        print("error: --last must be >= 1", file=sys.stderr)
        return 2
    if target.workflow_type == "EXPRESS":
        print(
            "error: Express workflows keep no execution history in Step Functions; "
            f"read the workflow's log group ({target.outputs.get('log_group_names', {})})",
            file=sys.stderr,
        )
        return 2
    rows = recent(target.client("stepfunctions"), target.state_machine_arn, args.last)
    if args.json:
        for r in rows:
            print(json.dumps(r, sort_keys=True))
    else:
        print(format_rows(rows))
    return 0
