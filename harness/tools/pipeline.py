"""Run events through the deployed state machine and report where each one ended."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.deploy import Deployment
from ops import deadletters
from ops.executions import Run, Runner, states_entered


def load_events(path: Path) -> Any:
    """A sample file holds one event, or ``{"events": [...]}`` — either is one execution input."""
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class ExecutionReport:
    name: str
    arn: str
    status: str
    states: list[str]
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    dlq_messages: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def raw_key(self) -> str | None:
        return (self.output or {}).get("raw_key")

    @property
    def written(self) -> int:
        return int((self.output or {}).get("written", 0))

    @property
    def rejected(self) -> list[dict[str, Any]]:
        return list((self.output or {}).get("rejected", []))


def run(
    deployment: Deployment, payload: Any, name: str | None = None, timeout: float = 120.0
) -> ExecutionReport:
    """``payload`` as one execution (named ``b-<batch_id>`` unless ``name`` is given) to its end;
    a name that is taken, or an execution still running after ``timeout``, raises."""
    sfn = deployment.client("stepfunctions")
    machine = deployment.outputs["state_machine_arn"]
    runner = Runner(sfn, machine, timeout=timeout, follow_existing=False, raise_errors=True)
    outcome = runner.run(Run.of(payload, name))
    description = outcome.description
    arn = str(description["executionArn"])
    return ExecutionReport(
        name=description["name"],
        arn=arn,
        status=outcome.status,
        states=states_entered(sfn, arn),
        output=outcome.output or None,
        error=description.get("error"),
        cause=description.get("cause"),
        dlq_messages=drain_dlq(deployment),
        seconds=outcome.seconds,
    )


def drain_dlq(deployment: Deployment) -> list[dict[str, Any]]:
    """Receive and delete every message now in the DLQ (bodies parsed as JSON, numbers as Decimal:
    a dead letter carries the execution input exactly, 4,301-digit integers included)."""
    sqs = deployment.client("sqs")
    url = deployment.outputs["dlq_url"]
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(deadletters.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
