"""The mocks themselves: unknown invokes and resource types are errors, not silent successes."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest


def test_call_raises_on_an_unknown_invoke_token(mocks: Any) -> None:
    args = pulumi.runtime.MockCallArgs(
        "aws:index/getAvailabilityZones:getAvailabilityZones", {}, None
    )
    with pytest.raises(NotImplementedError, match="getAvailabilityZones"):
        mocks.call(args)


def test_unknown_invoke_fails_a_program(mocks: Any) -> None:
    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        return aws.get_availability_zones_output().names

    with pytest.raises(Exception, match="getAvailabilityZones"):
        program()
    assert mocks.calls == ["aws:index/getAvailabilityZones:getAvailabilityZones"]


def test_unknown_resource_type_fails_a_program(mocks: Any) -> None:
    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        return aws.ec2.Vpc("v", cidr_block="10.0.0.0/16").id

    with pytest.raises(NotImplementedError, match="aws:ec2/vpc:Vpc"):
        program()


@pytest.mark.parametrize(
    ("token", "field", "value"),
    [
        ("aws:index/getCallerIdentity:getCallerIdentity", "accountId", "123456789012"),
        ("aws:index/getRegion:getRegion", "region", "us-east-1"),
        ("aws:index/getPartition:getPartition", "partition", "aws"),
    ],
)
def test_known_invokes(mocks: Any, token: str, field: str, value: str) -> None:
    assert mocks.call(pulumi.runtime.MockCallArgs(token, {}, None))[field] == value


def test_find_requires_exactly_one_match(mocks: Any) -> None:
    with pytest.raises(AssertionError, match="expected one aws:s3/bucket:Bucket named 'x'"):
        mocks.find("aws:s3/bucket:Bucket", "x")
