"""`python -m ops send|query|status` and `python -m harness analytics` against `harness serve`.

The CLIs run with the JSON line `serve` printed as their --outputs file, exactly as the README
shows them: their `main` with the README's arguments, in this process (`harness serve` is served
in-process too), talking to the served endpoint over HTTPS; what a CLI writes to stdout and to
stderr is read apart, with the exit status `python -m` would return.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.served import cli

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"


def test_send_query_status_and_named_queries_against_serve(
    harness_serve: dict[str, Any], tmp_path: Path
) -> None:
    outputs = tmp_path / "serve.json"
    outputs.write_text(json.dumps(harness_serve), encoding="utf-8")
    target = ["--outputs", str(outputs)]
    files = [str(EVENTS / "micro_batch.json"), str(EVENTS / "batch_with_one_invalid.json")]

    # 14 events in batches of at most 4: 4 executions, one schema_violation
    sent = cli("ops", "send", *files, "--max-batch-events", "4", "--json", *target)
    assert sent.returncode == 0, sent.stderr
    summary = json.loads(sent.stdout)
    assert summary | {"failed": None} == {
        "batches": 4,
        "events": 14,
        "succeeded": 4,
        "already_sent": 0,
        "started": 0,
        "stored": 13,
        "rejected": 1,
        "rejected_by_reason": {"schema_violation": 1},
        "rejections": [
            {
                "file": files[1],
                "index": 2,
                "event_id": "bw-03",
                "reason": "schema_violation",
                "detail": "data must contain ['action'] properties (rule: required)",
            }
        ],
        "failed": None,
    }
    assert summary["failed"] == []
    assert "send [" in sent.stderr  # the progress bar

    again = cli("ops", "send", *files, "--max-batch-events", "4", *target)
    assert again.returncode == 0, again.stderr
    assert "batches:  4 (succeeded 0, already sent 4, started 0, failed 0)" in again.stdout

    not_json = tmp_path / "notes.txt"
    not_json.write_text("user u-1 clicked\n", encoding="utf-8")
    refused = cli("ops", "send", files[0], str(not_json), *target)
    assert refused.returncode == 2
    assert "notes.txt:1: not JSON" in refused.stderr

    timeline = cli("ops", "query", "u-2001", "--json", *target)
    assert timeline.returncode == 0, timeline.stderr
    items = [json.loads(line) for line in timeline.stdout.splitlines()]
    assert [i["event_id"] for i in items] == ["mb-03", "mb-02", "mb-01"]  # newest first
    window = cli(
        "ops", "query", "u-2001", "--since", "2025-11-20T09:00:05.250Z", "--limit", "1", *target
    )
    assert window.returncode == 0, window.stderr
    rows = window.stdout.splitlines()
    assert len(rows) == 3
    assert rows[2].split()[:3] == ["2025-11-20T09:00:07.900Z", "click", "mb-03"]

    status = cli("ops", "status", "--last", "10", "--json", *target)
    assert status.returncode == 0, status.stderr
    executions = [json.loads(line) for line in status.stdout.splitlines()]
    assert len(executions) == 4
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    assert sum(e["written"] for e in executions) == 13
    assert sum(e["rejected"] for e in executions) == 1
    assert all(e["name"].startswith("b-") for e in executions)

    report = cli("harness", "analytics", "--month", "2025-11", "--json", *target)
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)  # serve asked to deliver its Firehose streams first
    assert figures["daily_active_users"] == [{"day": "2025-11-20", "active_users": 7}]
    assert figures["rejected_by_reason"] == [{"reason": "schema_violation", "events": 1}]
