"""The local console on the HTTP API's port: its pages, the tracker, and the JSON they read.

Paths under ``/console/`` and ``/tracker/`` belong to the harness, not to the deployed API (on AWS
they are 404 like any path without a route). ``/console/`` serves the folder ``console/`` (the live
view, the demo shop) and ``/tracker/tracker.js`` the tracker; ``GET /console/api/live`` is what the
live view shows: the newest executions of the state machine with what each wrote, the newest
items, the newest rejected events with their reasons, and every dead-letter queue's depth, read
with the emulator's admin credentials. ``POST /console/api/faults`` arms faults of the route for
tests (``RouteFaults``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final, Literal

from harness.emulator import REPO_ROOT, Emulator

CONSOLE_DIR: Final = REPO_ROOT / "console"
TRACKER_FILE: Final = REPO_ROOT / "tracker" / "tracker.js"
CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
EXECUTIONS: Final = 20
ITEMS: Final = 50
REJECTED: Final = 50
When = Literal["before", "after"]


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RouteFaults:
    """Answers the route gives instead of its own, for tests: ``count`` requests to a route get
    ``status``, ``before`` the integration (nothing is started) or ``after`` it (the integration
    ran and its answer is lost, as when a response never reaches the client)."""

    status: int = 0
    count: int = 0
    when: When = "before"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, status: int, count: int, when: When) -> None:
        with self._lock:
            self.status, self.count, self.when = status, count, when

    def take(self, when: When) -> int | None:
        """The status to answer at this point of a request, spending one fault, or None."""
        with self._lock:
            if self.count <= 0 or self.when != when:
                return None
            self.count -= 1
            return self.status

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"status": self.status, "count": self.count, "when": self.when}


class Console:
    def __init__(
        self, emulator: Emulator, outputs: Mapping[str, Any], stack: str, faults: RouteFaults
    ) -> None:
        self.emulator = emulator
        self.outputs = outputs
        self.stack = stack
        self.faults = faults
        self._outputs_of: dict[
            str, dict[str, Any]
        ] = {}  # ended executions: their output, read once
        self._files = {f"/console/{p.name}": p for p in CONSOLE_DIR.iterdir() if p.is_file()}
        self._files["/tracker/tracker.js"] = TRACKER_FILE

    @staticmethod
    def handles(path: str) -> bool:
        return path == "/console" or path.startswith(("/console/", "/tracker/"))

    def respond(self, method: str, path: str, body: Callable[[], bytes]) -> Reply:
        if path == "/console":
            return Reply(HTTPStatus.MOVED_PERMANENTLY, b"", {"Location": "/console/"})
        if path == "/console/api/live" and method == "GET":
            return _json(HTTPStatus.OK, self.live())
        if path == "/console/api/faults" and method == "POST":
            return self._arm(body())
        file = self._files.get("/console/index.html" if path == "/console/" else path)
        if file is None or method not in ("GET", "HEAD"):
            return _json(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        content = file.read_bytes()
        headers = {"Content-Type": CONTENT_TYPES[file.suffix], "Cache-Control": "no-store"}
        return Reply(HTTPStatus.OK, b"" if method == "HEAD" else content, headers)

    @staticmethod
    def error(status: HTTPStatus) -> Reply:
        return _json(status, {"message": status.phrase})

    def _arm(self, body: bytes) -> Reply:
        try:
            request = json.loads(body)
            status, count, when = int(request["status"]), int(request["count"]), request["when"]
        except (ValueError, KeyError, TypeError):
            return _json(
                HTTPStatus.BAD_REQUEST, {"message": 'expected {"status", "count", "when"}'}
            )
        if when not in ("before", "after") or not 400 <= status <= 599 or count < 0:
            return _json(
                HTTPStatus.BAD_REQUEST,
                {"message": "status 400..599, count >= 0, when before|after"},
            )
        self.faults.arm(status, count, when)
        return _json(HTTPStatus.OK, self.faults.state())

    # the live view ---------------------------------------------------------------------------
    def live(self) -> dict[str, Any]:
        items, item_count = self._items()
        rejected, rejected_count = self._rejected()
        return {
            "generated_at": _iso(datetime.now(UTC)),
            "stack": self.stack,
            "workflow_type": self.outputs.get("workflow_type"),
            "executions": self._executions(),
            "items": items,
            "rejected": rejected,
            "dlqs": self._dlqs(),
            "counts": {"items": item_count, "rejected": rejected_count},
        }

    def _executions(self) -> list[dict[str, Any]]:
        sfn = self.emulator.client("stepfunctions")
        found: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.outputs["state_machine_arn"]
        ):
            found.extend(page["executions"])
        found.sort(key=lambda x: x["startDate"], reverse=True)
        rows = []
        for execution in found[:EXECUTIONS]:
            arn, status = execution["executionArn"], execution["status"]
            output = self._output(sfn, arn) if status == "SUCCEEDED" else {}
            rows.append(
                {
                    "name": execution["name"],
                    "status": status,
                    "start": _iso(execution["startDate"]),
                    "stop": _iso(execution["stopDate"]) if execution.get("stopDate") else None,
                    "written": output.get("written"),
                    "already_present": output.get("already_present"),
                    "rejected": (
                        len(output.get("rejected") or []) + int(output.get("conflicting") or 0)
                        if output
                        else None
                    ),
                }
            )
        return rows

    def _output(self, sfn: Any, arn: str) -> dict[str, Any]:
        if arn not in self._outputs_of:
            text = sfn.describe_execution(executionArn=arn).get("output") or "{}"
            value = json.loads(text)
            self._outputs_of[arn] = value if isinstance(value, dict) else {}
        return self._outputs_of[arn]

    def _items(self) -> tuple[list[dict[str, Any]], int]:
        dynamodb = self.emulator.client("dynamodb")
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=self.outputs["table_name"]):
            items.extend({k: _plain(v) for k, v in item.items()} for item in page["Items"])
        items.sort(
            key=lambda x: (str(x.get("received_at")), str(x.get("event_time"))), reverse=True
        )
        keep = ("received_at", "user_id", "action", "page", "session_id", "event_id", "occurred_at")
        return [{k: item.get(k) for k in keep} for item in items[:ITEMS]], len(items)

    def _rejected(self) -> tuple[list[dict[str, Any]], int]:
        s3 = self.emulator.client("s3")
        bucket = self.outputs["raw_bucket_name"]
        objects: list[dict[str, Any]] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="rejected/"):
            objects.extend(page.get("Contents", []))
        objects.sort(key=lambda x: (x["LastModified"], x["Key"]), reverse=True)
        rows: list[dict[str, Any]] = []
        total = 0
        for obj in objects:
            lines = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().splitlines()
            total += len(lines)
            for line in lines:
                if len(rows) < REJECTED:
                    record = json.loads(line)
                    rows.append(
                        {
                            "reason": record.get("reason"),
                            "detail": record.get("detail"),
                            "event_id": record.get("event_id"),
                            "index": record.get("index"),
                            "key": obj["Key"],
                        }
                    )
        return rows, total

    def _dlqs(self) -> list[dict[str, Any]]:
        sqs = self.emulator.client("sqs")
        queues = []
        for key in sorted(k for k in self.outputs if k.endswith("dlq_url")):
            url = str(self.outputs[key])
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            queues.append(
                {
                    "name": url.rsplit("/", 1)[-1],
                    "output": key,
                    "visible": int(attributes["ApproximateNumberOfMessages"]),
                    "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                }
            )
        return queues


def _json(status: int, value: Any) -> Reply:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    return Reply(status, json.dumps(value).encode("utf-8"), headers)


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _plain(value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as plain JSON (numbers as their text)."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "NULL":
        return None
    return inner
