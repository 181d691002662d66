"""Deploy the Pulumi program into the emulator: ``__main__.py`` under Pulumi mocks.

The mocks' ``new_resource`` creates each resource in the emulator and returns its real state, so
ARNs, names and URLs flow into policies and the state-machine definition as in ``pulumi up``.
Every registration is recorded: ``created`` (physical resource in the emulator), ``component`` /
``provider`` (no physical resource by nature), or ``recorded`` with the reason from
``resources.UNSUPPORTED``. A type in none of these tables raises — nothing is skipped silently.
Before a resource is created, ``provider_rules.check`` refuses the names and prefixes pulumi-aws and
AWS would refuse.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from harness.deploy import analytics as rx
from harness.deploy import compute as ra
from harness.deploy import entry as rentry
from harness.deploy import rules as provider_rules
from harness.deploy import storage as r
from harness.emulator import REPO_ROOT, Emulator
from ops.target import Target

PROJECT = "activity-pipeline"
COMPONENT_PREFIX = f"{PROJECT}:"

CREATORS: dict[str, r.Creator] = {
    "aws:kms/key:Key": r.kms_key,
    "aws:kms/alias:Alias": r.kms_alias,
    "aws:s3/bucket:Bucket": r.s3_bucket,
    "aws:s3/bucketVersioning:BucketVersioning": r.s3_versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        r.s3_encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": r.s3_public_access_block,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": r.s3_ownership,
    "aws:s3/bucketPolicy:BucketPolicy": r.s3_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": r.s3_lifecycle,
    "aws:dynamodb/table:Table": r.dynamodb_table,
    "aws:iam/role:Role": r.iam_role,
    "aws:iam/rolePolicy:RolePolicy": r.iam_role_policy,
    "aws:cloudwatch/logGroup:LogGroup": r.log_group,
    "aws:lambda/function:Function": ra.lambda_function,
    "aws:sqs/queue:Queue": ra.sqs_queue,
    "aws:sfn/stateMachine:StateMachine": ra.state_machine,
    "aws:sns/topic:Topic": ra.sns_topic,
    "aws:sns/topicSubscription:TopicSubscription": ra.sns_subscription,
    "aws:cloudwatch/metricAlarm:MetricAlarm": ra.metric_alarm,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ra.log_metric_filter,
    "aws:cloudwatch/dashboard:Dashboard": ra.dashboard,
}
CREATORS.update(rx.CREATORS)  # analytics: Glue catalog, Athena workgroup/queries, IAM policy
CREATORS.update(rentry.CREATORS)  # entry points: HTTP API, EventBridge, entry DLQ policy


class UnknownResourceType(Exception):
    """A declared resource type the harness neither creates nor records with a reason."""


class UnknownInvoke(Exception):
    """The program called a provider function the harness does not answer."""


@dataclass
class ResourceRecord:
    type: str
    name: str
    physical_id: str | None
    status: str  # created | component | provider | recorded
    inputs: dict[str, Any]
    state: dict[str, Any]
    reason: str | None = None


@dataclass
class Deployment:
    stack: str
    emulator: Emulator
    outputs: dict[str, Any]
    records: list[ResourceRecord] = field(default_factory=list)

    def find(self, typ: str, name: str | None = None) -> ResourceRecord:
        matches = [x for x in self.records if x.type == typ and (name is None or x.name == name)]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} records of {typ} named {name!r}")
        return matches[0]

    def of_type(self, typ: str) -> list[ResourceRecord]:
        return [x for x in self.records if x.type == typ]

    def client(self, service: str) -> Any:
        return self.emulator.client(service)

    def as_target(self) -> Target:
        """This deployment as an ops Target, reached in-process with the admin credentials."""
        admin = self.emulator.admin
        return Target.for_emulator(
            self.outputs,
            region=self.emulator.region,
            access_key_id=admin.access_key_id,
            secret_access_key=admin.secret_access_key,
        )


def integral_numbers(value: Any) -> Any:
    """Mocks deliver every number as a float (protobuf Struct); AWS APIs want integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [integral_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: integral_numbers(v) for k, v in value.items()}
    return value


