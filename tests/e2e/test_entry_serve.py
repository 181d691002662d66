"""``harness serve`` answers the HTTP API's route on its second port, like API Gateway would."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]


def test_serve_posts_to_the_local_route_and_honours_the_bus_rule(
    harness_serve: dict[str, Any],
) -> None:
    ready = harness_serve
    assert ready["http_api_url"].startswith("http://127.0.0.1:")
    body = (ROOT / "tests/events/page_view.json").read_bytes()
    url = f"{ready['http_api_url']}events"
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - local http
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local http
        assert response.status == 200
        started = json.loads(response.read())
    kwargs = {
        "endpoint_url": ready["endpoint_url"],
        "region_name": ready["region"],
        "verify": ready["ca_bundle"],
        "aws_access_key_id": ready["aws_access_key_id"],
        "aws_secret_access_key": ready["aws_secret_access_key"],
    }
    outputs = ready["outputs"]
    detail = json.loads((ROOT / "tests/events/click.json").read_text())
    put = boto3.client("events", **kwargs).put_events(
        Entries=[
            {
                "EventBusName": outputs["event_bus_name"],
                "Source": "activity.web",
                "DetailType": "UserActivity",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert put["FailedEntryCount"] == 0
    sfn = boto3.client("stepfunctions", **kwargs)
    deadline = time.monotonic() + 60
    while True:
        executions = sfn.list_executions(stateMachineArn=outputs["state_machine_arn"])
        statuses = {e["executionArn"]: e["status"] for e in executions["executions"]}
        if len(statuses) == 2 and set(statuses.values()) == {"SUCCEEDED"}:
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(0.1)
    assert started["executionArn"] in statuses
