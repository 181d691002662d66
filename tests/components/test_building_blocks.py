"""Shared building blocks: bucket prefixes pulumi-aws accepts, trust pinned where documented."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import building_blocks


@pytest.mark.parametrize(
    ("name_prefix", "purpose", "expected"),
    [
        ("activity-pipeline-dev", "raw", "activity-pipeline-dev-raw-"),  # unchanged
        ("activity-pipeline-dev", "athena-results", "activity-pipeline-dev-athena-results-"),
        ("activity-pipeline-prod", "athena-results", "activity-pipeline-pro-athena-results-"),
        ("activity-pipeline-Stage_2.eu", "raw", "activity-pipeline-stage-2-eu-raw-"),
        ("activity-pipeline-" + "x" * 80, "raw", "activity-pipeline-" + "x" * 14 + "-raw-"),
        ("activity-pipeline-feature-", "athena-results", "activity-pipeline-fea-athena-results-"),
    ],
)
def test_bucket_prefix_fits_pulumi_aws(name_prefix: str, purpose: str, expected: str) -> None:
    prefix = building_blocks.bucket_prefix(name_prefix, purpose)
    assert prefix == expected
    assert len(prefix) <= building_blocks.BUCKET_PREFIX_MAX == 37


def test_bucket_prefix_needs_room_for_the_name() -> None:
    with pytest.raises(ValueError, match="leaves no room"):
        building_blocks.bucket_prefix("activity-pipeline-dev", "p" * 35)


def trust_of(service: str) -> pulumi.Output[Any]:
    role, _ = building_blocks.service_role(
        service.split(".")[0],
        service=service,
        description="d",
        policy={},
        opts=pulumi.ResourceOptions(),
    )
    return role.assume_role_policy.apply(json.loads)


def test_only_services_that_send_source_account_are_pinned_to_it(mocks: Any, settle: Any) -> None:
    def check(trusts: list[Any]) -> None:
        states, events, apigateway = (t["Statement"][0] for t in trusts)
        assert states["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        assert apigateway == {  # absent key: a StringEquals on it would refuse every assumption
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }

    def create() -> pulumi.Output[list[Any]]:
        return pulumi.Output.all(
            trust_of("states.amazonaws.com"),
            trust_of("events.amazonaws.com"),
            trust_of("apigateway.amazonaws.com"),
        )

    check(settle(create))
