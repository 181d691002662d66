"""HttpApi: API Gateway HTTP API with `POST /events`, an AWS service integration (no Lambda).

Buffered (the default): the route's AWS_PROXY integration of subtype `SQS-SendMessage` sends the
request body, as received, to the entry buffer, with the credentials of a role that may send to
exactly that queue (and use its key). Direct: subtype `StepFunctions-StartExecution` passes the
body as the execution input, with a role that may start exactly this state machine.
`$default` stage: auto-deploy, throttling, JSON access logs to its own log group. Authorization is
IAM (SigV4, `execute-api:Invoke`), a JWT authorizer (issuer + audience) or NONE (a public
collector). With CORS settings the API carries a CORS configuration: API Gateway then answers
browsers' preflights itself and adds the CORS headers to the route's responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import entry, policies
from components.builders.settings import (
    CorsSettings,
    HttpApiAuth,
    HttpsUrl,
    RetentionDays,
    ThrottleBurst,
    ThrottleRate,
)
from components.entry_buffer import BufferTarget

TYPE: Final = "activity-pipeline:http_api:HttpApi"
# AWS service integrations of HTTP APIs support payload format 1.0 only.
PAYLOAD_FORMAT_VERSION: Final = "1.0"
# The route's authorizationType per auth mode.
ROUTE_AUTHORIZATION: Final[dict[HttpApiAuth, str]] = {
    "IAM": "AWS_IAM",
    "JWT": "JWT",
    "NONE": "NONE",
}


@dataclass(frozen=True)
class HttpApiArgs:
    """`target`: the entry buffer (buffered) or the state machine's ARN (direct)."""

    name_prefix: str
    target: BufferTarget | pulumi.Input[str]
    auth: HttpApiAuth
    throttling_burst_limit: ThrottleBurst
    throttling_rate_limit: ThrottleRate
    log_retention_days: RetentionDays
    jwt_issuer: HttpsUrl | None = None  # with auth JWT (HttpApiSettings)
    jwt_audience: Sequence[str] = field(default_factory=tuple)
    cors: CorsSettings | None = None  # no CORS configuration: browsers on other origins refused

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("HttpApiArgs.name_prefix must not be empty")


class HttpApi(pulumi.ComponentResource):
    api_id: pulumi.Output[str]
    api_endpoint: pulumi.Output[str]
    url: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    access_log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: HttpApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix

        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{prefix}-http",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        target = args.target
        policy: pulumi.Output[policies.PolicyDocument]
        if isinstance(target, BufferTarget):
            description = f"{prefix}-http API: send to the entry buffer"
            policy = pulumi.Output.all(queue_arn=target.queue_arn, key_arn=target.key_arn).apply(
                lambda v: policies.send_to_buffer_policy(**v)
            )
        else:
            description = f"{prefix}-http API: start the pipeline state machine"
            policy = pulumi.Output.from_input(target).apply(policies.start_execution_policy)
        role, role_policy = building_blocks.service_role(
            name,
            service="apigateway.amazonaws.com",
            description=description,
            policy=policy,
            opts=child,
        )
        api = aws.apigatewayv2.Api(
            f"{name}-api",
            name=f"{prefix}-http",
            protocol_type="HTTP",
            description=f"{prefix}: POST /events starts the activity pipeline",
            cors_configuration=cors_configuration(args.cors),
            opts=child,
        )
        integration_opts = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[role_policy])
        )
        if not isinstance(target, BufferTarget):
            integration = aws.apigatewayv2.Integration(
                f"{name}-start-execution",
                api_id=api.id,
                integration_type="AWS_PROXY",
                integration_subtype=entry.INTEGRATION_SUBTYPE,
                credentials_arn=role.arn,
                payload_format_version=PAYLOAD_FORMAT_VERSION,
                # No `Name`: Step Functions names the execution; data-level idempotency comes
                # from event_id / batch_id (raw object If-None-Match, table key).
                request_parameters={
                    "StateMachineArn": target,
                    "Input": entry.REQUEST_BODY,
                },
                opts=integration_opts,
            )
        else:
            integration = aws.apigatewayv2.Integration(
                f"{name}-send-message",
                api_id=api.id,
                integration_type="AWS_PROXY",
                integration_subtype=entry.SEND_MESSAGE_SUBTYPE,
                credentials_arn=role.arn,
                payload_format_version=PAYLOAD_FORMAT_VERSION,
                request_parameters={
                    "QueueUrl": target.queue_url,
                    "MessageBody": entry.REQUEST_BODY,
                },
                opts=integration_opts,
            )
        authorizer_id: pulumi.Input[str] | None = None
        if args.auth == "JWT":
            authorizer = aws.apigatewayv2.Authorizer(
                f"{name}-jwt",
                api_id=api.id,
                name=f"{prefix}-jwt",
                authorizer_type="JWT",
                identity_sources=["$request.header.Authorization"],
                jwt_configuration={
                    "issuer": args.jwt_issuer,
                    "audiences": list(args.jwt_audience),
                },
                opts=child,
            )
            authorizer_id = authorizer.id
        route = aws.apigatewayv2.Route(
            f"{name}-post-events",
            api_id=api.id,
            route_key=entry.ROUTE_KEY,
            target=pulumi.Output.concat("integrations/", integration.id),
            authorization_type=ROUTE_AUTHORIZATION[args.auth],
            authorizer_id=authorizer_id,
            opts=child,
        )
        stage = aws.apigatewayv2.Stage(
            f"{name}-default-stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings={
                "throttling_burst_limit": args.throttling_burst_limit,
                "throttling_rate_limit": args.throttling_rate_limit,
                "detailed_metrics_enabled": True,
            },
            access_log_settings={
                "destination_arn": access_logs.arn,
                "format": entry.access_log_format(),
            },
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[route])),
        )

        self.api_id = api.id
        self.api_endpoint = api.api_endpoint
        self.url = stage.invoke_url
        self.role_arn = role.arn
        self.access_log_group_name = access_logs.name
        self.register_outputs(
            {
                "api_id": self.api_id,
                "api_endpoint": self.api_endpoint,
                "url": self.url,
                "role_arn": self.role_arn,
                "access_log_group_name": self.access_log_group_name,
            }
        )


def cors_configuration(
    cors: CorsSettings | None,
) -> aws.apigatewayv2.ApiCorsConfigurationArgs | None:
    """The API's CORS configuration from the stack's settings (None: no CORS configuration)."""
    if cors is None:
        return None
    return aws.apigatewayv2.ApiCorsConfigurationArgs(
        allow_origins=list(cors.allow_origins),
        allow_methods=list(cors.allow_methods),
        allow_headers=list(cors.allow_headers),
        max_age=cors.max_age,
    )
