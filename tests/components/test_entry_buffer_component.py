"""EntryBuffer on its own, under PipelineMocks: key, queue and DLQ, the Batch function, its role
and log group, the event-source mapping — every policy on exact ARNs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.builders.entry import EventRuleName
from components.builders.settings import BufferSettings
from components.entry_buffer import EntryBuffer, EntryBufferArgs, visibility_timeout

ACCOUNT = "123456789012"
SM = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:app-test-workflow"
RECOVERY = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:app-test-recovery"
LAYER = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:app-test-buffer"
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/app-test-buffer"
DLQ_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:app-test-buffer-dlq"
LOGS_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/app-test-batch"
RULE_ARN = (
    f"arn:aws:events:us-east-1:{ACCOUNT}:rule/app-test-activity/app-test-activity-to-workflow"
)
HANDLERS = Path(__file__).resolve().parents[2] / "handlers"

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def buffer_args(**overrides: Any) -> EntryBufferArgs:
    values: dict[str, Any] = {
        "name_prefix": "app-test",
        "handlers_dir": HANDLERS,
        "state_machine_arn": SM,
        "workflow_type": "STANDARD",
        "max_batch_events": 500,
        "settings": BufferSettings(
            batch_size=2000, batching_window_seconds=3, max_receives=4, retention_days=2
        ),
        "architecture": "arm64",
        "memory_mb": 256,
        "timeout_seconds": 20,
        "powertools_layer_arn": LAYER,
        "log_retention_days": 7,
        "kms_key_deletion_window_days": 10,
        "event_rule": EventRuleName.of("app-test"),
    }
    return EntryBufferArgs(**(values | overrides))


def create(**overrides: Any) -> pulumi.Output[list[Any]]:
    buffer = EntryBuffer("buf", buffer_args(**overrides))
    return pulumi.Output.all(
        buffer.queue_url,
        buffer.queue_arn,
        buffer.dlq_arn,
        buffer.key_arn,
        buffer.function_arn,
        buffer.role_arn,
        buffer.log_group_name,
        buffer.target.queue_url,
        buffer.target.key_arn,
    )


def test_visibility_timeout_is_six_function_timeouts_plus_the_window() -> None:
    assert visibility_timeout(20, 3) == 123
    assert visibility_timeout(900, 300) == 5700  # within SQS's 12 hours


def test_queue_and_dlq_are_encrypted_with_the_buffer_key(mocks: Any, settle: Any) -> None:
    url, arn, dlq_arn, key_arn, *_, target_url, target_key = settle(create)
    assert (url, arn, dlq_arn) == (QUEUE_URL, QUEUE_ARN, DLQ_ARN)
    assert (target_url, target_key) == (url, key_arn)
    key = mocks.find(KEY, "buf-key")
    assert key_arn == key.state["arn"]
    assert (key.inputs["enableKeyRotation"], key.inputs["deletionWindowInDays"]) == (True, 10)
    assert mocks.find(ALIAS, "buf-key-alias").inputs == {
        "name": "alias/app-test-buffer",
        "targetKeyId": key.state["keyId"],
    }
    queue = mocks.find(QUEUE, "buf-queue").inputs
    assert json.loads(queue.pop("redrivePolicy")) == {
        "deadLetterTargetArn": DLQ_ARN,
        "maxReceiveCount": 4,
    }
    assert queue == {
        "name": "app-test-buffer",
        "messageRetentionSeconds": 2 * 24 * 3600,
        "maxMessageSize": 262_144,
        "visibilityTimeoutSeconds": 6 * 20 + 3,
        "kmsMasterKeyId": key_arn,
    }
    assert mocks.find(QUEUE, "buf-dlq").inputs == {
        "name": "app-test-buffer-dlq",
        "messageRetentionSeconds": 14 * 24 * 3600,  # longer than the buffer's own 2 days
        "maxMessageSize": 262_144,
        "kmsMasterKeyId": key_arn,
    }


def test_key_policy_lets_only_the_rule_beside_the_account(mocks: Any, settle: Any) -> None:
    settle(create)
    assert json.loads(mocks.find(KEY, "buf-key").inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountRootAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "EventBridgeRuleEncryptsBufferMessages",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
            },
        ],
    }


def test_without_a_rule_the_key_grants_no_service(mocks: Any, settle: Any) -> None:
    settle(lambda: create(event_rule=None))
    statements = json.loads(mocks.find(KEY, "buf-key").inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AccountRootAdministersKey"]


def test_batch_role_consumes_exactly_the_buffer_and_starts_exactly_the_main_machine(
    mocks: Any, settle: Any
) -> None:
    _, _, _, key_arn, _, role_arn, *_ = settle(create)
    role = mocks.find(ROLE, "buf-batch-role")
    assert role_arn == role.state["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    policy = mocks.find(ROLE_POLICY, "buf-batch-policy")
    assert policy.inputs["role"] == role.id
    document = json.loads(policy.inputs["policy"])
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConsumeEntryBuffer",
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [QUEUE_ARN],
            },
            {
                "Sid": "DecryptBufferMessages",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [key_arn],
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
                "Resource": [LOGS_ARN, f"{LOGS_ARN}:log-stream:*"],
            },
        ],
    }
    assert RECOVERY not in policy.inputs["policy"]
    assert [r.name for r in mocks.of_type(ROLE_POLICY)] == ["buf-batch-policy"]


def test_batch_function_and_its_log_group(mocks: Any, settle: Any) -> None:
    _, _, _, _, function_arn, role_arn, log_group, *_ = settle(create)
    assert function_arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app-test-batch"
    assert log_group == "/aws/lambda/app-test-batch"
    assert mocks.find(LOG_GROUP, "buf-batch-logs").inputs == {
        "name": "/aws/lambda/app-test-batch",
        "retentionInDays": 7,
    }
    function = mocks.find(FUNCTION, "buf-batch").inputs
    code = function.pop("code")
    assert "batch.py" in code.assets["handlers"].assets
    assert function == {
        "name": "app-test-batch",
        "runtime": "python3.13",
        "handler": "handlers.batch.handler",
        "role": role_arn,
        "architectures": ["arm64"],
        "memorySize": 256,
        "timeout": 20,
        "layers": [LAYER],
        "environment": {
            "variables": {
                "POWERTOOLS_SERVICE_NAME": "app-test",
                "POWERTOOLS_METRICS_NAMESPACE": "ActivityPipeline",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "STATE_MACHINE_ARN": SM,
                "WORKFLOW_TYPE": "STANDARD",
                "MAX_BATCH_EVENTS": "500",
            }
        },
        "loggingConfig": {"logFormat": "JSON", "logGroup": "/aws/lambda/app-test-batch"},
    }


def test_mapping_reports_item_failures_with_the_configured_batching(
    mocks: Any, settle: Any
) -> None:
    _, _, _, _, function_arn, *_ = settle(create)
    assert mocks.find(MAPPING, "buf-mapping").inputs == {
        "eventSourceArn": QUEUE_ARN,
        "functionName": function_arn,
        "batchSize": 2000,
        "maximumBatchingWindowInSeconds": 3,
        "functionResponseTypes": ["ReportBatchItemFailures"],
        "enabled": True,
    }


def test_express_workflow_is_passed_to_the_function(mocks: Any, settle: Any) -> None:
    settle(lambda: create(workflow_type="EXPRESS"))
    variables = mocks.find(FUNCTION, "buf-batch").inputs["environment"]["variables"]
    assert variables["WORKFLOW_TYPE"] == "EXPRESS"


def test_args_are_validated() -> None:
    with pytest.raises(ValueError, match="name_prefix must not be empty"):
        buffer_args(name_prefix="")
