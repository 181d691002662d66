"""The one ARN check every builder uses, and the ARNs the program derives."""

from __future__ import annotations

import pytest

from components.builders import arns


@pytest.mark.parametrize(
    ("arn", "service", "resource"),
    [
        ("arn:aws:s3:::activity-pipeline-dev-raw-abc", "s3", ""),
        ("arn:aws:kms:us-east-1:123456789012:key/1234abcd", "kms", "key/"),
        ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x", "logs", "log-group:"),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:wf", "states", "stateMachine:"),
        ("arn:aws:events:us-east-1:123456789012:rule/bus/rule", "events", "rule/"),
        ("arn:aws:glue:us-east-1:123456789012:catalog", "glue", "catalog"),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "lambda", "function:"),
    ],
)
def test_exact_arns_are_returned(arn: str, service: str, resource: str) -> None:
    assert arns.require_arn(arn, "x_arn", service=service, resource=resource) == arn


@pytest.mark.parametrize(
    ("arn", "service", "resource"),
    [
        ("*", "s3", ""),
        ("", "s3", ""),
        ("my-bucket", "s3", ""),
        ("arn:aws:s3:::*", "s3", ""),
        ("arn:aws:s3:::", "s3", ""),  # no resource
        ("arn:aws:s3::bucket", "s3", ""),  # too few parts
        ("arn::s3:::bucket", "s3", ""),  # no partition
        ("arn:aws:sqs:us-east-1:123456789012:q", "s3", ""),  # another service
        ("arn:aws:states:us-east-1:123456789012:execution:x:y", "states", "stateMachine:"),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:*", "states", "stateMachine:"),
        ("arn:aws:events:us-east-1:123456789012:event-bus/b", "events", "rule/"),
    ],
)
def test_anything_else_is_refused_by_name(arn: str, service: str, resource: str) -> None:
    with pytest.raises(ValueError, match=f"x_arn must be an exact ARN of {service}"):
        arns.require_arn(arn, "x_arn", service=service, resource=resource)


def test_derived_arns() -> None:
    assert arns.glue_catalog_arn(
        partition="aws", region="eu-west-1", account_id="123456789012"
    ) == ("arn:aws:glue:eu-west-1:123456789012:catalog")


def test_event_rule_arn_of_a_custom_bus() -> None:
    assert arns.event_rule_arn(
        partition="aws",
        region="us-east-1",
        account_id="123456789012",
        bus_name="activity-pipeline-dev-activity",
        rule_name="activity-pipeline-dev-activity-to-workflow",
    ) == (
        "arn:aws:events:us-east-1:123456789012:rule/activity-pipeline-dev-activity/"
        "activity-pipeline-dev-activity-to-workflow"
    )
