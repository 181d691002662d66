"""The harness never skips a declared resource silently."""

from __future__ import annotations

import pytest

from harness import deploy as deploy_module
from harness.deploy import Deployment, UnknownInvoke, UnknownResourceType, deploy
from harness.deploy import storage as resources
from harness.emulator import Emulator

CONTRACT_TYPES = set(deploy_module.CREATORS) - {
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:apigatewayv2/authorizer:Authorizer",  # JWT auth only; dev uses IAM (test_entry_points)
}


def test_every_declared_resource_is_created_or_recorded(fresh_dev: Deployment) -> None:
    dev = fresh_dev
    assert {r.status for r in dev.records} <= {"created", "component", "provider", "recorded"}
    assert all(r.reason for r in dev.records if r.status == "recorded")
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
    monkeypatch.delitem(deploy_module.CREATORS, "aws:cloudwatch/dashboard:Dashboard")
    with Emulator() as emulator, pytest.raises(UnknownResourceType, match="cloudwatch/dashboard"):
        deploy(emulator, "dev")


def test_type_the_emulator_cannot_hold_is_recorded_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(deploy_module.CREATORS, "aws:cloudwatch/dashboard:Dashboard")
    monkeypatch.setitem(resources.UNSUPPORTED, "aws:cloudwatch/dashboard:Dashboard", "test reason")
    with Emulator() as emulator:
        deployment = deploy(emulator, "dev")
        record = deployment.find("aws:cloudwatch/dashboard:Dashboard")
    assert (record.status, record.reason, record.physical_id) == ("recorded", "test reason", None)


def test_unknown_invoke_token_raises() -> None:
    import pulumi

    mocks = deploy_module.EmulatorMocks(Emulator())
    args = pulumi.runtime.MockCallArgs("aws:ec2/getVpc:getVpc", {}, "")
    with pytest.raises(UnknownInvoke):
        mocks.call(args)
