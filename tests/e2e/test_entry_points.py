"""Entry points through the harness: POST /events on the local HTTP API, PutEvents on the bus."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.deploy import Deployment
from harness.deploy.entry import deployed_api, http_authorizer
from harness.serve.http_api import HttpApiServer
from harness.tools import pipeline
from ops.executions import wait
from tests.e2e.conftest import items_for_user, load_event


@pytest.fixture(scope="module")
def dev(dev_direct: Deployment) -> Deployment:
    """This module tests the direct entry points: the dev stack with entryMode direct."""
    return dev_direct


DENIED = {"AccessDenied", "AccessDeniedException"}


@pytest.fixture(scope="module")
def api(dev: Deployment) -> Iterator[HttpApiServer]:
    with HttpApiServer(dev.emulator, dev.outputs["http_api_id"]) as server:
        yield server


def post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - local http
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def event(user_id: str, event_id: str) -> dict[str, Any]:
    return load_event("page_view.json") | {"user_id": user_id, "event_id": event_id}


def put_activity(dev: Deployment, detail: Any, source: str = "activity.web") -> dict[str, Any]:
    response: dict[str, Any] = dev.client("events").put_events(
        Entries=[
            {
                "EventBusName": dev.outputs["event_bus_name"],
                "Source": source,
                "DetailType": "UserActivity",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    return response


# -- HTTP API ------------------------------------------------------------------------------------


def test_post_events_starts_the_pipeline_and_ends_in_the_table(
    dev: Deployment, api: HttpApiServer
) -> None:
    status, body = post(f"{api.url}events", json.dumps(event("http-u1", "http-e1")).encode())
    assert status == 200
    assert set(body) == {"executionArn", "startDate"}
    assert body["executionArn"].startswith(
        dev.outputs["state_machine_arn"].replace(":stateMachine:", ":execution:") + ":"
    )
    sfn = dev.client("stepfunctions")
    assert wait(sfn, body["executionArn"], 60)["status"] == "SUCCEEDED"
    items = items_for_user(dev, "http-u1")
    assert [i["event_id"]["S"] for i in items] == ["http-e1"]


# -- EventBridge ---------------------------------------------------------------------------------


def test_put_events_on_the_bus_ends_in_the_table(dev: Deployment) -> None:
    batch = {"events": [event("bus-u1", "bus-e1"), event("bus-u1", "bus-e2")]}
    put_activity(dev, batch)
    delivery = dev.emulator.event_targets.deliveries[-1]
    assert delivery.error_code is None
    assert delivery.execution_arn is not None
    sfn = dev.client("stepfunctions")
    described = wait(sfn, delivery.execution_arn, 60)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == batch  # InputPath $.detail
    items = items_for_user(dev, "bus-u1")
    assert sorted(i["event_id"]["S"] for i in items) == ["bus-e1", "bus-e2"]


@pytest.mark.parametrize(
    ("source", "detail_type"), [("other.web", "UserActivity"), ("activity.web", "Other")]
)
def test_events_outside_the_pattern_are_not_delivered(
    dev: Deployment, source: str, detail_type: str
) -> None:
    before = len(dev.emulator.event_targets.deliveries)
    dev.client("events").put_events(
        Entries=[
            {
                "EventBusName": dev.outputs["event_bus_name"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(event("bus-u2", "bus-e3")),
            }
        ]
    )
    assert len(dev.emulator.event_targets.deliveries) == before


def test_failed_delivery_goes_to_the_entry_dlq(dev: Deployment) -> None:
    iam = dev.client("iam")
    role = dev.find("aws:iam/role:Role", "event-entry-role").physical_id
    policy = dev.find("aws:iam/rolePolicy:RolePolicy", "event-entry-policy")
    iam.delete_role_policy(RoleName=role, PolicyName=policy.state["name"])
    try:
        put_activity(dev, event("bus-u3", "bus-e4"))
    finally:
        iam.put_role_policy(
            RoleName=role, PolicyName=policy.state["name"], PolicyDocument=policy.inputs["policy"]
        )
    delivery = dev.emulator.event_targets.deliveries[-1]
    assert (delivery.execution_arn, delivery.error_code) == (None, "AccessDeniedException")
    assert delivery.dead_lettered
    sqs = dev.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=dev.outputs["entry_dlq_url"], MessageAttributeNames=["All"]
    )["Messages"]
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"])["detail"]["event_id"] == "bus-e4"
    attributes = {k: v["StringValue"] for k, v in messages[0]["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "AccessDeniedException"
    rule = "activity-pipeline-dev-activity/activity-pipeline-dev-activity-to-workflow"
    assert attributes["RULE_ARN"].endswith(f":rule/{rule}")
    assert items_for_user(dev, "bus-u3") == []


# -- the entry roles start exactly this state machine ---------------------------------------------


@pytest.mark.parametrize(
    ("role_name", "principal"),
    [("http-api-role", "apigateway.amazonaws.com"), ("event-entry-role", "events.amazonaws.com")],
)
def test_entry_roles_start_exactly_this_state_machine(
    dev: Deployment, role_name: str, principal: str
) -> None:
    role_arn = dev.find("aws:iam/role:Role", role_name).state["arn"]
    own = dev.outputs["state_machine_arn"]
    other = dev.client("stepfunctions").create_state_machine(
        name=f"other-{role_name}",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=dev.find("aws:iam/role:Role", "workflow-workflow-role").state["arn"],
    )["stateMachineArn"]
    sfn = dev.emulator.role_client(role_arn, "stepfunctions", principal)
    sqs = dev.emulator.role_client(role_arn, "sqs", principal)
    started = sfn.start_execution(stateMachineArn=own, name=f"lp-{role_name}", input="{}")
    assert started["executionArn"].endswith(f":lp-{role_name}")
    # "{}" is a refused envelope: let it end (in the pipeline's DLQ) inside this module's emulator
    wait(dev.client("stepfunctions"), started["executionArn"], 60)
    pipeline.drain_dlq(dev)
    denied = {
        "other state machine": lambda: sfn.start_execution(stateMachineArn=other, input="{}"),
        "describe": lambda: sfn.describe_execution(executionArn=started["executionArn"]),
        "stop": lambda: sfn.stop_execution(executionArn=started["executionArn"]),
        "list": lambda: sfn.list_executions(stateMachineArn=own),
        "dlq": lambda: sqs.send_message(QueueUrl=dev.outputs["dlq_url"], MessageBody="x"),
    }
    for label, action in denied.items():
        with pytest.raises(ClientError) as exc:
            action()
        assert exc.value.response["Error"]["Code"] in DENIED, label


def test_jwt_authorizer_is_created_in_the_emulator(dev: Deployment) -> None:
    api_id = dev.outputs["http_api_id"]
    authorizer_id, _ = http_authorizer(
        dev.emulator,
        "jwt",
        {
            "apiId": api_id,
            "name": "activity-pipeline-dev-jwt",
            "authorizerType": "JWT",
            "identitySources": ["$request.header.Authorization"],
            "jwtConfiguration": {"issuer": "https://id.example.com/", "audiences": ["pipeline"]},
        },
    )
    # read from moto's backend: its SigV4 check refuses apigatewayv2 GETs (harness.deploy.entry)
    held = deployed_api(dev.emulator, api_id).authorizers[authorizer_id].to_json()
    assert held["jwtConfiguration"] == {
        "issuer": "https://id.example.com/",
        "audience": ["pipeline"],
    }
    assert held["authorizerType"] == "JWT"
