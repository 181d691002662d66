"""Target selection: `pulumi stack output --json` of a stack, or the `harness serve` line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.target import Target, TargetError, target_from_args

OUTPUTS = {
    "state_machine_arn": (
        "arn:aws:states:eu-west-1:123456789012:stateMachine:activity-pipeline-dev-workflow"
    ),
    "table_name": "activity-pipeline-dev-events",
    "raw_bucket_name": "activity-pipeline-dev-raw-abc",
    "dlq_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/activity-pipeline-dev-dlq",
    "region": "eu-west-1",
    "workflow_type": "EXPRESS",
}


def test_pulumi_outputs_use_the_default_credential_chain() -> None:
    target = Target.from_document(OUTPUTS)
    assert target.region == "eu-west-1"
    assert target.endpoint_url is None
    assert target.credentials == {}
    assert target.state_machine_arn == OUTPUTS["state_machine_arn"]
    assert target.workflow_type == "EXPRESS"
    with pytest.raises(TargetError, match="no `recovery_state_machine_arn`"):
        _ = target.recovery_state_machine_arn
    recovery = OUTPUTS["state_machine_arn"].replace("-workflow", "-recovery")
    with_recovery = Target.from_document(OUTPUTS | {"recovery_state_machine_arn": recovery})
    assert with_recovery.recovery_state_machine_arn == recovery


def test_serve_line_carries_endpoint_region_and_credentials() -> None:
    line = {
        "endpoint_url": "https://127.0.0.1:4566",
        "ca_bundle": "/tmp/harness-tls-x/harness-ca.pem",
        "region": "us-east-1",
        "aws_access_key_id": "AKIAHARNESS",
        "aws_secret_access_key": "secret",
        "outputs": OUTPUTS,
    }
    target = Target.from_document(line)
    assert target.endpoint_url == "https://127.0.0.1:4566"
    assert target.ca_bundle == "/tmp/harness-tls-x/harness-ca.pem"
    assert target.region == "us-east-1"  # the emulator's region wins over the outputs'
    assert target.credentials == {
        "aws_access_key_id": "AKIAHARNESS",
        "aws_secret_access_key": "secret",
    }
    client = target.client("sqs")
    assert client.meta.endpoint_url == "https://127.0.0.1:4566"
    assert client.meta.region_name == "us-east-1"


def test_endpoint_and_region_flags_override_the_document() -> None:
    target = Target.from_document(OUTPUTS, endpoint_url="http://127.0.0.1:9", region="us-west-2")
    assert (target.endpoint_url, target.region) == ("http://127.0.0.1:9", "us-west-2")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "JSON object"),
        ({"table_name": "t"}, "state_machine_arn"),
        ({k: v for k, v in OUTPUTS.items() if k != "region"}, "no region"),
    ],
)
def test_unusable_documents_are_refused_with_a_reason(document: object, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        Target.from_document(document)


def test_outputs_file_that_is_not_json_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "outputs.json"
    bad.write_text("not json", encoding="utf-8")

    class Args:
        outputs = str(bad)
        endpoint_url = None
        region = None

    with pytest.raises(TargetError, match="is not JSON"):
        target_from_args(Args())  # type: ignore[arg-type]
    bad.write_text(json.dumps(OUTPUTS), encoding="utf-8")
    assert target_from_args(Args()).table_name == OUTPUTS["table_name"]  # type: ignore[arg-type]
