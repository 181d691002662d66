"""Constants of the entry points (HTTP API, EventBridge) that are not policies (pure, no Pulumi):
the route and its integrations, the access-log line, the bus's and rule's names, the rule's pattern
and the target's input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

# The rule matches events whose source starts with `activity.` (one source per producer, e.g.
# `activity.web`, `activity.mobile`) and whose detail-type is exactly `UserActivity`.
EVENT_SOURCE_PREFIX: Final = "activity."
EVENT_DETAIL_TYPE: Final = "UserActivity"
# EventBridge hands the target only the event's `detail`: one event or {"events": [...]} (the
# execution input, or the buffer's message body).
TARGET_INPUT_PATH: Final = "$.detail"

ROUTE_KEY: Final = "POST /events"
# The route's AWS service integration (API Gateway developer guide, "Integration subtype
# reference"): StartExecution in direct mode, SendMessage to the entry buffer in buffered mode.
INTEGRATION_SUBTYPE: Final = "StepFunctions-StartExecution"
SEND_MESSAGE_SUBTYPE: Final = "SQS-SendMessage"
# The request body, as received, is the execution input or the buffer's message body.
REQUEST_BODY: Final = "$request.body"


@dataclass(frozen=True, slots=True)
class EventRuleName:
    """The names of the custom bus and of its rule: the rule's ARN follows from them (the entry
    buffer's key names it before the rule exists)."""

    bus: str
    rule: str

    @classmethod
    def of(cls, name_prefix: str) -> EventRuleName:
        return cls(bus=f"{name_prefix}-activity", rule=f"{name_prefix}-activity-to-workflow")


# Access log line: one JSON object per request ($context variables of HTTP APIs).
ACCESS_LOG_FIELDS: Final = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationErrorMessage": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "errorMessage": "$context.error.message",
}


def access_log_format() -> str:
    return json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))


def event_pattern() -> dict[str, Any]:
    return {"source": [{"prefix": EVENT_SOURCE_PREFIX}], "detail-type": [EVENT_DETAIL_TYPE]}
