"""Entry points from stack config: settings validation, on/off per stack, pure policy builders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.builders.entry import event_pattern
from components.builders.policies import entry_dlq_policy, start_execution_policy
from components.builders.settings import (
    EntrySettings,
    HttpApiSettings,
    PipelineSettings,
    load_stack_config,
)

ROOT = Path(__file__).resolve().parents[3]
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
}
HTTP_OUTPUTS = {"http_api_url", "http_api_id"}
EVENT_OUTPUTS = {"event_bus_name", "event_bus_arn", "entry_dlq_url"}
Deploy = Callable[..., Any]


def settings(**overrides: str | None) -> PipelineSettings:
    config: dict[str, str | None] = dict(load_stack_config(ROOT / "Pulumi.dev.yaml"))
    config.update({f"{P}{k}": v for k, v in overrides.items()})
    return PipelineSettings.from_stack_config({k: v for k, v in config.items() if v is not None})


JWT = {"httpApiAuth": "JWT", "jwtIssuer": "https://id.example.com/", "jwtAudience": "a, b"}


# -- settings -------------------------------------------------------------------------------------


def test_prod_has_the_bus_and_no_http_api() -> None:
    prod = PipelineSettings.from_stack_config(load_stack_config(ROOT / "Pulumi.prod.yaml"))
    assert prod.entry == EntrySettings(event_bridge_enabled=True, http_api=None)


def test_jwt_settings_parse_issuer_and_audiences() -> None:
    assert settings(**JWT).entry == EntrySettings(
        event_bridge_enabled=True,
        http_api=HttpApiSettings(
            auth="JWT",
            throttle_burst=50,
            throttle_rate=25,
            jwt_issuer="https://id.example.com/",
            jwt_audience=("a", "b"),
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"httpApiEnabled": None}, "missing required config key activity-pipeline:httpApiEnabled"),
        ({"eventBridgeEnabled": None}, "missing required config key .*:eventBridgeEnabled"),
        ({"eventBridgeEnabled": "yes"}, "eventBridgeEnabled must be true or false"),
        ({"httpApiAuth": None}, "missing required config key activity-pipeline:httpApiAuth"),
        ({"httpApiAuth": "NONE"}, "httpApiAuth must be one of IAM, JWT"),
        ({"httpApiThrottleBurst": "0"}, "httpApiThrottleBurst must be between 1 and 5000"),
        ({"httpApiThrottleBurst": "5001"}, "httpApiThrottleBurst must be between 1 and 5000"),
        ({"httpApiThrottleRate": "fast"}, "httpApiThrottleRate must be an integer"),
        ({"httpApiThrottleRate": "-1"}, "httpApiThrottleRate must be between 1 and 10000"),
        ({"logRetentionDays": "2"}, "logRetentionDays must be one of 1, 3, 5"),
        ({**JWT, "jwtIssuer": None}, "missing required config key activity-pipeline:jwtIssuer"),
        ({**JWT, "jwtIssuer": "http://id.example.com"}, "jwtIssuer must be an https:// URL"),
        ({**JWT, "jwtAudience": " , "}, "jwtAudience must name at least one audience"),
        ({"jwtIssuer": "https://id.example.com/"}, "jwtIssuer set but .*httpApiAuth is not JWT"),
        ({"httpApiEnabled": "false"}, "httpApiAuth.* set but .*httpApiEnabled is false"),
    ],
)
def test_bad_entry_config_is_refused_with_the_key(
    overrides: dict[str, str | None], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings(**overrides)


# -- program: enabled / disabled per stack ---------------------------------------------------------


def entry_types(deployment: Any) -> set[str]:
    return {r.typ for r in deployment.mocks.registrations} & ENTRY_TYPES


def test_prod_creates_the_bus_but_no_http_api(deploy: Deploy) -> None:
    prod = deploy("prod")
    assert entry_types(prod) == {
        "activity-pipeline:event_entry:EventEntry",
        "aws:cloudwatch/eventBus:EventBus",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:sqs/queuePolicy:QueuePolicy",
    }
    assert set(prod.exports) >= EVENT_OUTPUTS
    assert not HTTP_OUTPUTS & set(prod.exports)


def test_both_disabled_creates_neither(deploy: Deploy) -> None:
    off = {f"{P}httpApiEnabled": "false", f"{P}eventBridgeEnabled": "false"}
    for key in ("httpApiAuth", "httpApiThrottleBurst", "httpApiThrottleRate"):
        off[f"{P}{key}"] = ""
    deployment = deploy("dev", off)
    assert entry_types(deployment) == set()
    assert not (HTTP_OUTPUTS | EVENT_OUTPUTS) & set(deployment.exports)
    assert {r.name for r in deployment.of_type("aws:iam/role:Role")} == {
        "workflow-ingest-role",
        "workflow-process-role",
        "workflow-write-role",
        "workflow-workflow-role",
        "workflow-recovery-role",
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


def test_dev_integration_and_rule_start_the_deployed_state_machine(deploy: Deploy) -> None:
    dev = deploy("dev")
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


# -- pure builders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:states:us-east-1:123456789012:stateMachine:*",
        "arn:aws:states:us-east-1:123456789012:execution:x:y",
        "*",
        "arn:aws:lambda:us-east-1:123456789012:function:x",
    ],
)
def test_start_execution_policy_refuses_anything_but_one_state_machine(arn: str) -> None:
    with pytest.raises(ValueError, match="state_machine_arn must be an exact ARN"):
        start_execution_policy(arn)


def test_dlq_policy_refuses_wildcards() -> None:
    queue = "arn:aws:sqs:us-east-1:123456789012:q"
    with pytest.raises(ValueError, match="rule_arn"):
        entry_dlq_policy(queue_arn=queue, rule_arn="arn:aws:events:us-east-1:123456789012:rule/*")
    with pytest.raises(ValueError, match="queue_arn"):
        entry_dlq_policy(queue_arn="*", rule_arn="arn:aws:events:us-east-1:1:rule/b/r")


def test_event_pattern_is_the_documented_one() -> None:
    assert event_pattern() == {"source": [{"prefix": "activity."}], "detail-type": ["UserActivity"]}
