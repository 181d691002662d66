"""Constants of the entry points (HTTP API, EventBridge) that are not policies (pure, no Pulumi):
the route and its integration, the access-log line, the rule's pattern and the target's input."""

from __future__ import annotations

import json
from typing import Any, Final

# The rule matches events whose source starts with `activity.` (one source per producer, e.g.
# `activity.web`, `activity.mobile`) and whose detail-type is exactly `UserActivity`.
EVENT_SOURCE_PREFIX: Final = "activity."
EVENT_DETAIL_TYPE: Final = "UserActivity"
# EventBridge hands the target only the event's `detail`: one event or {"events": [...]}.
TARGET_INPUT_PATH: Final = "$.detail"

ROUTE_KEY: Final = "POST /events"
INTEGRATION_SUBTYPE: Final = "StepFunctions-StartExecution"

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
