"""EventEntry under PipelineMocks: bus, rule, target, scoped role, encrypted rule-only DLQ."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.event_entry import EventEntry, EventEntryArgs

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:app-test-workflow"
BUS = "aws:cloudwatch/eventBus:EventBus"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "123456789012"
RULE_ARN = (
    f"arn:aws:events:us-east-1:{ACCOUNT}:rule/app-test-activity/app-test-activity-to-workflow"
)
DLQ_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:app-test-entry-dlq"
DLQ_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/app-test-entry-dlq"


def entry(mocks: Any, **overrides: Any) -> pulumi.Output[list[Any]]:
    component = EventEntry(
        "events",
        EventEntryArgs(**({"name_prefix": "app-test", "state_machine_arn": SM} | overrides)),
    )
    return pulumi.Output.all(
        component.bus_name,
        component.bus_arn,
        component.rule_arn,
        component.role_arn,
        component.dlq_url,
        component.dlq_arn,
        component.target_id,
    )


def test_rule_on_custom_bus_targets_the_state_machine(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        bus_name, bus_arn, rule_arn, role_arn, dlq_url, dlq_arn, _ = values
        assert bus_name == "app-test-activity"
        assert bus_arn == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/app-test-activity"
        assert (rule_arn, dlq_url, dlq_arn) == (RULE_ARN, DLQ_URL, DLQ_ARN)
        assert mocks.find(BUS, "events-bus").inputs == {"name": "app-test-activity"}
        rule = mocks.find(RULE, "events-rule")
        assert rule.inputs["name"] == "app-test-activity-to-workflow"
        assert rule.inputs["eventBusName"] == "app-test-activity"
        assert rule.inputs["state"] == "ENABLED"
        assert json.loads(rule.inputs["eventPattern"]) == {
            "source": [{"prefix": "activity."}],
            "detail-type": ["UserActivity"],
        }
        assert mocks.find(TARGET, "events-target").inputs == {
            "rule": "app-test-activity-to-workflow",
            "eventBusName": "app-test-activity",
            "targetId": "workflow",
            "arn": SM,
            "roleArn": role_arn,
            "inputPath": "$.detail",
            "retryPolicy": {"maximumRetryAttempts": 8, "maximumEventAgeInSeconds": 3600},
            "deadLetterConfig": {"arn": DLQ_ARN},
        }

    check(settle(lambda: entry(mocks)))


def test_role_starts_exactly_this_state_machine(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        role = mocks.find(ROLE, "events-role")
        assert values[3] == role.state["arn"]
        assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ]
        policy = mocks.find(ROLE_POLICY, "events-policy")
        assert policy.inputs["role"] == role.id
        assert json.loads(policy.inputs["policy"]) == {
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

    check(settle(lambda: entry(mocks)))


def test_dlq_is_encrypted_and_only_this_rule_may_send(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        queue = mocks.find(QUEUE, "events-dlq")
        assert queue.inputs == {
            "name": "app-test-entry-dlq",
            "messageRetentionSeconds": 14 * 24 * 3600,
            "maxMessageSize": 1_048_576,  # EventBridge's envelope around a 256 KB event fits
            "sqsManagedSseEnabled": True,
        }
        policy = mocks.find(QUEUE_POLICY, "events-dlq-policy")
        assert policy.inputs["queueUrl"] == DLQ_URL
        assert json.loads(policy.inputs["policy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeRuleDeadLetters",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": DLQ_ARN,
                    "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
                }
            ],
        }

    check(settle(lambda: entry(mocks)))


def test_retry_policy_comes_from_args(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        target = mocks.find(TARGET, "events-target")
        assert target.inputs["retryPolicy"] == {
            "maximumRetryAttempts": 2,
            "maximumEventAgeInSeconds": 600,
        }

    check(settle(lambda: entry(mocks, maximum_retry_attempts=2, maximum_event_age_seconds=600)))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name_prefix": ""}, "name_prefix must not be empty"),
        ({"maximum_retry_attempts": 186}, "maximum_retry_attempts must be 0..185"),
        ({"maximum_event_age_seconds": 59}, "maximum_event_age_seconds must be 60..86400"),
    ],
)
def test_args_are_validated(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EventEntryArgs(**({"name_prefix": "app-test", "state_machine_arn": SM} | overrides))
