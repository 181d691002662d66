"""Resource creators for the entry points: the API Gateway HTTP API and EventBridge bus/rule/target.

moto holds all of them; what it does not do is done from what is created here: the API is served
by ``harness.serve.http_api``, Step Functions targets are delivered by
``harness.emulator.patches.events``.
"""

from __future__ import annotations

from typing import Any

from moto.apigatewayv2.models import apigatewayv2_backends

from harness.deploy.inputs import State, auto_name


def deployed_api(emu: Any, api_id: str) -> Any:
    """The API as moto holds it (reads go to the backend: moto's SigV4 check refuses its GETs)."""
    return apigatewayv2_backends[emu.account_id][emu.region].get_api(api_id)


def http_api(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    kwargs: dict[str, Any] = {
        "Name": auto_name(name, inputs, "name"),
        "ProtocolType": inputs["protocolType"],
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("corsConfiguration"):
        kwargs["CorsConfiguration"] = {
            _CORS_KEYS[key]: value for key, value in inputs["corsConfiguration"].items()
        }
    api = emu.client("apigatewayv2").create_api(**kwargs)
    api_id = api["ApiId"]
    return api_id, {
        **inputs,
        "arn": f"arn:aws:apigateway:{emu.region}::/apis/{api_id}",
        "apiEndpoint": api["ApiEndpoint"],
        "executionArn": f"arn:aws:execute-api:{emu.region}:{emu.account_id}:{api_id}",
    }


_CORS_KEYS = {
    "allowCredentials": "AllowCredentials",
    "allowHeaders": "AllowHeaders",
    "allowMethods": "AllowMethods",
    "allowOrigins": "AllowOrigins",
    "exposeHeaders": "ExposeHeaders",
    "maxAge": "MaxAge",
}
_INTEGRATION_KEYS = {
    "integrationType": "IntegrationType",
    "integrationSubtype": "IntegrationSubtype",
    "integrationUri": "IntegrationUri",
    "integrationMethod": "IntegrationMethod",
    "credentialsArn": "CredentialsArn",
    "payloadFormatVersion": "PayloadFormatVersion",
    "requestParameters": "RequestParameters",
    "timeoutMilliseconds": "TimeoutInMillis",
}


def http_integration(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    kwargs = {api: inputs[key] for key, api in _INTEGRATION_KEYS.items() if key in inputs}
    created = emu.client("apigatewayv2").create_integration(ApiId=inputs["apiId"], **kwargs)
    return str(created["IntegrationId"]), dict(inputs)


def http_route(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    kwargs: dict[str, Any] = {"ApiId": inputs["apiId"], "RouteKey": inputs["routeKey"]}
    for key, api in (
        ("target", "Target"),
        ("authorizationType", "AuthorizationType"),
        ("authorizerId", "AuthorizerId"),
    ):
        if inputs.get(key):
            kwargs[api] = inputs[key]
    created = emu.client("apigatewayv2").create_route(**kwargs)
    return str(created["RouteId"]), dict(inputs)


def http_authorizer(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    jwt = inputs.get("jwtConfiguration") or {}
    created = emu.client("apigatewayv2").create_authorizer(
        ApiId=inputs["apiId"],
        Name=inputs["name"],
        AuthorizerType=inputs["authorizerType"],
        IdentitySource=inputs.get("identitySources") or [],
        JwtConfiguration={"Issuer": jwt.get("issuer", ""), "Audience": jwt.get("audiences", [])},
    )
    return str(created["AuthorizerId"]), dict(inputs)


def http_stage(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    client = emu.client("apigatewayv2")
    api_id, stage = inputs["apiId"], inputs["name"]
    routes = inputs.get("defaultRouteSettings") or {}
    logs = inputs.get("accessLogSettings") or {}
    kwargs: dict[str, Any] = {
        "ApiId": api_id,
        "StageName": stage,
        "AutoDeploy": bool(inputs.get("autoDeploy", False)),
        "DefaultRouteSettings": {
            "ThrottlingBurstLimit": int(routes.get("throttlingBurstLimit", 0)),
            "ThrottlingRateLimit": float(routes.get("throttlingRateLimit", 0)),
            "DetailedMetricsEnabled": bool(routes.get("detailedMetricsEnabled", False)),
        },
    }
    if logs:
        kwargs["AccessLogSettings"] = {
            "DestinationArn": logs["destinationArn"],
            "Format": logs["format"],
        }
    client.create_stage(**kwargs)
    endpoint = deployed_api(emu, api_id).api_endpoint
    invoke_url = f"{endpoint}/" if stage == "$default" else f"{endpoint}/{stage}"
    return stage, {
        **inputs,
        "arn": f"arn:aws:apigateway:{emu.region}::/apis/{api_id}/stages/{stage}",
        "invokeUrl": invoke_url,
        "executionArn": f"arn:aws:execute-api:{emu.region}:{emu.account_id}:{api_id}/{stage}",
    }


def event_bus(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    bus = auto_name(name, inputs, "name")
    arn = emu.client("events").create_event_bus(Name=bus)["EventBusArn"]
    return bus, {**inputs, "name": bus, "arn": arn}


def event_rule(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    rule = auto_name(name, inputs, "name", "namePrefix")
    bus = inputs.get("eventBusName") or "default"
    kwargs: dict[str, Any] = {
        "Name": rule,
        "EventBusName": bus,
        "State": inputs.get("state", "ENABLED"),
    }
    for key, api in (
        ("eventPattern", "EventPattern"),
        ("scheduleExpression", "ScheduleExpression"),
        ("description", "Description"),
        ("roleArn", "RoleArn"),
    ):
        if inputs.get(key):
            kwargs[api] = inputs[key]
    arn = emu.client("events").put_rule(**kwargs)["RuleArn"]
    return f"{bus}/{rule}", {**inputs, "name": rule, "arn": arn}


def event_target(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    target: dict[str, Any] = {"Id": inputs["targetId"], "Arn": inputs["arn"]}
    for key, api in (("roleArn", "RoleArn"), ("inputPath", "InputPath"), ("input", "Input")):
        if inputs.get(key):
            target[api] = inputs[key]
    retry = inputs.get("retryPolicy") or {}
    if retry:
        target["RetryPolicy"] = {
            "MaximumRetryAttempts": int(retry.get("maximumRetryAttempts", 185)),
            "MaximumEventAgeInSeconds": int(retry.get("maximumEventAgeInSeconds", 86400)),
        }
    if (inputs.get("deadLetterConfig") or {}).get("arn"):
        target["DeadLetterConfig"] = {"Arn": inputs["deadLetterConfig"]["arn"]}
    bus = inputs.get("eventBusName") or "default"
    response = emu.client("events").put_targets(
        Rule=inputs["rule"], EventBusName=bus, Targets=[target]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"put_targets failed: {response['FailedEntries']}")
    return f"{bus}-{inputs['rule']}-{inputs['targetId']}", dict(inputs)
