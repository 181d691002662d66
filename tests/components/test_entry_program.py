"""Entry points in the program from each stack's config: on or off, buffered (the default) or
direct, wired to the entry buffer or to the state machine."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

P = "activity-pipeline:"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:activity-pipeline-dev-workflow"
ENTRY_TYPES = {
    "activity-pipeline:http_api:HttpApi",
    "activity-pipeline:event_entry:EventEntry",
    "aws:apigatewayv2/api:Api",
    "aws:apigatewayv2/integration:Integration",
    "aws:apigatewayv2/route:Route",
    "aws:apigatewayv2/stage:Stage",
    "aws:apigatewayv2/authorizer:Authorizer",
    "aws:cloudwatch/eventBus:EventBus",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
    "aws:sqs/queuePolicy:QueuePolicy",
    "activity-pipeline:entry_buffer:EntryBuffer",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
}
BUFFER_KEYS = ("bufferBatchSize", "bufferBatchingWindowSeconds", "bufferMaxReceives")
DIRECT = {f"{P}entryMode": "direct"} | {
    f"{P}{k}": "" for k in (*BUFFER_KEYS, "bufferRetentionDays")
}
HTTP_OUTPUTS = {"http_api_url", "http_api_id"}
EVENT_OUTPUTS = {"event_bus_name", "event_bus_arn", "entry_dlq_url"}
Deploy = Callable[..., Any]
StackRun = Callable[[str], Any]  # conftest.stack_run: one run per stack, shared
JWT = {"httpApiAuth": "JWT", "jwtIssuer": "https://id.example.com/", "jwtAudience": "a, b"}


def entry_types(deployment: Any) -> set[str]:
    return {r.typ for r in deployment.mocks.registrations} & ENTRY_TYPES


def test_prod_creates_the_buffered_bus_but_no_http_api(stack_run: StackRun) -> None:
    prod = stack_run("prod")
    assert entry_types(prod) == {
        "activity-pipeline:event_entry:EventEntry",
        "aws:cloudwatch/eventBus:EventBus",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:sqs/queuePolicy:QueuePolicy",
        "activity-pipeline:entry_buffer:EntryBuffer",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
    }
    assert set(prod.exports) >= EVENT_OUTPUTS
    assert not HTTP_OUTPUTS & set(prod.exports)


def test_both_disabled_creates_neither(deploy: Deploy) -> None:
    off = {f"{P}httpApiEnabled": "false", f"{P}eventBridgeEnabled": "false"}
    for key in ("httpApiAuth", "httpApiThrottleBurst", "httpApiThrottleRate", *DIRECT):
        off[key if key.startswith(P) else f"{P}{key}"] = ""
    deployment = deploy("dev", off)
    assert entry_types(deployment) == set()
    assert deployment.exports["entry_mode"] == "direct"
    assert not (HTTP_OUTPUTS | EVENT_OUTPUTS) & set(deployment.exports)
    assert {r.name for r in deployment.of_type("aws:iam/role:Role")} == {
        "workflow-ingest-role",
        "workflow-process-role",
        "workflow-write-role",
        "workflow-workflow-role",
        "workflow-recovery-role",
        "analytics-curated-firehose-role",
        "analytics-curated-optimizer-role",
    }


def test_jwt_stack_config_reaches_the_authorizer(deploy: Deploy) -> None:
    deployment = deploy("dev", {f"{P}{k}": v for k, v in JWT.items()})
    authorizer = deployment.find("aws:apigatewayv2/authorizer:Authorizer", "http-api-jwt")
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": "https://id.example.com/",
        "audiences": ["a", "b"],
    }
    route = deployment.find("aws:apigatewayv2/route:Route", "http-api-post-events")
    assert (route.inputs["authorizationType"], route.inputs["authorizerId"]) == (
        "JWT",
        authorizer.id,
    )


def test_dev_integration_and_rule_send_to_the_deployed_buffer(stack_run: StackRun) -> None:
    dev = stack_run("dev")
    queue_url, queue_arn = dev.exports["buffer_queue_url"], dev.exports["buffer_queue_arn"]
    key_arn = dev.find("aws:kms/key:Key", "entry-buffer-key").state["arn"]
    integration = dev.find("aws:apigatewayv2/integration:Integration", "http-api-send-message")
    assert integration.inputs["requestParameters"] == {
        "QueueUrl": queue_url,
        "MessageBody": "$request.body",
    }
    api_policy = json.loads(
        dev.find("aws:iam/rolePolicy:RolePolicy", "http-api-policy").inputs["policy"]
    )
    assert [(s["Action"], s["Resource"]) for s in api_policy["Statement"]] == [
        (["sqs:SendMessage"], [queue_arn]),
        (["kms:GenerateDataKey", "kms:Decrypt"], [key_arn]),
    ]
    target = dev.find("aws:cloudwatch/eventTarget:EventTarget", "event-entry-buffer-target")
    assert (target.inputs["arn"], target.inputs["inputPath"]) == (queue_arn, "$.detail")
    assert "roleArn" not in target.inputs
    rule_arn = dev.find("aws:cloudwatch/eventRule:EventRule", "event-entry-rule").state["arn"]
    queue_policy = dev.find("aws:sqs/queuePolicy:QueuePolicy", "event-entry-buffer-policy")
    assert queue_policy.inputs["queueUrl"] == queue_url
    (statement,) = json.loads(queue_policy.inputs["policy"])["Statement"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}
    # The key names the rule before it exists: the ARN it derives is the rule's own.
    key_statements = json.loads(dev.find("aws:kms/key:Key", "entry-buffer-key").inputs["policy"])
    assert key_statements["Statement"][1]["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}
    assert not {"event-entry-role", "event-entry-policy"} & {
        r.name for r in dev.mocks.registrations
    }


def test_a_stack_without_the_bus_grants_no_service_on_the_buffer_key(deploy: Deploy) -> None:
    deployment = deploy("dev", {f"{P}eventBridgeEnabled": "false"})
    key = json.loads(deployment.find("aws:kms/key:Key", "entry-buffer-key").inputs["policy"])
    assert [s["Sid"] for s in key["Statement"]] == ["AccountRootAdministersKey"]


def test_direct_integration_and_rule_start_the_deployed_state_machine(deploy: Deploy) -> None:
    dev = deploy("dev", DIRECT)
    assert dev.exports["entry_mode"] == "direct"
    assert "buffer_queue_url" not in dev.exports
    assert not {r.typ for r in dev.mocks.registrations} & {
        "activity-pipeline:entry_buffer:EntryBuffer",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
    }
    sm_arn = dev.exports["state_machine_arn"]
    assert sm_arn == SM
    integration = dev.find("aws:apigatewayv2/integration:Integration", "http-api-start-execution")
    assert integration.inputs["requestParameters"]["StateMachineArn"] == sm_arn
    target = dev.find("aws:cloudwatch/eventTarget:EventTarget", "event-entry-target")
    assert target.inputs["arn"] == sm_arn
    for policy_name in ("http-api-policy", "event-entry-policy"):
        document = dev.find("aws:iam/rolePolicy:RolePolicy", policy_name).inputs["policy"]
        assert document == (
            '{"Version": "2012-10-17", "Statement": [{"Sid": "StartPipelineExecution", '
            f'"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": ["{sm_arn}"]}}]}}'
        )
