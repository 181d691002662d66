"""Workflow: the three pipeline functions, their roles and logs, the DLQ and the state machines.

The main state machine `<prefix>-workflow` runs every client input through Ingest -> Process ->
Write. The recovery state machine `<prefix>-recovery` (always STANDARD, operators only: no entry
role may start it) replays raw objects and re-submits dead letters' and failed executions' inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import dashboard, policies
from components.builders.definition import build_definition, build_recovery_definition
from components.builders.settings import (
    Architecture,
    BatchEvents,
    ItemRetentionDays,
    LateEventHours,
    MemoryMb,
    RetentionDays,
    TimeoutSeconds,
    WorkflowLogLevel,
    WorkflowType,
)
from handlers.times import format_time
from handlers.write import NO_CURATED_STREAM

TYPE: Final = "activity-pipeline:workflow:Workflow"
FUNCTIONS: Final = ("ingest", "process", "write")
RUNTIME: Final = "python3.13"
PACKAGED_SUFFIXES: Final = (".py", ".json")


@dataclass(frozen=True)
class CuratedStream:
    name: pulumi.Input[str]
    arn: pulumi.Input[str]


@dataclass(frozen=True)
class WorkflowArgs:
    name_prefix: str
    handlers_dir: Path
    workflow_type: WorkflowType
    architecture: Architecture
    memory_mb: MemoryMb
    timeout_seconds: TimeoutSeconds
    powertools_layer_arn: str
    log_retention_days: RetentionDays
    max_batch_events: BatchEvents
    late_event_threshold_hours: LateEventHours
    oldest_event_time: datetime  # aware, >= 1970 (PipelineSettings.oldest_event_time)
    raw_bucket_name: pulumi.Input[str]
    raw_bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    item_retention_days: ItemRetentionDays
    suppression_table_name: pulumi.Input[str]
    suppression_table_arn: pulumi.Input[str]
    salt_secret_arn: pulumi.Input[str]
    log_level: WorkflowLogLevel = "ERROR"
    # The curated table's Firehose stream Write feeds (None: the stack has no curated table).
    curated_stream: CuratedStream | None = None

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("WorkflowArgs.name_prefix must not be empty")


def handler_files(handlers_dir: Path) -> dict[str, Path]:
    """The .py/.json files under `handlers_dir` (no __pycache__), keyed by their path inside it."""
    if not handlers_dir.is_dir():
        raise ValueError(f"handlers directory not found: {handlers_dir}")
    files = {
        path.relative_to(handlers_dir).as_posix(): path
        for path in sorted(handlers_dir.rglob("*"))
        if path.is_file()
        and path.suffix in PACKAGED_SUFFIXES
        and "__pycache__" not in path.relative_to(handlers_dir).parts
    }
    missing = [f"{fn}.py" for fn in FUNCTIONS if f"{fn}.py" not in files]
    if missing:
        raise ValueError(f"handler module(s) missing from {handlers_dir}: {', '.join(missing)}")
    return files


def handlers_archive(handlers_dir: Path) -> pulumi.AssetArchive:
    """One zip for all three functions, with `handlers/` as a package at its root."""
    files = handler_files(handlers_dir)
    inner: dict[str, pulumi.Asset | pulumi.Archive] = {
        key: pulumi.FileAsset(str(path)) for key, path in files.items()
    }
    return pulumi.AssetArchive({"handlers": pulumi.AssetArchive(inner)})


class Workflow(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    state_machine_name: pulumi.Output[str]
    recovery_state_machine_arn: pulumi.Output[str]
    recovery_state_machine_name: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    dlq_name: pulumi.Output[str]
    function_names: pulumi.Output[dict[str, str]]
    function_arns: pulumi.Output[dict[str, str]]
    log_group_names: pulumi.Output[dict[str, str]]
    role_arns: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: WorkflowArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix
        code = handlers_archive(args.handlers_dir)

        log_groups = {
            fn: aws.cloudwatch.LogGroup(
                f"{name}-{fn}-logs",
                name=f"/aws/lambda/{prefix}-{fn}",
                retention_in_days=args.log_retention_days,
                opts=child,
            )
            for fn in FUNCTIONS
        }
        lambda_trust = json.dumps(policies.service_assume_role_policy("lambda.amazonaws.com"))
        roles = {
            fn: aws.iam.Role(
                f"{name}-{fn}-role",
                description=f"{prefix}-{fn} Lambda function",
                assume_role_policy=lambda_trust,
                opts=child,
            )
            for fn in FUNCTIONS
        }
        documents: dict[str, pulumi.Output[Any]] = {
            "ingest": pulumi.Output.all(
                bucket_arn=args.raw_bucket_arn,
                kms_key_arn=args.kms_key_arn,
                log_group_arn=log_groups["ingest"].arn,
                suppression_table_arn=args.suppression_table_arn,
                salt_secret_arn=args.salt_secret_arn,
            ).apply(lambda v: policies.ingest_policy(**v)),
            "process": pulumi.Output.all(
                bucket_arn=args.raw_bucket_arn,
                kms_key_arn=args.kms_key_arn,
                log_group_arn=log_groups["process"].arn,
            ).apply(lambda v: policies.process_policy(**v)),
            "write": pulumi.Output.all(
                table_arn=args.table_arn,
                bucket_arn=args.raw_bucket_arn,
                kms_key_arn=args.kms_key_arn,
                log_group_arn=log_groups["write"].arn,
                curated_stream_arn=None if args.curated_stream is None else args.curated_stream.arn,
            ).apply(lambda v: policies.write_policy(**v)),
        }
        role_policies = {
            fn: aws.iam.RolePolicy(
                f"{name}-{fn}-policy",
                role=roles[fn].id,
                policy=pulumi.Output.json_dumps(documents[fn]),
                opts=child,
            )
            for fn in FUNCTIONS
        }
        common_env: dict[str, pulumi.Input[str]] = {
            "POWERTOOLS_SERVICE_NAME": prefix,
            "POWERTOOLS_METRICS_NAMESPACE": dashboard.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        function_env: dict[str, dict[str, pulumi.Input[str]]] = {
            "ingest": {
                "RAW_BUCKET": args.raw_bucket_name,
                "MAX_BATCH_EVENTS": str(args.max_batch_events),
                "OLDEST_EVENT_TIME": format_time(args.oldest_event_time),
                "SUPPRESSION_TABLE": args.suppression_table_name,
                "SUPPRESSION_SALT_SECRET_ARN": args.salt_secret_arn,
            },
            "process": {
                "RAW_BUCKET": args.raw_bucket_name,
                "LATE_EVENT_THRESHOLD_HOURS": str(args.late_event_threshold_hours),
                "OLDEST_EVENT_TIME": format_time(args.oldest_event_time),
            },
            "write": {
                "TABLE_NAME": args.table_name,
                "RAW_BUCKET": args.raw_bucket_name,
                "ITEM_RETENTION_DAYS": str(args.item_retention_days),
                "CURATED_STREAM": (
                    NO_CURATED_STREAM if args.curated_stream is None else args.curated_stream.name
                ),
            },
        }
        functions = {
            fn: aws.lambda_.Function(
                f"{name}-{fn}",
                name=f"{prefix}-{fn}",
                runtime=RUNTIME,
                handler=f"handlers.{fn}.handler",
                code=code,
                role=roles[fn].arn,
                architectures=[args.architecture],
                memory_size=args.memory_mb,
                timeout=args.timeout_seconds,
                layers=[args.powertools_layer_arn],
                environment={"variables": {**common_env, **function_env[fn]}},
                # Level comes from POWERTOOLS_LOG_LEVEL (one source); JSON lines into the explicit
                # group.
                logging_config={"log_format": "JSON", "log_group": log_groups[fn].name},
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[role_policies[fn], log_groups[fn]])
                ),
            )
            for fn in FUNCTIONS
        }

        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{prefix}-dlq",
            message_retention_seconds=building_blocks.DLQ_RETENTION_SECONDS,
            max_message_size=building_blocks.DLQ_MAX_MESSAGE_BYTES,
            sqs_managed_sse_enabled=True,
            opts=child,
        )

        state_machine, workflow_role, workflow_logs = logged_state_machine(
            f"{name}-state-machine",
            children=f"{name}-workflow",
            machine_name=f"{prefix}-workflow",
            description=f"{prefix}-workflow state machine",
            workflow_type=args.workflow_type,
            log_level=args.log_level,
            log_retention_days=args.log_retention_days,
            policy=pulumi.Output.all(
                ingest=functions["ingest"].arn,
                process=functions["process"].arn,
                write=functions["write"].arn,
                dlq_arn=dlq.arn,
            ).apply(
                lambda v: policies.state_machine_policy(
                    function_arns=[v["ingest"], v["process"], v["write"]],
                    dlq_arn=v["dlq_arn"],
                )
            ),
            definition=pulumi.Output.all(
                ingest_arn=functions["ingest"].arn,
                process_arn=functions["process"].arn,
                write_arn=functions["write"].arn,
                dlq_url=dlq.url,
            ).apply(lambda v: json.dumps(build_definition(**v))),
            opts=child,
        )
        recovery, recovery_role, recovery_logs = logged_state_machine(
            f"{name}-recovery-state-machine",
            children=f"{name}-recovery",
            machine_name=f"{prefix}-recovery",
            description=f"{prefix}-recovery state machine (operators only)",
            # Always STANDARD: operators follow each run (DescribeExecution) and its name is unique.
            workflow_type="STANDARD",
            log_level="ERROR",
            log_retention_days=args.log_retention_days,
            policy=pulumi.Output.all(*[functions[fn].arn for fn in FUNCTIONS]).apply(
                lambda arns: policies.recovery_state_machine_policy(function_arns=arns)
            ),
            definition=pulumi.Output.all(
                ingest_arn=functions["ingest"].arn,
                process_arn=functions["process"].arn,
                write_arn=functions["write"].arn,
            ).apply(lambda v: json.dumps(build_recovery_definition(**v))),
            opts=child,
        )

        self.state_machine_arn = state_machine.arn
        self.state_machine_name = state_machine.name
        self.recovery_state_machine_arn = recovery.arn
        self.recovery_state_machine_name = recovery.name
        self.dlq_url = dlq.url
        self.dlq_arn = dlq.arn
        self.dlq_name = dlq.name
        self.function_names = pulumi.Output.all(**{fn: functions[fn].name for fn in FUNCTIONS})
        self.function_arns = pulumi.Output.all(**{fn: functions[fn].arn for fn in FUNCTIONS})
        self.log_group_names = pulumi.Output.all(
            **{fn: log_groups[fn].name for fn in FUNCTIONS},
            workflow=workflow_logs.name,
            recovery=recovery_logs.name,
        )
        self.role_arns = pulumi.Output.all(
            **{fn: roles[fn].arn for fn in FUNCTIONS},
            workflow=workflow_role.arn,
            recovery=recovery_role.arn,
        )
        self.register_outputs(
            {
                "state_machine_arn": self.state_machine_arn,
                "state_machine_name": self.state_machine_name,
                "recovery_state_machine_arn": self.recovery_state_machine_arn,
                "recovery_state_machine_name": self.recovery_state_machine_name,
                "dlq_url": self.dlq_url,
                "dlq_arn": self.dlq_arn,
                "dlq_name": self.dlq_name,
                "function_names": self.function_names,
                "function_arns": self.function_arns,
                "log_group_names": self.log_group_names,
                "role_arns": self.role_arns,
            }
        )


def logged_state_machine(
    name: str,
    *,
    children: str,
    machine_name: str,
    description: str,
    workflow_type: WorkflowType,
    log_level: WorkflowLogLevel,
    log_retention_days: RetentionDays,
    policy: pulumi.Input[Any],
    definition: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.sfn.StateMachine, aws.iam.Role, aws.cloudwatch.LogGroup]:
    """State machine ``name`` with its log group ``{children}-logs`` (execution data included) and
    its role ``{children}-role`` (+ ``-policy``), created before the state machine."""
    log_group = aws.cloudwatch.LogGroup(
        f"{children}-logs",
        name=f"/aws/vendedlogs/states/{machine_name}",
        retention_in_days=log_retention_days,
        opts=opts,
    )
    role, role_policy = building_blocks.service_role(
        children, service="states.amazonaws.com", description=description, policy=policy, opts=opts
    )
    state_machine = aws.sfn.StateMachine(
        name,
        name=machine_name,
        type=workflow_type,
        role_arn=role.arn,
        definition=definition,
        logging_configuration={
            "log_destination": pulumi.Output.concat(log_group.arn, ":*"),
            "include_execution_data": True,
            "level": log_level,
        },
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role_policy])),
    )
    return state_machine, role, log_group
