"""HttpApi under PipelineMocks: route, StartExecution or SendMessage integration, role, stage,
both auth modes."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.builders.entry import access_log_format
from components.entry_buffer import BufferTarget
from components.http_api import HttpApi, HttpApiArgs

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:app-test-workflow"
API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def http_args(**overrides: Any) -> HttpApiArgs:
    values: dict[str, Any] = {
        "name_prefix": "app-test",
        "target": SM,
        "auth": "IAM",
        "throttling_burst_limit": 40,
        "throttling_rate_limit": 20,
        "log_retention_days": 14,
    }
    return HttpApiArgs(**(values | overrides))


JWT = {"auth": "JWT", "jwt_issuer": "https://id.example.com/", "jwt_audience": ("pipeline",)}


def outputs(api: HttpApi) -> pulumi.Output[list[Any]]:
    return pulumi.Output.all(
        api.api_id, api.url, api.role_arn, api.access_log_group_name, api.api_endpoint
    )


def test_post_events_starts_exactly_this_state_machine(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        api_id, url, role_arn, log_group, endpoint = values
        assert url == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/"
        assert endpoint == f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
        assert log_group == "/aws/apigateway/app-test-http"
        assert mocks.find(API, "http-api").inputs == {
            "name": "app-test-http",
            "protocolType": "HTTP",
            "description": "app-test: POST /events starts the activity pipeline",
        }
        role = mocks.find(ROLE, "http-role")
        assert role_arn == role.state["arn"]
        integration = mocks.find(INTEGRATION, "http-start-execution")
        assert integration.inputs == {
            "apiId": api_id,
            "integrationType": "AWS_PROXY",
            "integrationSubtype": "StepFunctions-StartExecution",
            "credentialsArn": role_arn,
            "payloadFormatVersion": "1.0",
            "requestParameters": {"StateMachineArn": SM, "Input": "$request.body"},
        }
        route = mocks.find(ROUTE, "http-post-events")
        assert route.inputs == {
            "apiId": api_id,
            "routeKey": "POST /events",
            "target": f"integrations/{integration.id}",
            "authorizationType": "AWS_IAM",
        }
        assert mocks.of_type(AUTHORIZER) == []  # IAM: no authorizer
        assert json.loads(mocks.find(ROLE_POLICY, "http-policy").inputs["policy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "StartPipelineExecution",
                    "Effect": "Allow",
                    "Action": ["states:StartExecution"],
                    "Resource": [SM],
                }
            ],
        }
        assert json.loads(role.inputs["assumeRolePolicy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }  # no aws:SourceAccount: API Gateway is not documented to send it
            ],
        }

    check(settle(lambda: outputs(HttpApi("http", http_args()))))


BUFFER_ARN = "arn:aws:sqs:us-east-1:123456789012:app-test-buffer"
BUFFER_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/app-test-buffer"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_buffered_post_events_sends_the_body_to_exactly_the_buffer(mocks: Any, settle: Any) -> None:
    target = BufferTarget(
        queue_url=pulumi.Output.from_input(BUFFER_URL),
        queue_arn=pulumi.Output.from_input(BUFFER_ARN),
        key_arn=pulumi.Output.from_input(KEY_ARN),
    )
    api_id, _, role_arn, _, _ = settle(lambda: outputs(HttpApi("http", http_args(target=target))))
    assert mocks.of_type(INTEGRATION) == [mocks.find(INTEGRATION, "http-send-message")]
    integration = mocks.find(INTEGRATION, "http-send-message")
    assert integration.inputs == {
        "apiId": api_id,
        "integrationType": "AWS_PROXY",
        "integrationSubtype": "SQS-SendMessage",
        "credentialsArn": role_arn,
        "payloadFormatVersion": "1.0",
        "requestParameters": {"QueueUrl": BUFFER_URL, "MessageBody": "$request.body"},
    }
    assert mocks.find(ROUTE, "http-post-events").inputs["target"] == (
        f"integrations/{integration.id}"
    )
    role = mocks.find(ROLE, "http-role")
    assert role.inputs["description"] == "app-test-http API: send to the entry buffer"
    assert json.loads(mocks.find(ROLE_POLICY, "http-policy").inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SendToEntryBuffer",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [BUFFER_ARN],
            },
            {
                "Sid": "EncryptBufferMessages",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": [KEY_ARN],
            },
        ],
    }


def test_default_stage_throttles_and_logs_json_to_its_own_group(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        api_id = values[0]
        logs = mocks.find(LOG_GROUP, "http-access-logs")
        assert logs.inputs == {"name": "/aws/apigateway/app-test-http", "retentionInDays": 30}
        stage = mocks.find(STAGE, "http-default-stage")
        assert stage.inputs == {
            "apiId": api_id,
            "name": "$default",
            "autoDeploy": True,
            "defaultRouteSettings": {
                "throttlingBurstLimit": 40,
                "throttlingRateLimit": 20,
                "detailedMetricsEnabled": True,
            },
            "accessLogSettings": {
                "destinationArn": logs.state["arn"],
                "format": access_log_format(),
            },
        }
        fields = json.loads(stage.inputs["accessLogSettings"]["format"])
        assert {"requestId", "ip", "routeKey", "status", "integrationErrorMessage"} <= set(fields)

    check(settle(lambda: outputs(HttpApi("http", http_args(log_retention_days=30)))))


def test_jwt_mode_adds_an_authorizer_on_the_route(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        api_id = values[0]
        authorizer = mocks.find(AUTHORIZER, "http-jwt")
        assert authorizer.inputs == {
            "apiId": api_id,
            "name": "app-test-jwt",
            "authorizerType": "JWT",
            "identitySources": ["$request.header.Authorization"],
            "jwtConfiguration": {"issuer": "https://id.example.com/", "audiences": ["pipeline"]},
        }
        route = mocks.find(ROUTE, "http-post-events")
        assert route.inputs["authorizationType"] == "JWT"
        assert route.inputs["authorizerId"] == authorizer.id

    check(settle(lambda: outputs(HttpApi("http", http_args(**JWT)))))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name_prefix": ""}, "name_prefix must not be empty"),
        # stack settings are checked once, by PipelineSettings (builders/test_entry_settings)
    ],
)
def test_args_are_validated(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        http_args(**overrides)
