"""Monitoring: encrypted alarm topic, alarms on functions, executions and the DLQs, dashboard.

With the entry buffer: an alarm on its oldest message's age (older than one visibility timeout
plus the batching window: a message was received and not handled, or the consumer falls behind)
and one on its DLQ's depth, and dashboard widgets for its depth, age and the batch sizes formed.

Besides Step Functions' own execution metrics, a metric filter on the workflow's log group counts
the executions that ended without sending a dead letter (components.builders.log_metrics), with
an alarm: their events are nowhere until ``ops sweep`` re-runs them. A metric filter cannot add a
fixed dimension, so that metric lives in a namespace of its own per stack
(``ActivityPipeline/<prefix>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components.builders import policies
from components.builders.dashboard import METRICS_NAMESPACE, build_dashboard
from components.builders.log_metrics import (
    FAILED_WITHOUT_DEAD_LETTER_METRIC,
    failed_without_dead_letter_pattern,
)
from components.builders.settings import EmailAddress, KeyDeletionWindowDays

TYPE: Final = "activity-pipeline:monitoring:Monitoring"
ALARM_PERIOD_SECONDS: Final = 300


@dataclass(frozen=True)
class BufferMonitoring:
    """The entry buffer's queues, and the age of its oldest message that raises the alarm."""

    queue_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    age_alarm_seconds: int


@dataclass(frozen=True)
class MonitoringArgs:
    name_prefix: str
    kms_key_deletion_window_days: KeyDeletionWindowDays
    function_names: Mapping[str, pulumi.Input[str]]
    state_machine_arn: pulumi.Input[str]
    workflow_log_group_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    alarm_email: EmailAddress | None = None
    buffer: BufferMonitoring | None = None

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("MonitoringArgs.name_prefix must not be empty")
        if not self.function_names:
            raise ValueError("MonitoringArgs.function_names must name at least one function")


class Monitoring(pulumi.ComponentResource):
    alarm_topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]
    alarm_names: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix

        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        region = aws.get_region_output().region

        # CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key
        # (its key policy cannot grant cloudwatch.amazonaws.com), so the topic gets a customer-
        # managed key.
        key = aws.kms.Key(
            f"{name}-topic-key",
            description=f"{prefix} alarm topic (SNS SSE)",
            enable_key_rotation=True,
            deletion_window_in_days=args.kms_key_deletion_window_days,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(partition=partition, account_id=identity.account_id).apply(
                    lambda v: policies.alarm_topic_key_policy(**v)
                )
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-topic-key-alias",
            name=f"alias/{prefix}-alarms",
            target_key_id=key.key_id,
            opts=child,
        )
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=f"{prefix}-alarms",
            kms_master_key_id=key.arn,
            opts=child,
        )
        if args.alarm_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )

        alarms: list[aws.cloudwatch.MetricAlarm] = []
        log_metrics_namespace = f"{METRICS_NAMESPACE}/{prefix}"
        no_dead_letter = aws.cloudwatch.LogMetricFilter(
            f"{name}-executions-failed-no-dlq-filter",
            name=f"{prefix}-executions-failed-no-dlq",
            log_group_name=args.workflow_log_group_name,
            pattern=failed_without_dead_letter_pattern(),
            metric_transformation={
                "name": FAILED_WITHOUT_DEAD_LETTER_METRIC,
                "namespace": log_metrics_namespace,
                "value": "1",
                "unit": "Count",
            },
            opts=child,
        )

        def alarm(
            suffix: str,
            description: str,
            namespace: str,
            metric_name: str,
            dimensions: Mapping[str, pulumi.Input[str]] | None,
            statistic: str = "Sum",
            depends_on: list[pulumi.Resource] | None = None,
            threshold: int = 0,
        ) -> None:
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{suffix}",
                    name=f"{prefix}-{suffix}",
                    alarm_description=description,
                    namespace=namespace,
                    metric_name=metric_name,
                    dimensions=dict(dimensions) if dimensions else None,
                    statistic=statistic,
                    period=ALARM_PERIOD_SECONDS,
                    evaluation_periods=1,
                    threshold=threshold,
                    comparison_operator="GreaterThanThreshold",
                    treat_missing_data="notBreaching",
                    alarm_actions=[topic.arn],
                    ok_actions=[topic.arn],
                    opts=pulumi.ResourceOptions.merge(
                        child, pulumi.ResourceOptions(depends_on=depends_on or [])
                    ),
                )
            )

        for key_name, function_name in args.function_names.items():
            dims = {"FunctionName": function_name}
            alarm(f"{key_name}-errors", f"{key_name} function errors", "AWS/Lambda", "Errors", dims)
            alarm(
                f"{key_name}-throttles",
                f"{key_name} function throttles",
                "AWS/Lambda",
                "Throttles",
                dims,
            )
        sfn_dims = {"StateMachineArn": args.state_machine_arn}
        alarm(
            "executions-failed",
            "workflow executions failed",
            "AWS/States",
            "ExecutionsFailed",
            sfn_dims,
        )
        alarm(
            "executions-timed-out",
            "workflow executions timed out",
            "AWS/States",
            "ExecutionsTimedOut",
            sfn_dims,
        )
        alarm(
            "executions-failed-no-dlq",
            "workflow executions ended without a dead letter: run `ops sweep` over the period",
            log_metrics_namespace,
            FAILED_WITHOUT_DEAD_LETTER_METRIC,
            None,
            depends_on=[no_dead_letter],
        )
        alarm(
            "dlq-messages-visible",
            "events reached the dead-letter queue",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": args.dlq_name},
            statistic="Maximum",
        )
        buffer = args.buffer
        if buffer is not None:
            alarm(
                "buffer-oldest-message-age",
                f"an entry buffer message is older than {buffer.age_alarm_seconds} s: the Batch "
                "function does not keep up or cannot start its batches",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                {"QueueName": buffer.queue_name},
                statistic="Maximum",
                threshold=buffer.age_alarm_seconds,
            )
            alarm(
                "buffer-dlq-messages-visible",
                "entry buffer messages reached its dead-letter queue: run `ops redrive`",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": buffer.dlq_name},
                statistic="Maximum",
            )

        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=prefix,
            dashboard_body=pulumi.Output.all(
                region=region,
                state_machine_arn=args.state_machine_arn,
                function_names=pulumi.Output.all(**dict(args.function_names)),
                dlq_name=args.dlq_name,
                buffer=None
                if buffer is None
                else pulumi.Output.all(queue=buffer.queue_name, dlq=buffer.dlq_name),
            ).apply(
                lambda v: json.dumps(
                    build_dashboard(
                        service_name=prefix,  # the functions' POWERTOOLS_SERVICE_NAME
                        region=v["region"],
                        state_machine_arn=v["state_machine_arn"],
                        function_names=v["function_names"],
                        dlq_name=v["dlq_name"],
                        buffer_queue_names=v["buffer"],
                    )
                )
            ),
            opts=child,
        )

        self.alarm_topic_arn = topic.arn
        self.dashboard_name = dashboard.dashboard_name
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms])
        self.register_outputs(
            {
                "alarm_topic_arn": self.alarm_topic_arn,
                "dashboard_name": self.dashboard_name,
                "alarm_names": self.alarm_names,
            }
        )
