"""`ops status`: recent executions newest first, paginated, with their outcome (stub client)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ops import cli
from ops.status import recent
from ops.target import Target

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:sm"
OUTPUTS = {
    "state_machine_arn": SM,
    "table_name": "events",
    "raw_bucket_name": "b",
    "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    "region": "us-east-1",
}
T0 = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)


class StubSfn:
    def __init__(self) -> None:
        statuses = ["SUCCEEDED", "FAILED", "RUNNING", "SUCCEEDED", "SUCCEEDED"]
        self.executions = [
            {
                "executionArn": f"{SM}:b-{i}".replace("stateMachine", "execution"),
                "name": f"b-{i}",
                "status": status,
                "startDate": T0 + timedelta(minutes=i),
                **(
                    {"stopDate": T0 + timedelta(minutes=i, seconds=1.5)}
                    if status != "RUNNING"
                    else {}
                ),
            }
            for i, status in enumerate(statuses)
        ][::-1]  # newest first, as ListExecutions returns them
        self.pages: list[Any] = []

    def list_executions(self, **kwargs: Any) -> dict[str, Any]:
        self.pages.append(kwargs.get("nextToken"))
        start = int(kwargs.get("nextToken") or 0)
        end = start + min(2, kwargs["maxResults"])
        page: dict[str, Any] = {"executions": self.executions[start:end]}
        if end < len(self.executions):
            page["nextToken"] = str(end)
        return page

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        execution = next(e for e in self.executions if e["executionArn"] == executionArn)
        if execution["status"] == "FAILED":
            return {"status": "FAILED", "error": "PipelineFailed"}
        return {"status": "SUCCEEDED", "output": json.dumps({"written": 3, "rejected": [{}]})}


def test_recent_pages_through_the_list_and_reads_outcomes() -> None:
    sfn = StubSfn()
    rows = recent(sfn, SM, 4)
    assert sfn.pages == [None, "2"]
    assert [(r["name"], r["status"]) for r in rows] == [
        ("b-4", "SUCCEEDED"),
        ("b-3", "SUCCEEDED"),
        ("b-2", "RUNNING"),
        ("b-1", "FAILED"),
    ]
    assert rows[0] | {"start": None} == {
        "name": "b-4",
        "status": "SUCCEEDED",
        "start": None,
        "duration_s": 1.5,
        "written": 3,
        "rejected": 1,
    }
    assert rows[2]["duration_s"] is None
    assert rows[3]["error"] == "PipelineFailed"


def test_cli_table_json_and_express_refusal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr(Target, "client", lambda self, service: StubSfn())
    assert cli.main(["status", "--outputs", str(outputs), "--last", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "status", "start", "duration_s", "written", "rejected"]
    assert lines[2].split()[:2] == ["b-4", "SUCCEEDED"]
    assert len(lines) == 4
    assert cli.main(["status", "--outputs", str(outputs), "--json", "--last", "5"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    outputs.write_text(json.dumps(OUTPUTS | {"workflow_type": "EXPRESS"}))
    assert cli.main(["status", "--outputs", str(outputs)]) == 2
    assert "Express workflows keep no execution history" in capsys.readouterr().err
