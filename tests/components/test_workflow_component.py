"""Workflow on its own (under PipelineMocks) and its handler packaging."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.workflow import Workflow, WorkflowArgs, handler_files

LAYER = (
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
)


@pytest.fixture
def handlers_dir(tmp_path: Path) -> Path:
    root = tmp_path / "handlers"
    (root / "__pycache__").mkdir(parents=True)
    (root / "schemas").mkdir()
    for name in ("__init__.py", "ingest.py", "process.py", "write.py", "core.py"):
        (root / name).write_text("", encoding="utf-8")
    (root / "schemas" / "event.schema.json").write_text("{}", encoding="utf-8")
    (root / "__pycache__" / "ingest.cpython-313.pyc").write_bytes(b"")
    (root / "__pycache__" / "stale.py").write_text("", encoding="utf-8")
    (root / "README.md").write_text("", encoding="utf-8")
    return root


def workflow_args(handlers_dir: Path, **overrides: Any) -> WorkflowArgs:
    values: dict[str, Any] = {
        "name_prefix": "app-test",
        "handlers_dir": handlers_dir,
        "workflow_type": "EXPRESS",
        "log_level": "ALL",
        "architecture": "x86_64",
        "memory_mb": 256,
        "timeout_seconds": 20,
        "powertools_layer_arn": LAYER,
        "log_retention_days": 7,
        "max_batch_events": 100,
        "late_event_threshold_hours": 24,
        "oldest_event_time": datetime(1999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-1))),
        "raw_bucket_name": "raw-bucket",
        "raw_bucket_arn": "arn:aws:s3:::raw-bucket",
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
        "table_name": "app-test-events",
        "table_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/app-test-events",
        "item_retention_days": 30,
        "suppression_table_name": "app-test-suppression",
        "suppression_table_arn": (
            "arn:aws:dynamodb:us-east-1:123456789012:table/app-test-suppression"
        ),
        "salt_secret_arn": (
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-test-salt-AbC123"
        ),
    }
    return WorkflowArgs(**(values | overrides))


def test_handler_files_are_py_and_json_without_pycache(handlers_dir: Path) -> None:
    assert sorted(handler_files(handlers_dir)) == [
        "__init__.py",
        "core.py",
        "ingest.py",
        "process.py",
        "schemas/event.schema.json",
        "write.py",
    ]


def test_missing_handler_module_is_refused(handlers_dir: Path) -> None:
    (handlers_dir / "write.py").unlink()
    with pytest.raises(ValueError, match=r"handler module\(s\) missing .*: write.py"):
        handler_files(handlers_dir)


def test_missing_handlers_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="handlers directory not found"):
        handler_files(tmp_path / "nope")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name_prefix", "", "name_prefix must not be empty"),
        # stack settings are checked once, by PipelineSettings (test_pipeline_settings)
    ],
)
def test_args_are_validated(handlers_dir: Path, field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workflow_args(handlers_dir, **{field: value})


def test_express_workflow_from_plain_inputs(mocks: Any, settle: Any, handlers_dir: Path) -> None:
    def create() -> pulumi.Output[list[Any]]:
        workflow = Workflow("wf", workflow_args(handlers_dir))
        return pulumi.Output.all(
            workflow.state_machine_arn,
            workflow.function_names,
            workflow.log_group_names,
            workflow.role_arns,
        )

    def check(values: list[Any]) -> None:
        sm_arn, names, log_groups, roles = values
        assert sm_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:app-test-workflow"
        assert names == {fn: f"app-test-{fn}" for fn in ("ingest", "process", "write")}
        assert log_groups["workflow"] == "/aws/vendedlogs/states/app-test-workflow"
        assert log_groups["recovery"] == "/aws/vendedlogs/states/app-test-recovery"
        assert set(roles) == {"ingest", "process", "write", "workflow", "recovery"}
        machine = mocks.find("aws:sfn/stateMachine:StateMachine", "wf-state-machine").inputs
        assert machine["type"] == "EXPRESS"
        assert machine["loggingConfiguration"]["level"] == "ALL"
        assert machine["roleArn"] == roles["workflow"]
        definition = json.loads(machine["definition"])
        assert definition["States"]["Write"]["Parameters"]["FunctionName"].endswith(
            ":function:app-test-write"
        )
        # The recovery state machine is STANDARD whatever the main one is, with a role of its own.
        recovery = mocks.find(
            "aws:sfn/stateMachine:StateMachine", "wf-recovery-state-machine"
        ).inputs
        assert (recovery["name"], recovery["type"]) == ("app-test-recovery", "STANDARD")
        assert recovery["roleArn"] == roles["recovery"] != roles["workflow"]
        assert recovery["loggingConfiguration"]["level"] == "ERROR"
        assert json.loads(recovery["definition"])["StartAt"] == "Route"
        function = mocks.find("aws:lambda/function:Function", "wf-ingest").inputs
        assert function["architectures"] == ["x86_64"]
        assert function["layers"] == [LAYER]
        assert function["environment"]["variables"]["RAW_BUCKET"] == "raw-bucket"
        # The offset is honoured: 23:00-01:00 is midnight UTC.
        assert function["environment"]["variables"]["OLDEST_EVENT_TIME"] == (
            "2000-01-01T00:00:00.000Z"
        )
        packaged = function["code"].assets["handlers"].assets
        assert sorted(packaged) == sorted(handler_files(handlers_dir))
        policy = json.loads(
            mocks.find("aws:iam/rolePolicy:RolePolicy", "wf-write-policy").inputs["policy"]
        )
        assert policy["Statement"][0]["Resource"] == [
            "arn:aws:dynamodb:us-east-1:123456789012:table/app-test-events"
        ]

    check(settle(create))
