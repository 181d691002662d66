"""EntryBuffer: the SQS queue the entry points send to, and its consumer, the Batch function.

The HTTP route and the EventBridge rule send each body to the buffer; Lambda's event-source mapping
hands the Batch function up to `batch_size` messages once `batching_window_seconds` have passed
(or the batch is full), and the function starts one execution of the main state machine per
micro-batch (handlers.batch), reporting only the messages it could not start
(`ReportBatchItemFailures`). A message received `max_receives` times without success moves to the
buffer's own dead-letter queue.

- The queue and its DLQ are encrypted with a KMS key of their own: EventBridge sends to an
  encrypted queue on its own behalf, which only the key's policy can allow (for the one rule);
  the roles get the key through their policies.
- The visibility timeout is six times the function's timeout plus the batching window, as Lambda
  recommends for an SQS event source ("Using Lambda with Amazon SQS": "set the source queue's
  visibility timeout to at least six times the timeout that you configure on your function",
  plus MaximumBatchingWindowInSeconds), so a batch is never received twice while it is handled.
- The Batch role may receive, delete and read the attributes of exactly this queue, decrypt with
  exactly this key, start exactly the main state machine (never the recovery one) and write its
  own log group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import arns, dashboard, policies
from components.builders.entry import EventRuleName
from components.builders.settings import (
    Architecture,
    BatchEvents,
    BufferSettings,
    KeyDeletionWindowDays,
    MemoryMb,
    RetentionDays,
    TimeoutSeconds,
    WorkflowType,
)
from components.workflow import RUNTIME, handlers_archive

TYPE: Final = "activity-pipeline:entry_buffer:EntryBuffer"
FUNCTION: Final = "batch"
# The largest message the buffer takes (SQS's classic limit, pulumi-aws's default): a body over it
# is refused by SendMessage, so the route answers an error and nothing is kept.
MAX_MESSAGE_BYTES: Final = 262_144
VISIBILITY_TIMEOUT_FACTOR: Final = 6
REPORT_BATCH_ITEM_FAILURES: Final = "ReportBatchItemFailures"


def visibility_timeout(function_timeout_seconds: int, batching_window_seconds: int) -> int:
    """Six times the function's timeout plus the batching window (Lambda's recommendation)."""
    return VISIBILITY_TIMEOUT_FACTOR * function_timeout_seconds + batching_window_seconds


@dataclass(frozen=True)
class BufferTarget:
    """What an entry point needs to send to the buffer."""

    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]


@dataclass(frozen=True)
class EntryBufferArgs:
    name_prefix: str
    handlers_dir: Path
    state_machine_arn: pulumi.Input[str]
    workflow_type: WorkflowType
    max_batch_events: BatchEvents
    settings: BufferSettings
    architecture: Architecture
    memory_mb: MemoryMb
    timeout_seconds: TimeoutSeconds
    powertools_layer_arn: str
    log_retention_days: RetentionDays
    kms_key_deletion_window_days: KeyDeletionWindowDays
    # The EventBridge rule that sends to the buffer (its key-policy grant); None without one.
    event_rule: EventRuleName | None = None

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("EntryBufferArgs.name_prefix must not be empty")


class EntryBuffer(pulumi.ComponentResource):
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    dlq_name: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    mapping_id: pulumi.Output[str]
    visibility_timeout_seconds: int
    # A message older than this was received and not handled, or the consumer falls behind.
    oldest_message_alarm_seconds: int

    def __init__(
        self, name: str, args: EntryBufferArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix
        settings = args.settings

        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        region = aws.get_region_output().region
        rule = args.event_rule

        def key_policy(partition: str, account_id: str, region: str) -> policies.PolicyDocument:
            rule_arn = (
                None
                if rule is None
                else arns.event_rule_arn(
                    partition=partition,
                    region=region,
                    account_id=account_id,
                    bus_name=rule.bus,
                    rule_name=rule.rule,
                )
            )
            return policies.buffer_key_policy(
                partition=partition, account_id=account_id, event_rule_arn=rule_arn
            )

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{prefix} entry buffer (SQS SSE)",
            enable_key_rotation=True,
            deletion_window_in_days=args.kms_key_deletion_window_days,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(partition, identity.account_id, region).apply(
                    lambda v: key_policy(*v)
                )
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{prefix}-buffer",
            target_key_id=key.key_id,
            opts=child,
        )
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{prefix}-buffer-dlq",
            message_retention_seconds=building_blocks.DLQ_RETENTION_SECONDS,
            max_message_size=MAX_MESSAGE_BYTES,
            kms_master_key_id=key.arn,
            opts=child,
        )
        self.visibility_timeout_seconds = visibility_timeout(
            args.timeout_seconds, settings.batching_window_seconds
        )
        self.oldest_message_alarm_seconds = (
            self.visibility_timeout_seconds + settings.batching_window_seconds
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=f"{prefix}-buffer",
            message_retention_seconds=settings.retention_days * 24 * 60 * 60,
            max_message_size=MAX_MESSAGE_BYTES,
            visibility_timeout_seconds=self.visibility_timeout_seconds,
            kms_master_key_id=key.arn,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": settings.max_receives}
            ),
            opts=child,
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-{FUNCTION}-logs",
            name=f"/aws/lambda/{prefix}-{FUNCTION}",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-{FUNCTION}-role",
            description=f"{prefix}-{FUNCTION} Lambda function",
            assume_role_policy=json.dumps(
                policies.service_assume_role_policy("lambda.amazonaws.com")
            ),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-{FUNCTION}-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(
                    queue_arn=queue.arn,
                    key_arn=key.arn,
                    state_machine_arn=args.state_machine_arn,
                    log_group_arn=log_group.arn,
                ).apply(lambda v: policies.batch_policy(**v))
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-{FUNCTION}",
            name=f"{prefix}-{FUNCTION}",
            runtime=RUNTIME,
            handler=f"handlers.{FUNCTION}.handler",
            code=handlers_archive(args.handlers_dir),
            role=role.arn,
            architectures=[args.architecture],
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            layers=[args.powertools_layer_arn],
            environment={
                "variables": {
                    "POWERTOOLS_SERVICE_NAME": prefix,
                    "POWERTOOLS_METRICS_NAMESPACE": dashboard.METRICS_NAMESPACE,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                    "STATE_MACHINE_ARN": args.state_machine_arn,
                    "WORKFLOW_TYPE": args.workflow_type,
                    "MAX_BATCH_EVENTS": str(args.max_batch_events),
                }
            },
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[role_policy, log_group])
            ),
        )
        mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=queue.arn,
            function_name=function.arn,
            batch_size=settings.batch_size,
            maximum_batching_window_in_seconds=settings.batching_window_seconds,
            function_response_types=[REPORT_BATCH_ITEM_FAILURES],
            enabled=True,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[role_policy])
            ),
        )

        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.queue_name = queue.name
        self.dlq_url = dlq.url
        self.dlq_arn = dlq.arn
        self.dlq_name = dlq.name
        self.key_arn = key.arn
        self.function_name = function.name
        self.function_arn = function.arn
        self.log_group_name = log_group.name
        self.role_arn = role.arn
        self.mapping_id = mapping.id
        self.register_outputs(
            {
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "queue_name": self.queue_name,
                "dlq_url": self.dlq_url,
                "dlq_arn": self.dlq_arn,
                "dlq_name": self.dlq_name,
                "key_arn": self.key_arn,
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "log_group_name": self.log_group_name,
                "role_arn": self.role_arn,
                "mapping_id": self.mapping_id,
            }
        )

    @property
    def target(self) -> BufferTarget:
        return BufferTarget(
            queue_url=self.queue_url, queue_arn=self.queue_arn, key_arn=self.key_arn
        )
