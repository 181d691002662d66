"""``harness serve`` answers the HTTP API's route on its second port, like API Gateway would."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from tests.e2e.conftest import free_port
from tests.e2e.served import client

ROOT = Path(__file__).resolve().parents[2]


def test_serve_posts_to_the_local_route_and_honours_the_bus_rule(
    harness_serve: dict[str, Any],
) -> None:
    """Buffered (the dev stack): the route answers SendMessage's message id, the rule sends the
    detail to the buffer, and serve's consumer starts the executions that store both."""
    ready = harness_serve
    assert ready["http_api_url"].startswith("http://127.0.0.1:")
    body = (ROOT / "tests/events/page_view.json").read_bytes()
    url = f"{ready['http_api_url']}events"
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - local http
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local http
        assert response.status == 200
        sent = json.loads(response.read())
    assert set(sent) == {"MessageId", "MD5OfMessageBody"}
    outputs = ready["outputs"]
    assert outputs["entry_mode"] == "buffered"
    detail = json.loads((ROOT / "tests/events/click.json").read_text())
    put = client(ready, "events").put_events(
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
    ddb = client(ready, "dynamodb")
    deadline = time.monotonic() + 60
    while True:
        stored = {
            item["event_id"]["S"] for item in ddb.scan(TableName=outputs["table_name"])["Items"]
        }
        if stored >= {"pv-0001", "ck-0001"}:
            break
        assert time.monotonic() < deadline, stored
        time.sleep(0.1)
    executions = client(ready, "stepfunctions").list_executions(
        stateMachineArn=outputs["state_machine_arn"]
    )["executions"]
    assert all(e["name"].startswith("b-") for e in executions)  # the Batch function's names


def test_serve_ends_at_once_when_a_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    """Each of serve's two ports, when taken, ends it non-zero with one line naming the port
    (the command's main, in this process)."""
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    runs = {
        "port": ["--port", str(port), "--http-port", str(free_port())],
        "http-port": ["--port", str(free_port()), "--http-port", str(port)],
    }
    outcomes = {}
    with taken:
        for name, args in runs.items():
            code = main(["serve", *args])
            outcomes[name] = (code, *capsys.readouterr())
    # stderr is that one line: no deploy, no traceback
    line = f"harness serve: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert outcomes == {"port": (1, "", line), "http-port": (1, "", line)}
