"""The harness never skips a declared resource silently."""

from __future__ import annotations

import pytest

from harness.deploy import Deployment, deploy
from harness.deploy.mocks import EmulatorMocks, UnknownInvoke, UnknownResourceType
from harness.deploy.registry import CREATORS
from harness.emulator import Emulator

CONTRACT_TYPES = set(CREATORS) - {
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:apigatewayv2/authorizer:Authorizer",  # JWT auth only; dev uses IAM (test_entry_points)
}


def test_every_declared_resource_is_created(fresh_dev: Deployment) -> None:
    dev = fresh_dev
    assert {r.status for r in dev.records} <= {"created", "component", "provider"}
    assert all(r.physical_id for r in dev.records if r.status == "created")
    assert {r.type for r in dev.records if r.status == "created"} >= CONTRACT_TYPES
    assert set(dev.outputs) >= {
        "raw_bucket_name",
        "table_name",
        "state_machine_arn",
        "dlq_url",
        "function_names",
        "log_group_names",
        "region",
    }


def test_unknown_resource_type_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(CREATORS, "aws:cloudwatch/dashboard:Dashboard")
    with Emulator() as emulator, pytest.raises(UnknownResourceType, match="cloudwatch/dashboard"):
        deploy(emulator, "dev")


def test_unknown_invoke_token_raises() -> None:
    import pulumi

    mocks = EmulatorMocks(Emulator())
    args = pulumi.runtime.MockCallArgs("aws:ec2/getVpc:getVpc", {}, "")
    with pytest.raises(UnknownInvoke):
        mocks.call(args)
