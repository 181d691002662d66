"""200 parallel POSTs on the served route: every one answered, every accepted event in its place.

The stage is deployed with a small bucket (burst 10, rate 1 per second: the same token bucket as
dev's 50/25, a fifth of the executions to run); `BURST_STAGE=50,25` runs the dev stage's own
bucket (about 60 executions, a minute on two cores). The 200 clients send at the same moment (a
barrier): each gets an HTTP answer, 200 or 429 — never a reset connection —, exactly the accepted
requests start executions, and each accepted event is stored once (or, should an execution fail,
is in its dead letter), no throttled request's event anywhere. How many the bucket throttles
depends on how fast the harness reaches it, so the test holds the count to the bucket's bound
and leaves the exact 429s to the throttling tests of test_entry_http_api.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from harness.deploy import Deployment
from harness.serve.http_api import HttpApiServer
from harness.tools.soak import collect
from ops import sweep
from ops.executions import wait
from tests.e2e.integrity import deployed
from tests.e2e.modes import DIRECT

REQUESTS = 200
BURST, RATE = (int(n) for n in os.environ.get("BURST_STAGE", "10,1").split(","))


@pytest.fixture(scope="module")
def stack() -> Iterator[Deployment]:
    overrides = {
        "activity-pipeline:httpApiThrottleBurst": str(BURST),
        "activity-pipeline:httpApiThrottleRate": str(RATE),
        **DIRECT,  # the direct route: each accepted request is an execution to follow
    }
    with deployed(overrides=overrides) as deployment:
        yield deployment


def event(i: int) -> bytes:
    return json.dumps(
        {
            "user_id": "burst-u",
            "action": "click",
            "event_time": f"2025-07-01T00:{i // 60:02d}:{i % 60:02d}Z",
            "event_id": f"burst-{i}",
        }
    ).encode()


def test_a_burst_is_answered_and_every_accepted_event_is_stored(stack: Deployment) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    with HttpApiServer(stack.emulator, stack.outputs["http_api_id"]) as api:
        host, port = api.url.removeprefix("http://").rstrip("/").split(":")
        barrier = threading.Barrier(REQUESTS)

        def post(i: int) -> tuple[int, int, dict[str, str]] | tuple[int, OSError]:
            # a generous timeout: on a loaded machine the accepted requests queue for the CPU
            connection = http.client.HTTPConnection(host, int(port), timeout=300)
            try:
                barrier.wait()  # then all connect at once
                connection.request("POST", "/events", body=event(i))
                response = connection.getresponse()
                return i, response.status, json.loads(response.read())
            except OSError as error:  # a reset or refused connection
                return i, error
            finally:
                connection.close()

        started = time.monotonic()
        with ThreadPoolExecutor(REQUESTS) as pool:
            results = list(pool.map(post, range(REQUESTS)))
        elapsed = time.monotonic() - started

    assert [r for r in results if len(r) == 2] == []
    answers = [r for r in results if len(r) == 3]
    accepted = {i: body["executionArn"] for i, status, body in answers if status == 200}
    throttled = [i for i, status, body in answers if status == 429]
    assert len(accepted) + len(throttled) == REQUESTS
    assert all(body == {"message": "Too Many Requests"} for _, s, body in answers if s == 429)
    assert BURST <= len(accepted) <= BURST + RATE * elapsed + 1  # the bucket's bound

    sfn = stack.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=stack.outputs["state_machine_arn"]
    )
    started_arns = {e["executionArn"] for page in pages for e in page["executions"]}
    assert started_arns == set(accepted.values())  # throttled requests started nothing
    statuses = {f"burst-{i}": wait(sfn, arn, 300)["status"] for i, arn in accepted.items()}

    found = collect(stack)
    dead = [json.loads(text)["event_id"] for text in found.letters]
    # Each accepted event is stored once; or its execution failed (on a loaded machine a function
    # may overrun its timeout, maybe after its write) and its dead letter holds it, once. A
    # throttled event is nowhere.
    for event_id, status in statuses.items():
        where = (found.table[event_id], dead.count(event_id))
        expected = {(1, 0)} if status == "SUCCEEDED" else {(0, 1), (1, 1)}
        assert where in expected, (event_id, status, where)
    assert set(found.table) | set(dead) == set(statuses)
    assert found.rejected == {}
    # No execution ended without its dead letter: the sweep finds nothing to do.
    summary = sweep.sweep(stack.as_target(), since, datetime.now(UTC), wait=0)
    assert {r.action for r in summary.results} <= {"has_dead_letter"}
