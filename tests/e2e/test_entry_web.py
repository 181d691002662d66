"""The local route for browsers: the dev stack as a public collector with CORS for one shop
(deployed with config overrides, as `harness serve --config` does), its preflights and CORS
headers as API Gateway answers them, the console's paths beside it, and the route's test faults."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.deploy import Deployment, deploy
from harness.emulator import Emulator
from harness.serve.http_api import HttpApiServer, bind, serve_deployed
from harness.tools import pipeline
from ops.executions import wait
from tests.e2e.modes import DIRECT

P = "activity-pipeline:"
SHOP = "https://shop.example.com"
PREFLIGHT = {"Origin": SHOP, "Access-Control-Request-Method": "POST"}
EVENT = json.dumps({"user_id": "web-u1", "action": "click", "event_time": "2025-06-01T00:00:00Z"})
BAD = json.dumps({"user_id": "", "action": "click", "event_time": "2025-06-01T00:00:00Z"})


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def cors(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k.lower().startswith("access-control-")}


@pytest.fixture(scope="module")
def web() -> Iterator[Deployment]:
    overrides = {
        f"{P}httpApiAuth": "NONE",
        f"{P}httpApiAllowUnauthenticated": "true",
        f"{P}httpApiCorsAllowOrigins": f"{SHOP}, http://localhost:3000",
        f"{P}httpApiCorsMaxAge": "600",
        **DIRECT,  # the direct route: each request's execution is what these tests follow
    }
    with Emulator(retry_time_scale=0.01) as emulator:
        yield deploy(emulator, "dev", overrides=overrides)


@pytest.fixture(scope="module")
def api(web: Deployment) -> Iterator[HttpApiServer]:
    server = serve_deployed(web.emulator, web.outputs, bind("127.0.0.1", 0), "dev")
    assert server is not None
    try:
        yield server
    finally:
        server.stop()


def request(
    api: HttpApiServer, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> Reply:
    host, port = api.url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def settle(web: Deployment, replies: list[Reply]) -> None:
    sfn = web.client("stepfunctions")
    for reply in replies:
        wait(sfn, json.loads(reply.body)["executionArn"], 60)
    pipeline.drain_dlq(web)


def executions(web: Deployment) -> set[str]:
    sfn = web.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=web.outputs["state_machine_arn"]
    )
    return {x["executionArn"] for page in pages for x in page["executions"]}


def test_the_api_carries_the_cors_configuration_and_a_public_route(web: Deployment) -> None:
    api = web.client("apigatewayv2").get_apis()["Items"][0]
    assert api["CorsConfiguration"] == {
        "AllowOrigins": [SHOP, "http://localhost:3000"],
        "AllowMethods": ["POST"],
        "AllowHeaders": ["content-type"],
        "MaxAge": 600,
    }
    routes = web.client("apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
    assert [(r["RouteKey"], r["AuthorizationType"]) for r in routes] == [("POST /events", "NONE")]


def test_a_preflight_from_an_allowed_origin_is_answered_by_the_gateway(
    web: Deployment, api: HttpApiServer
) -> None:
    before = executions(web)
    reply = request(
        api, "OPTIONS", "/events", PREFLIGHT | {"Access-Control-Request-Headers": "content-type"}
    )
    assert (reply.status, reply.body) == (204, b"")
    assert reply.cors() == {
        "Access-Control-Allow-Origin": SHOP,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "content-type",
        "Access-Control-Max-Age": "600",
    }
    assert "Content-Type" not in reply.headers
    assert "Server" not in reply.headers
    assert reply.headers["apigw-requestid"]
    assert executions(web) == before


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://shop.example.com:8443", "http://shop.example.com"]
)
def test_a_preflight_from_another_origin_gets_no_cors_header(
    api: HttpApiServer, origin: str
) -> None:
    reply = request(api, "OPTIONS", "/events", PREFLIGHT | {"Origin": origin})
    assert (reply.status, reply.body, reply.cors()) == (204, b"", {})


def test_options_without_the_preflight_headers_is_routed_and_not_found(api: HttpApiServer) -> None:
    for headers in ({"Origin": SHOP}, {"Access-Control-Request-Method": "POST"}, {}):
        reply = request(api, "OPTIONS", "/events", headers)
        assert (reply.status, json.loads(reply.body), reply.cors()) == (
            404,
            {"message": "Not Found"},
            {},
        )


def test_responses_carry_cors_headers_for_allowed_origins_only(
    web: Deployment, api: HttpApiServer
) -> None:
    allowed = request(api, "POST", "/events", {"Origin": SHOP}, EVENT)
    other = request(api, "POST", "/events", {"Origin": "https://evil.example"}, EVENT)
    none = request(api, "POST", "/events", {}, EVENT)
    refused = request(api, "POST", "/events", {"Origin": SHOP}, "not json")
    missing = request(api, "POST", "/nowhere", {"Origin": SHOP}, EVENT)
    assert [r.status for r in (allowed, other, none, refused, missing)] == [200, 200, 200, 400, 404]
    assert allowed.cors() == {"Access-Control-Allow-Origin": SHOP}
    assert refused.cors() == {"Access-Control-Allow-Origin": SHOP}  # the integration's answer
    # CORS is not access control: the request from another origin ran, its browser may not read it
    assert other.cors() == none.cors() == missing.cors() == {}
    settle(web, [allowed, other, none])


def test_a_fault_before_the_integration_starts_nothing(web: Deployment, api: HttpApiServer) -> None:
    armed = request(
        api,
        "POST",
        "/console/api/faults",
        {},
        json.dumps({"status": 503, "count": 1, "when": "before"}),
    )
    assert (armed.status, json.loads(armed.body)) == (
        200,
        {"status": 503, "count": 1, "when": "before"},
    )
    before = executions(web)
    faulted = request(api, "POST", "/events", {"Origin": SHOP}, EVENT)
    assert (faulted.status, json.loads(faulted.body)) == (503, {"message": "Service Unavailable"})
    assert executions(web) == before
    settle(web, [request(api, "POST", "/events", {"Origin": SHOP}, EVENT)])


def test_a_fault_after_the_integration_loses_the_answer_of_a_started_execution(
    web: Deployment, api: HttpApiServer
) -> None:
    request(
        api,
        "POST",
        "/console/api/faults",
        {},
        json.dumps({"status": 503, "count": 1, "when": "after"}),
    )
    before = executions(web)
    faulted = request(api, "POST", "/events", {"Origin": SHOP}, EVENT)
    assert faulted.status == 503
    assert faulted.cors() == {"Access-Control-Allow-Origin": SHOP}
    started = executions(web) - before
    assert len(started) == 1
    wait(web.client("stepfunctions"), started.pop(), 60)
    assert (
        request(api, "POST", "/events", {}, EVENT).status == 200
    )  # spent: the route answers again


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        '{"status": 503, "count": 1}',
        '{"status": 200, "count": 1, "when": "before"}',
        '{"status": 503, "count": 1, "when": "later"}',
    ],
)
def test_a_bad_fault_request_is_refused(api: HttpApiServer, body: str) -> None:
    assert request(api, "POST", "/console/api/faults", {}, body).status == 400


def test_the_console_and_the_tracker_are_served_beside_the_route(api: HttpApiServer) -> None:
    redirect = request(api, "GET", "/console", {})
    assert (redirect.status, redirect.headers["Location"]) == (301, "/console/")
    page = request(api, "GET", "/console/", {})
    assert (page.status, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"activity-pipeline console" in page.body
    demo = request(api, "GET", "/console/demo.html", {})
    assert b'import { createTracker } from "../tracker/tracker.js"' in demo.body
    tracker = request(api, "GET", "/tracker/tracker.js", {})
    assert (tracker.status, tracker.headers["Content-Type"]) == (
        200,
        "text/javascript; charset=utf-8",
    )
    assert b"export function createTracker" in tracker.body
    for path in ("/console/../README.md", "/console/nope.html", "/tracker/", "/console/api/"):
        assert request(api, "GET", path, {}).status == 404
    assert request(api, "POST", "/console/index.html", {}, "").status == 404


def test_the_live_view_shows_executions_items_rejections_and_dlqs(
    web: Deployment, api: HttpApiServer
) -> None:
    batch = json.dumps(
        {"events": [json.loads(EVENT) | {"event_id": "web-live-1"}, json.loads(BAD)]}
    )
    settle(web, [request(api, "POST", "/events", {}, batch)])
    live: dict[str, Any] = json.loads(request(api, "GET", "/console/api/live", {}).body)
    assert (live["stack"], live["workflow_type"]) == ("dev", "STANDARD")
    assert live["executions"][0]["status"] == "SUCCEEDED"
    assert (live["executions"][0]["written"], live["executions"][0]["rejected"]) == (1, 1)
    assert [x["start"] for x in live["executions"]] == sorted(
        (x["start"] for x in live["executions"]), reverse=True
    )
    assert {"user_id": "web-u1", "action": "click", "event_id": "web-live-1"}.items() <= live[
        "items"
    ][0].items()
    assert live["counts"]["items"] == len(live["items"])
    assert live["rejected"][0]["reason"] == "schema_violation"
    assert live["rejected"][0]["key"].startswith("rejected/")
    assert [(q["name"], q["visible"], q["in_flight"]) for q in live["dlqs"]] == [
        ("activity-pipeline-dev-dlq", 0, 0),
        ("activity-pipeline-dev-entry-dlq", 0, 0),
    ]
