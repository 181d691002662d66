"""EventEntry under PipelineMocks: bus, rule, target (the state machine through a scoped role, or
the entry buffer through its queue policy), encrypted rule-only DLQ."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.builders.entry import EventRuleName
from components.entry_buffer import BufferTarget
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
BUFFER_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:app-test-buffer"
BUFFER_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/app-test-buffer"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def buffer_target() -> BufferTarget:
    return BufferTarget(
        queue_url=pulumi.Output.from_input(BUFFER_URL),
        queue_arn=pulumi.Output.from_input(BUFFER_ARN),
        key_arn=pulumi.Output.from_input(KEY_ARN),
    )


def entry(mocks: Any, **overrides: Any) -> pulumi.Output[list[Any]]:
    component = EventEntry(
        "events",
        EventEntryArgs(**({"name_prefix": "app-test", "target": SM} | overrides)),
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


def test_rule_arn_is_the_one_its_names_derive(mocks: Any, settle: Any) -> None:
    """The entry buffer's key names the rule by these names before the rule exists."""
    names = EventRuleName.of("app-test")
    rule_arn = settle(lambda: entry(mocks))[2]
    assert rule_arn == (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{names.bus}/{names.rule}")


def test_buffered_rule_sends_the_detail_to_the_buffer_without_a_role(
    mocks: Any, settle: Any
) -> None:
    values = settle(lambda: entry(mocks, target=buffer_target()))
    assert values[3] is None  # no role: an SQS target relies on the queue's policy
    assert mocks.of_type(ROLE) == []
    assert mocks.of_type(ROLE_POLICY) == []
    assert mocks.find(TARGET, "events-buffer-target").inputs == {
        "rule": "app-test-activity-to-workflow",
        "eventBusName": "app-test-activity",
        "targetId": "buffer",
        "arn": BUFFER_ARN,
        "inputPath": "$.detail",
        "retryPolicy": {"maximumRetryAttempts": 8, "maximumEventAgeInSeconds": 3600},
        "deadLetterConfig": {"arn": DLQ_ARN},
    }
    policy = mocks.find(QUEUE_POLICY, "events-buffer-policy")
    assert policy.inputs["queueUrl"] == BUFFER_URL
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRuleSendsToBuffer",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": BUFFER_ARN,
                "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
            }
        ],
    }
    assert [t.name for t in mocks.of_type(TARGET)] == ["events-buffer-target"]


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
        EventEntryArgs(**({"name_prefix": "app-test", "target": SM} | overrides))
