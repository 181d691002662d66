"""Helpers of the integrity tests: whole-table snapshots, executions that leave the DLQ alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.deploy import Deployment, deploy
from harness.emulator import Emulator
from harness.emulator.faults import FaultConfig
from ops.executions import Outcome, Run, Runner

Snapshot = dict[tuple[str, str], dict[str, Any]]


def snapshot(deployment: Deployment) -> Snapshot:
    """Every item of the table, every attribute, keyed by (PK, SK)."""
    ddb = deployment.client("dynamodb")
    items: Snapshot = {}
    for page in ddb.get_paginator("scan").paginate(TableName=deployment.outputs["table_name"]):
        for item in page["Items"]:
            items[(item["user_id"]["S"], item["event_time"]["S"])] = item
    return items


def execute(deployment: Deployment, payload: Any, name: str) -> Outcome:
    """Start ``payload`` as ``name`` and wait; the DLQ is left as the execution left it."""
    return Runner.for_target(deployment.as_target(), timeout=60).run(Run.of(payload, name))


def dlq_messages(deployment: Deployment) -> list[dict[str, Any]]:
    """The messages now in the DLQ (received, hidden for a while, not deleted)."""
    sqs = deployment.client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=deployment.outputs["dlq_url"], MaxNumberOfMessages=10, VisibilityTimeout=5
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            break
        seen.update((m["MessageId"], m) for m in fresh)
    for message in seen.values():  # visible again for whoever comes next
        sqs.change_message_visibility(
            QueueUrl=deployment.outputs["dlq_url"],
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=0,
        )
    return [{"MessageId": k, "Body": json.loads(m["Body"])} for k, m in seen.items()]


def raw_keys(deployment: Deployment, prefix: str = "ingest/") -> list[str]:
    s3 = deployment.client("s3")
    listed = s3.list_objects_v2(Bucket=deployment.outputs["raw_bucket_name"], Prefix=prefix)
    return [obj["Key"] for obj in listed.get("Contents", [])]


@contextmanager
def deployed(
    faults: FaultConfig | None = None, overrides: dict[str, str] | None = None
) -> Iterator[Deployment]:
    with Emulator(retry_time_scale=0.01, faults=faults) as emulator:
        yield deploy(emulator, "dev", overrides=overrides)
