"""The entry buffer's policy documents: exact statements on exact ARNs (no Pulumi)."""

from __future__ import annotations

from typing import Any

import pytest

from components.builders import policies

QUEUE = "arn:aws:sqs:us-east-1:123456789012:activity-pipeline-dev-buffer"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:activity-pipeline-dev-workflow"
RECOVERY = "arn:aws:states:us-east-1:123456789012:stateMachine:activity-pipeline-dev-recovery"
LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/activity-pipeline-dev-batch"
RULE = (
    "arn:aws:events:us-east-1:123456789012:rule/activity-pipeline-dev-activity/"
    "activity-pipeline-dev-activity-to-workflow"
)


def test_the_api_role_may_only_send_to_the_buffer_and_use_its_key() -> None:
    assert policies.send_to_buffer_policy(queue_arn=QUEUE, key_arn=KEY) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SendToEntryBuffer",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [QUEUE],
            },
            {
                "Sid": "EncryptBufferMessages",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": [KEY],
            },
        ],
    }


def test_the_batch_role_consumes_the_buffer_and_starts_exactly_the_main_state_machine() -> None:
    document = policies.batch_policy(
        queue_arn=QUEUE, key_arn=KEY, state_machine_arn=SM, log_group_arn=LOGS
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConsumeEntryBuffer",
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [QUEUE],
            },
            {
                "Sid": "DecryptBufferMessages",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [KEY],
            },
            {
                "Sid": "StartPipelineExecution",
                "Effect": "Allow",
                "Action": ["states:StartExecution"],
                "Resource": [SM],
            },
            {
                "Sid": "WriteOwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [LOGS, f"{LOGS}:log-stream:*"],
            },
        ],
    }
    assert RECOVERY not in str(document)


def test_only_the_rule_may_send_to_the_buffer() -> None:
    assert policies.buffer_queue_policy(queue_arn=QUEUE, rule_arn=RULE) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRuleSendsToBuffer",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": QUEUE,
                "Condition": {"ArnEquals": {"aws:SourceArn": RULE}},
            }
        ],
    }


ROOT = {
    "Sid": "AccountRootAdministersKey",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def test_the_buffer_key_lets_only_the_rule_encrypt_beside_the_account() -> None:
    document = policies.buffer_key_policy(
        partition="aws", account_id="123456789012", event_rule_arn=RULE
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            ROOT,
            {
                "Sid": "EventBridgeRuleEncryptsBufferMessages",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": RULE}},
            },
        ],
    }


def test_without_a_rule_the_buffer_key_is_the_account_default() -> None:
    assert policies.buffer_key_policy(
        partition="aws", account_id="123456789012", event_rule_arn=None
    ) == {"Version": "2012-10-17", "Statement": [ROOT]}


@pytest.mark.parametrize("bad", ["*", "arn:aws:sqs:us-east-1:123456789012:*", "queue", ""])
def test_buffer_builders_refuse_anything_but_an_exact_arn(bad: str) -> None:
    calls: list[Any] = [
        lambda: policies.send_to_buffer_policy(queue_arn=bad, key_arn=KEY),
        lambda: policies.batch_policy(
            queue_arn=bad, key_arn=KEY, state_machine_arn=SM, log_group_arn=LOGS
        ),
        lambda: policies.batch_policy(
            queue_arn=QUEUE, key_arn=KEY, state_machine_arn=bad, log_group_arn=LOGS
        ),
        lambda: policies.buffer_queue_policy(queue_arn=bad, rule_arn=RULE),
        lambda: policies.buffer_queue_policy(queue_arn=QUEUE, rule_arn=bad),
        lambda: policies.buffer_key_policy(
            partition="aws", account_id="123456789012", event_rule_arn=bad
        ),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="must be an exact ARN"):
            call()


def test_the_buffer_key_policy_needs_an_account_id() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        policies.buffer_key_policy(partition="aws", account_id="1234", event_rule_arn=None)
