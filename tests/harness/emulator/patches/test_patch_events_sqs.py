"""EventBridge rules with an SQS target: delivered only under the queue's policy (for the rule) and,
on an encrypted queue, the key's (for the rule); a refusal goes to the target's DLQ; the detail is
the message body as sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.emulator import Emulator
from harness.emulator.patches.events import key_admits_rule
from tests.harness.emulated import messages, queue

EVENTS = "events.amazonaws.com"
DETAIL = '{"user_id": "u1",  "n": 1e400}'  # sent as written, spaces and number too


def allow_rule(queue_arn: str, rule_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": EVENTS},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


def key(emulator: Emulator, rule_arn: str | None) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{emulator.account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if rule_arn is not None:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"Service": EVENTS},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        )
    policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return str(emulator.client("kms").create_key(Policy=policy)["KeyMetadata"]["Arn"])


def deliver(emulator: Emulator, *, queue_policy: bool, key_for_rule: bool | None) -> Any:
    """A rule on a bus targeting an SQS queue (encrypted when ``key_for_rule`` is not None)."""
    events, sqs = emulator.client("events"), emulator.client("sqs")
    events.create_event_bus(Name="bus")
    rule_arn = events.put_rule(
        Name="rule", EventBusName="bus", EventPattern=json.dumps({"source": ["activity.web"]})
    )["RuleArn"]
    attributes = {}
    if key_for_rule is not None:
        attributes["KmsMasterKeyId"] = key(emulator, rule_arn if key_for_rule else None)
    url = sqs.create_queue(QueueName="target", Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    if queue_policy:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_rule(arn, rule_arn)})
    dlq_url, dlq_arn = queue(emulator, "dead")
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": allow_rule(dlq_arn, rule_arn)})
    events.put_targets(
        Rule="rule",
        EventBusName="bus",
        Targets=[
            {"Id": "q", "Arn": arn, "InputPath": "$.detail", "DeadLetterConfig": {"Arn": dlq_arn}}
        ],
    )
    events.put_events(
        Entries=[
            {"EventBusName": "bus", "Source": "activity.web", "DetailType": "x", "Detail": DETAIL}
        ]
    )
    return (
        emulator.event_targets.deliveries[-1],
        messages(emulator, url),
        messages(emulator, dlq_url),
    )


def test_the_detail_is_the_message_body_as_sent(emulator: Emulator) -> None:
    delivery, bodies, dead = deliver(emulator, queue_policy=True, key_for_rule=True)
    assert (delivery.error_code, delivery.message_id is not None) == (None, True)
    assert (bodies, dead) == ([DETAIL], [])


@pytest.mark.parametrize(
    ("queue_policy", "key_for_rule", "code"),
    [
        (False, None, "AccessDenied"),  # no queue policy: EventBridge may not send
        (True, False, "KMS.AccessDeniedException"),  # the key does not let the rule use it
    ],
)
def test_a_refused_delivery_goes_to_the_dlq_at_once(
    emulator: Emulator, queue_policy: bool, key_for_rule: bool | None, code: str
) -> None:
    delivery, bodies, dead = deliver(emulator, queue_policy=queue_policy, key_for_rule=key_for_rule)
    assert (delivery.error_code, delivery.attempts, delivery.dead_lettered) == (code, 1, True)
    assert bodies == []
    assert len(dead) == 1


def test_key_admits_only_the_named_rule() -> None:
    rule = "arn:aws:events:us-east-1:123456789012:rule/bus/rule"
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": EVENTS},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
    }
    policy = json.dumps({"Statement": [statement]})
    assert key_admits_rule(policy, rule)
    assert not key_admits_rule(policy, rule.replace("rule/bus/rule", "rule/bus/other"))
    assert not key_admits_rule(json.dumps({"Statement": [{**statement, "Effect": "Deny"}]}), rule)
    assert not key_admits_rule(None, rule)
