"""The local HTTP route answers as API Gateway's HTTP APIs do, for every request a client can send.

Requests go over raw sockets, so malformed framing reaches the server as sent. Refused requests
start nothing; accepted ones are waited for, so the module's deployment stays quiet between tests.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from handlers.limits import execution_input_problem
from harness.deploy import Deployment
from harness.deploy.entry import deployed_api
from harness.serve.http_api import (
    INVALID_INPUT_MESSAGE,
    NOT_UTF8_MESSAGE,
    HttpApiServer,
    TokenBucket,
)
from harness.tools import pipeline
from ops.executions import wait


@pytest.fixture(scope="module")
def dev(dev_direct: Deployment) -> Deployment:
    """This module tests the direct entry points: the dev stack with entryMode direct."""
    return dev_direct


LOG_GROUP = "/aws/apigateway/activity-pipeline-dev-http"
EVENT = b'{"user_id": "gw-u1", "action": "click", "event_time": "2025-06-01T00:00:00Z"}'


@dataclass
class Reply:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def api(dev: Deployment) -> Iterator[HttpApiServer]:
    with HttpApiServer(dev.emulator, dev.outputs["http_api_id"], body_timeout=0.3) as server:
        yield server


def send(api: HttpApiServer, request: bytes, *, close_write: bool = True) -> Reply:
    """Send ``request`` as bytes on a fresh connection and read the one response."""
    host, port = api.url.removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        method = request.split(b" ", 1)[0].decode()
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
        return Reply(response.status, response.reason, dict(response.getheaders()), body)


def post(path: str, body: bytes, *extra: bytes, method: str = "POST") -> bytes:
    head = [f"{method} {path} HTTP/1.1".encode(), b"Host: api.local", *extra]
    if not any(
        line.lower().startswith((b"content-length", b"transfer-encoding")) for line in extra
    ):
        head.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def executions(dev: Deployment) -> list[dict[str, Any]]:
    sfn = dev.client("stepfunctions")
    found: list[dict[str, Any]] = sfn.list_executions(
        stateMachineArn=dev.outputs["state_machine_arn"]
    )["executions"]
    return found


def settle(dev: Deployment, arns: list[str]) -> None:
    sfn = dev.client("stepfunctions")
    for arn in arns:
        wait(sfn, arn, 60)
    pipeline.drain_dlq(dev)


def access_log(dev: Deployment) -> list[dict[str, Any]]:
    logs = dev.client("logs")
    return [
        json.loads(event["message"])
        for stream in logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"]
        for event in logs.get_log_events(
            logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"]
        )["events"]
    ]


# Each refused request: (request, status, message); None: the entry check's message for the body.
REFUSED = {
    "unknown path": (post("/other", b"{}"), 404, "Not Found"),
    "double slash": (post("//events", EVENT), 404, "Not Found"),
    "trailing slash": (post("/events/", EVENT), 404, "Not Found"),
    "query on another path": (post("/events2?x=1", EVENT), 404, "Not Found"),
    "GET": (post("/events", b"", method="GET"), 404, "Not Found"),
    "PATCH": (post("/events", EVENT, method="PATCH"), 404, "Not Found"),
    "OPTIONS": (post("/events", b"", method="OPTIONS"), 404, "Not Found"),
    "PUT": (post("/events", EVENT, method="PUT"), 404, "Not Found"),
    "Content-Length abc": (post("/events", EVENT, b"Content-Length: abc"), 400, "Bad Request"),
    "Content-Length -1": (post("/events", EVENT, b"Content-Length: -1"), 400, "Bad Request"),
    "Content-Length +2": (post("/events", b"{}", b"Content-Length: +2"), 400, "Bad Request"),
    "Content-Length beyond the body": (
        post("/events", EVENT, b"Content-Length: %d" % (len(EVENT) + 50)),
        400,
        "Bad Request",
    ),
    "Content-Length over 10 MB": (
        post("/events", b"", b"Content-Length: %d" % (10 * 1024 * 1024 + 1)),
        413,
        "Request Entity Too Large",
    ),
    "Content-Length of 40 digits": (
        post("/events", b"", b"Content-Length: " + b"9" * 40),
        413,
        "Request Entity Too Large",
    ),
    "broken chunk": (
        post("/events", b"zz\r\n{}", b"Transfer-Encoding: chunked"),
        400,
        "Bad Request",
    ),
    "chunked and Content-Length": (
        post(
            "/events", b"2\r\n{}\r\n0\r\n\r\n", b"Transfer-Encoding: chunked", b"Content-Length: 5"
        ),
        400,
        "Bad Request",
    ),
    "gzip transfer coding": (
        post("/events", EVENT, b"Transfer-Encoding: gzip"),
        400,
        "Bad Request",
    ),
    "not UTF-8": (post("/events", b'{"user_id": "\xff"}'), 400, NOT_UTF8_MESSAGE),
    "100,000 [": (post("/events", b"[" * 100_000), 400, None),
    "not JSON": (post("/events", b"user_id=u&action=click"), 400, None),
    "NaN": (post("/events", b'{"user_id": "u", "n": NaN}'), 400, None),
    "empty": (post("/events", b""), 400, None),
    "over the input limit": (
        post("/events", json.dumps({"user_id": "big", "pad": "x" * 262_144}).encode()),
        413,
        None,
    ),
    "emoji over the input limit by Step Functions' measure": (
        # 200 KB of UTF-8, 600 KB once escaped as Step Functions counts it
        post("/events", json.dumps({"pad": "\U0001f600" * 50_000}, ensure_ascii=False).encode()),
        413,
        None,
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_refused_requests_get_json_and_start_nothing(
    dev: Deployment, api: HttpApiServer, case: str
) -> None:
    request, status, message = REFUSED[case]
    before = len(executions(dev))
    reply = send(api, request)
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/json"
    assert "Server" not in reply.headers
    assert reply.headers["apigw-requestid"]
    if message is None:
        problem = execution_input_problem(request.split(b"\r\n\r\n", 1)[1].decode())
        assert problem is not None
        message = problem.message
    assert reply.json() == {"message": message}
    assert len(executions(dev)) == before


def test_head_gets_the_404_headers_without_a_body(api: HttpApiServer) -> None:
    reply = send(api, post("/events", b"", method="HEAD"))
    assert (reply.status, reply.body, reply.headers["Content-Type"]) == (
        404,
        b"",
        "application/json",
    )


def test_a_client_that_stops_sending_gets_400_after_the_read_timeout(api: HttpApiServer) -> None:
    request = post("/events", EVENT, b"Content-Length: %d" % (len(EVENT) + 1))
    reply = send(api, request, close_write=False)  # the connection stays open, the body short
    assert (reply.status, reply.json()) == (400, {"message": "Bad Request"})


def test_post_is_accepted_with_length_and_chunked_bodies(
    dev: Deployment, api: HttpApiServer
) -> None:
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, EVENT[:10], len(EVENT) - 10, EVENT[10:])
    replies = [
        send(api, post("/events", EVENT)),
        send(api, post("/events", chunked, b"Transfer-Encoding: chunked")),
        send(api, post("/events?source=web", EVENT)),  # a query string does not change the route
    ]
    assert [(r.status, r.reason) for r in replies] == [(200, "OK")] * 3
    arns = [r.json()["executionArn"] for r in replies]
    settle(dev, arns)
    sfn = dev.client("stepfunctions")
    assert [sfn.describe_execution(executionArn=arn)["input"] for arn in arns] == [
        EVENT.decode()
    ] * 3  # the body is the execution input, byte for byte
    assert all("Server" not in r.headers and r.headers["apigw-requestid"] for r in replies)


def test_a_4301_digit_integer_never_answers_with_python_text(
    dev: Deployment, api: HttpApiServer
) -> None:
    body = (
        b'{"user_id": "gw-digits", "action": "click", "event_time": 1, "n": ' + b"7" * 4301 + b"}"
    )
    reply = send(api, post("/events", body))
    assert b"digits" not in reply.body
    assert b"int_max_str" not in reply.body
    if reply.status == 200:
        settle(dev, [reply.json()["executionArn"]])


def test_step_functions_errors_pass_through_in_its_own_words(
    dev: Deployment, api: HttpApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without the entry's own check, the emulator's StartExecution refuses a body that is not
    # JSON — with the Python parser's text, which the route replaces with Step Functions' words
    monkeypatch.setattr("harness.serve.http_api.execution_input_problem", lambda text: None)
    reply = send(api, post("/events", b"not json"))
    assert (reply.status, reply.json()) == (
        400,
        {"__type": "InvalidExecutionInput", "message": INVALID_INPUT_MESSAGE},
    )
    iam = dev.client("iam")
    role = dev.find("aws:iam/role:Role", "http-api-role").physical_id
    policy = dev.find("aws:iam/rolePolicy:RolePolicy", "http-api-policy")
    iam.delete_role_policy(RoleName=role, PolicyName=policy.state["name"])
    try:
        denied = send(api, post("/events", EVENT))
    finally:
        iam.put_role_policy(
            RoleName=role, PolicyName=policy.state["name"], PolicyDocument=policy.inputs["policy"]
        )
    [line] = [x for x in access_log(dev) if x["requestId"] == denied.headers["apigw-requestid"]]
    assert denied.status == line["integrationStatus"] in {400, 403}  # the service's status
    assert denied.json()["__type"] == "AccessDeniedException"
    assert "not authorized to perform: states:StartExecution" in denied.json()["message"]


def test_a_role_api_gateway_cannot_assume_is_500(dev: Deployment, api: HttpApiServer) -> None:
    [integration] = deployed_api(dev.emulator, dev.outputs["http_api_id"]).integrations.values()
    own = integration.credentials_arn
    # the workflow's role trusts states.amazonaws.com only
    workflow_role = dev.find("aws:iam/role:Role", "workflow-workflow-role")
    integration.credentials_arn = workflow_role.state["arn"]
    try:
        before = len(executions(dev))
        reply = send(api, post("/events", EVENT))
    finally:
        integration.credentials_arn = own
    assert (reply.status, reply.json()) == (500, {"message": "Internal Server Error"})
    assert len(executions(dev)) == before
    [line] = [x for x in access_log(dev) if x["requestId"] == reply.headers["apigw-requestid"]]
    assert "cannot be assumed by apigateway.amazonaws.com" in line["integrationErrorMessage"]


def test_throttling_follows_the_route_settings_then_the_stage_defaults(
    dev: Deployment, api: HttpApiServer
) -> None:
    stage = deployed_api(dev.emulator, dev.outputs["http_api_id"]).stages["$default"]
    assert (
        stage.default_route_settings["throttlingBurstLimit"],
        stage.default_route_settings["throttlingRateLimit"],
    ) == (50, 25)
    stage.route_settings = {
        "POST /events": {"throttlingBurstLimit": 3, "throttlingRateLimit": 0.01}
    }
    try:
        # not-JSON bodies: each takes a token (throttling comes first), none starts anything
        replies = [send(api, post("/events", b"not json")) for _ in range(5)]
        other = send(api, post("/other", b"{}"))  # no route: not throttled
    finally:
        stage.route_settings = {}
    assert [r.status for r in replies] == [400, 400, 400, 429, 429]
    assert replies[-1].json() == {"message": "Too Many Requests"}
    assert replies[-1].reason == "Too Many Requests"
    assert other.status == 404
    assert send(api, post("/events", b"not json")).status == 400  # back to the stage's 50/25


def test_token_bucket_refills_at_the_rate_up_to_the_burst(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("harness.serve.http_api.time.monotonic", lambda: now[0])
    bucket = TokenBucket(burst=2, rate=4.0)
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] += 0.25  # one token back
    assert [bucket.take(), bucket.take()] == [True, False]
    now[0] += 60  # refilled to the burst, never beyond
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    assert TokenBucket(burst=0, rate=100.0).take() is False


def test_one_access_log_line_per_request_and_nothing_on_stderr(
    dev: Deployment, api: HttpApiServer, capfd: pytest.CaptureFixture[str]
) -> None:
    stage = deployed_api(dev.emulator, dev.outputs["http_api_id"]).stages["$default"]
    stage.route_settings = {
        "POST /events": {"throttlingBurstLimit": 1, "throttlingRateLimit": 0.01}
    }
    try:
        replies = [
            send(api, post("/events", b"not json")),
            send(api, post("/events", b"not json")),
            send(api, post("/nowhere", b"{}")),
            send(api, post("/events", EVENT, b"Content-Length: abc")),
        ]
    finally:
        stage.route_settings = {}
    ids = [r.headers["apigw-requestid"] for r in replies]
    lines = {line["requestId"]: line for line in access_log(dev) if line["requestId"] in ids}
    assert [(lines[i]["status"], lines[i]["routeKey"]) for i in ids] == [
        (400, "POST /events"),
        (429, "POST /events"),
        (404, "-"),
        (429, "POST /events"),  # throttled before its body is read
    ]
    assert lines[ids[1]]["errorMessage"] == "Too Many Requests"
    assert sum(line["requestId"] in ids for line in access_log(dev)) == len(ids)
    assert capfd.readouterr().err == ""


def test_the_server_refuses_to_serve_what_it_would_answer_differently(dev: Deployment) -> None:
    gateway = dev.client("apigatewayv2")
    api_id = dev.outputs["http_api_id"]
    route = gateway.create_route(ApiId=api_id, RouteKey="GET /events/{id}")["RouteId"]
    try:
        with pytest.raises(NotImplementedError, match="path variables"):
            HttpApiServer(dev.emulator, api_id)
    finally:
        gateway.delete_route(ApiId=api_id, RouteId=route)
