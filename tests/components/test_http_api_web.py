"""HttpApi for browsers under PipelineMocks: the CORS configuration and the NONE auth mode, for the
component alone and for the program from stack config (prod refuses NONE unless allowed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.builders.settings import CorsMaxAge, CorsOrigin, CorsSettings, HeaderName
from components.http_api import HttpApi, HttpApiArgs

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:app-test-workflow"
API = "aws:apigatewayv2/api:Api"
ROUTE = "aws:apigatewayv2/route:Route"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
P = "activity-pipeline:"
PUBLIC = {f"{P}httpApiAuth": "NONE", f"{P}httpApiAllowUnauthenticated": "true"}
PROD_HTTP = {
    f"{P}httpApiEnabled": "true",
    f"{P}httpApiThrottleBurst": "100",
    f"{P}httpApiThrottleRate": "50",
}
CORS = CorsSettings(
    allow_origins=(CorsOrigin("https://shop.example.com"), CorsOrigin("http://localhost:3000")),
    allow_methods=("POST",),
    allow_headers=(HeaderName("content-type"), HeaderName("authorization")),
    max_age=CorsMaxAge(600),
)


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


def test_cors_settings_become_the_apis_cors_configuration(mocks: Any, settle: Any) -> None:
    settle(lambda: HttpApi("http", http_args(cors=CORS)).api_id)
    assert mocks.find(API, "http-api").inputs == {
        "name": "app-test-http",
        "protocolType": "HTTP",
        "description": "app-test: POST /events starts the activity pipeline",
        "corsConfiguration": {
            "allowOrigins": ["https://shop.example.com", "http://localhost:3000"],
            "allowMethods": ["POST"],
            "allowHeaders": ["content-type", "authorization"],
            "maxAge": 600,
        },
    }


def test_without_cors_settings_the_api_has_no_cors_configuration(mocks: Any, settle: Any) -> None:
    settle(lambda: HttpApi("http", http_args()).api_id)
    assert "corsConfiguration" not in mocks.find(API, "http-api").inputs


def test_none_mode_makes_the_route_public_without_an_authorizer(mocks: Any, settle: Any) -> None:
    api_id = settle(lambda: HttpApi("http", http_args(auth="NONE", cors=CORS)).api_id)
    route = mocks.find(ROUTE, "http-post-events")
    assert route.inputs == {
        "apiId": api_id,
        "routeKey": "POST /events",
        "target": route.inputs["target"],
        "authorizationType": "NONE",
    }
    assert route.inputs["target"].startswith("integrations/")
    assert mocks.of_type(AUTHORIZER) == []


@pytest.mark.parametrize(("auth", "route_type"), [("IAM", "AWS_IAM"), ("NONE", "NONE")])
def test_each_mode_names_its_route_authorization(
    mocks: Any, settle: Any, auth: str, route_type: str
) -> None:
    settle(lambda: HttpApi("http", http_args(auth=auth)).api_id)
    assert mocks.find(ROUTE, "http-post-events").inputs["authorizationType"] == route_type


def test_the_program_takes_cors_and_none_from_stack_config(deploy: Callable[..., Any]) -> None:
    deployment = deploy(
        "dev",
        PUBLIC
        | {
            f"{P}httpApiCorsAllowOrigins": "https://shop.example.com",
            f"{P}httpApiCorsMaxAge": "300",
        },
    )
    assert deployment.find(API, "http-api-api").inputs["corsConfiguration"] == {
        "allowOrigins": ["https://shop.example.com"],
        "allowMethods": ["POST"],
        "allowHeaders": ["content-type"],
        "maxAge": 300,
    }
    route = deployment.find(ROUTE, "http-api-post-events")
    assert route.inputs["authorizationType"] == "NONE"
    assert deployment.of_type(AUTHORIZER) == []


def test_the_dev_program_keeps_iam_and_no_cors(stack_run: Callable[[str], Any]) -> None:
    deployment = stack_run("dev")
    assert "corsConfiguration" not in deployment.find(API, "http-api-api").inputs
    assert deployment.find(ROUTE, "http-api-post-events").inputs["authorizationType"] == "AWS_IAM"


def test_prod_program_refuses_none_unless_explicitly_allowed(deploy: Callable[..., Any]) -> None:
    with pytest.raises(Exception, match="httpApiAuth NONE makes POST /events public"):
        deploy("prod", PROD_HTTP | {f"{P}httpApiAuth": "NONE"})
    deployment = deploy("prod", PROD_HTTP | PUBLIC)
    assert deployment.find(ROUTE, "http-api-post-events").inputs["authorizationType"] == "NONE"
    assert set(deployment.exports) >= {"http_api_url", "http_api_id"}
