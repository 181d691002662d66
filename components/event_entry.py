"""EventEntry: a custom EventBridge bus whose rule hands activity events to the pipeline.

Rule: source prefix `activity.` and detail-type `UserActivity` (see builders.entry), input path
`$.detail`. Buffered (the default): the target is the entry buffer, which only this rule may send
to (the queue's policy: an SQS target has no role). Direct: the target is the state machine,
through a role that may start exactly this state machine. Deliveries that still fail after the
retry policy go to an SSE-SQS dead-letter queue that only this rule may send to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import entry, policies
from components.entry_buffer import BufferTarget

TYPE: Final = "activity-pipeline:event_entry:EventEntry"
# The type token of the module's former name: the alias keeps every URN of a deployed stack.
FORMER_TYPE: Final = "activity-pipeline:event_bus:EventEntry"


@dataclass(frozen=True)
class EventEntryArgs:
    """`target`: the entry buffer (buffered) or the state machine's ARN (direct)."""

    name_prefix: str
    target: BufferTarget | pulumi.Input[str]
    maximum_retry_attempts: int = 8
    maximum_event_age_seconds: int = 3600

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("EventEntryArgs.name_prefix must not be empty")
        if not 0 <= self.maximum_retry_attempts <= 185:
            raise ValueError(
                "EventEntryArgs.maximum_retry_attempts must be 0..185, "
                f"got {self.maximum_retry_attempts}"
            )
        if not 60 <= self.maximum_event_age_seconds <= 86400:
            raise ValueError(
                "EventEntryArgs.maximum_event_age_seconds must be 60..86400, "
                f"got {self.maximum_event_age_seconds}"
            )


class EventEntry(pulumi.ComponentResource):
    bus_name: pulumi.Output[str]
    bus_arn: pulumi.Output[str]
    rule_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str] | None  # direct only: an SQS target has no role
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    target_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: EventEntryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        aliased = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=FORMER_TYPE)])
        super().__init__(TYPE, name, None, pulumi.ResourceOptions.merge(opts, aliased))
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix
        names = entry.EventRuleName.of(prefix)

        bus = aws.cloudwatch.EventBus(f"{name}-bus", name=names.bus, opts=child)
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=names.rule,
            description="activity events (source activity.*, detail-type UserActivity) -> workflow",
            event_bus_name=bus.name,
            event_pattern=json.dumps(entry.event_pattern()),
            state="ENABLED",
            opts=child,
        )
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{prefix}-entry-dlq",
            message_retention_seconds=building_blocks.DLQ_RETENTION_SECONDS,
            max_message_size=building_blocks.DLQ_MAX_MESSAGE_BYTES,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        dlq_policy = aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=dlq.url,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(queue_arn=dlq.arn, rule_arn=rule.arn).apply(
                    lambda v: policies.entry_dlq_policy(**v)
                )
            ),
            opts=child,
        )
        retry_policy = {
            "maximum_retry_attempts": args.maximum_retry_attempts,
            "maximum_event_age_in_seconds": args.maximum_event_age_seconds,
        }
        target = args.target
        if not isinstance(target, BufferTarget):
            role, role_policy = building_blocks.service_role(
                name,
                service="events.amazonaws.com",
                description=f"{prefix}-activity rule: start the pipeline state machine",
                policy=pulumi.Output.from_input(target).apply(policies.start_execution_policy),
                opts=child,
            )
            event_target = aws.cloudwatch.EventTarget(
                f"{name}-target",
                rule=rule.name,
                event_bus_name=bus.name,
                target_id="workflow",
                arn=target,
                role_arn=role.arn,
                input_path=entry.TARGET_INPUT_PATH,
                retry_policy=retry_policy,
                dead_letter_config={"arn": dlq.arn},
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[role_policy, dlq_policy])
                ),
            )
            self.role_arn = role.arn
        else:
            buffer_policy = aws.sqs.QueuePolicy(
                f"{name}-buffer-policy",
                queue_url=target.queue_url,
                policy=pulumi.Output.json_dumps(
                    pulumi.Output.all(queue_arn=target.queue_arn, rule_arn=rule.arn).apply(
                        lambda v: policies.buffer_queue_policy(**v)
                    )
                ),
                opts=child,
            )
            event_target = aws.cloudwatch.EventTarget(
                f"{name}-buffer-target",
                rule=rule.name,
                event_bus_name=bus.name,
                target_id="buffer",
                arn=target.queue_arn,
                input_path=entry.TARGET_INPUT_PATH,
                retry_policy=retry_policy,
                dead_letter_config={"arn": dlq.arn},
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[buffer_policy, dlq_policy])
                ),
            )
            self.role_arn = None

        self.bus_name = bus.name
        self.bus_arn = bus.arn
        self.rule_arn = rule.arn
        self.dlq_url = dlq.url
        self.dlq_arn = dlq.arn
        self.target_id = event_target.id  # resolves once the policies it depends on exist
        self.register_outputs(
            {
                "bus_name": self.bus_name,
                "bus_arn": self.bus_arn,
                "rule_arn": self.rule_arn,
                **({} if self.role_arn is None else {"role_arn": self.role_arn}),
                "dlq_url": self.dlq_url,
                "dlq_arn": self.dlq_arn,
                "target_id": self.target_id,
            }
        )
