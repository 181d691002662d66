"""Pure builders for the entry points (HTTP API, EventBridge): IAM documents, pattern, log format.

No Pulumi here, so every document is unit-tested for exact equality. Every `Resource` is the exact
state machine or queue ARN; the DLQ's resource policy admits EventBridge only for the one rule.
"""

from __future__ import annotations

import json
from typing import Any, Final

from components.policies import PolicyDocument, document

# The rule matches events whose source starts with `activity.` (one source per producer, e.g.
# `activity.web`, `activity.mobile`) and whose detail-type is exactly `UserActivity`.
EVENT_SOURCE_PREFIX: Final = "activity."
EVENT_DETAIL_TYPE: Final = "UserActivity"
# EventBridge hands the target only the event's `detail`: one event or {"events": [...]}.
TARGET_INPUT_PATH: Final = "$.detail"

# Step Functions refuses an execution input over 256 KB; an HTTP API accepts 10 MB bodies, so
# this is the effective request limit of the StartExecution integration.
MAX_INPUT_BYTES: Final = 256 * 1024

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


def start_execution_policy(state_machine_arn: str) -> PolicyDocument:
    """The API's and the rule's role: start exactly this state machine, nothing else."""
    _require_exact(state_machine_arn, "state_machine_arn", ":states:", ":stateMachine:")
    return document(
        {
            "Sid": "StartPipelineExecution",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [state_machine_arn],
        }
    )


def entry_dlq_policy(*, queue_arn: str, rule_arn: str) -> PolicyDocument:
    """Only EventBridge, and only for this rule, may send failed deliveries to the queue."""
    _require_exact(queue_arn, "queue_arn", ":sqs:")
    _require_exact(rule_arn, "rule_arn", ":events:", ":rule/")
    return document(
        {
            "Sid": "EventBridgeRuleDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
    )


def _require_exact(value: str, what: str, *parts: str) -> None:
    if not value.startswith("arn:") or "*" in value or not all(p in value for p in parts):
        raise ValueError(f"{what} must be an exact ARN containing {', '.join(parts)}: {value!r}")