class EmulatorMocks(pulumi.runtime.Mocks):
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.records: list[ResourceRecord] = []
        self._lock = threading.Lock()  # the runtime registers resources from a thread pool

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = integral_numbers(dict(args.inputs))
        with self._lock:
            if args.typ.startswith(COMPONENT_PREFIX):
                record = ResourceRecord(args.typ, args.name, None, "component", inputs, {})
            elif args.typ.startswith("pulumi:providers:"):
                record = ResourceRecord(args.typ, args.name, None, "provider", inputs, {})
            elif args.typ in CREATORS:
                provider_rules.check(args.typ, args.name, inputs)  # what a real deploy refuses
                physical_id, state = CREATORS[args.typ](self.emulator, args.name, inputs)
                record = ResourceRecord(args.typ, args.name, physical_id, "created", inputs, state)
            elif args.typ in r.UNSUPPORTED:
                record = ResourceRecord(
                    args.typ, args.name, None, "recorded", inputs, {}, r.UNSUPPORTED[args.typ]
                )
            else:
                raise UnknownResourceType(
                    f"{args.typ} ({args.name}): the harness cannot create it and has no reason on "
                    "record; add a creator to harness.deploy.CREATORS or a reason to "
                    "harness.resources.UNSUPPORTED"
                )
            self.records.append(record)
        return (record.physical_id or f"{args.name}_id"), record.state or inputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        emu = self.emulator
        answers: dict[str, Callable[[], dict[str, Any]]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
                "accountId": emu.account_id,
                "arn": f"arn:aws:iam::{emu.account_id}:user/harness-admin",
                "userId": emu.admin.access_key_id,
                "id": emu.account_id,
            },
            "aws:index/getRegion:getRegion": lambda: {
                "name": emu.region,
                "region": emu.region,
                "id": emu.region,
                "description": "US East (N. Virginia)",
                "endpoint": f"ec2.{emu.region}.amazonaws.com",
            },
            "aws:index/getPartition:getPartition": lambda: {
                "partition": "aws",
                "id": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            },
        }
        if args.token not in answers:
            raise UnknownInvoke(f"harness mocks: unknown invoke token {args.token}")
        return answers[args.token](), []


def stack_config(stack: str, root: Path = REPO_ROOT) -> dict[str, str]:
    from components.builders.settings import load_stack_config

    return load_stack_config(root / f"Pulumi.{stack}.yaml")


def deploy(
    emulator: Emulator,
    stack: str = "dev",
    root: Path = REPO_ROOT,
    overrides: dict[str, str] | None = None,
    config_from: str | None = None,
) -> Deployment:
    """Run ``__main__.py`` for ``stack`` with every resource created in ``emulator``.

    ``overrides`` replace stack config values, keyed as in ``Pulumi.<stack>.yaml``
    (``activity-pipeline:workflowType``) — e.g. to deploy an EXPRESS workflow. ``config_from``
    names the stack whose ``Pulumi.<stack>.yaml`` to read instead (a stack name of its own, the
    configuration of another). The config of a previous deploy in this process is replaced.
    """
    mocks = EmulatorMocks(emulator)
    SETTINGS.rpc_manager.clear()  # a previous failed deploy may have left RPCs behind
    SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    config = stack_config(config_from or stack, root)
    unknown = sorted(set(overrides or {}) - set(config))
    if unknown:
        raise KeyError(f"overrides name keys that stack {stack} does not configure: {unknown}")
    pulumi.runtime.set_all_config(config | (overrides or {}))
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    original_export = pulumi.export

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        values: dict[str, Any] | None = _sync_await(pulumi.Output.from_input(exports).future())
        resolved.update(values or {})

    pulumi.export = capture
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        pulumi.export = original_export
    return Deployment(stack, emulator, resolved, mocks.records)
