"""EventBridge rules that target Step Functions, honoured in the emulator.

moto 5.2.5 matches PutEvents against a bus's rules but cannot deliver to a state machine target
(``Rule.send_to_targets`` raises NotImplementedError for ``states``). Here such targets are
delivered as EventBridge does: only for an ENABLED rule whose pattern matches; the target's
``InputPath`` (or constant ``Input``) shapes the input; the target's role is assumed as
``events.amazonaws.com`` and StartExecution is called with its credentials, so the role's policy
decides. Throttling/5xx errors are retried up to the target's ``RetryPolicy`` (harness cap
``MAX_HARNESS_RETRIES``, no real backoff); other errors are not retried. A delivery that still
fails goes to the target's dead-letter queue — if the queue policy lets ``events.amazonaws.com``
send for this rule's ARN (``aws:SourceArn``), as AWS requires — with EventBridge's message
attributes. Other target types keep moto's delivery.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from moto.events.models import Rule
from moto.sqs.models import sqs_backends

from harness.creds import Credentials

EVENTS = "events.amazonaws.com"
MAX_HARNESS_RETRIES = 2
RETRYABLE = {"ThrottlingException", "ServiceUnavailable", "InternalFailure", "InternalServerError"}
log = logging.getLogger(__name__)


@dataclass
class Delivery:
    rule_arn: str
    target_arn: str
    execution_arn: str | None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 1
    dead_lettered: bool = False


class StateMachineTargets:
    """Delivers to state machine targets; keeps a record of every delivery (for tests/serve)."""

    def __init__(
        self,
        assume_role: Callable[[str, str], Credentials],
        client: Callable[[str, Credentials | None], Any],
        account_id: str,
        region: str,
    ) -> None:
        self._assume_role = assume_role
        self._client = client
        self._account_id = account_id
        self._region = region
        self.deliveries: list[Delivery] = []

    def deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> Delivery:
        retry = target.get("RetryPolicy") or {}
        retries = min(int(retry.get("MaximumRetryAttempts", 185)), MAX_HARNESS_RETRIES)
        delivery = Delivery(rule.arn, target["Arn"], None)
        for attempt in range(1, retries + 2):
            delivery.attempts = attempt
            try:
                delivery.execution_arn = self._start(target, event)
                delivery.error_code = delivery.error_message = None
                break
            except ClientError as error:
                delivery.error_code = error.response["Error"]["Code"]
                delivery.error_message = error.response["Error"]["Message"]
                if delivery.error_code not in RETRYABLE:
                    break
            except Exception as error:
                delivery.error_code, delivery.error_message = type(error).__name__, str(error)
                break
        if delivery.execution_arn is None:
            delivery.dead_lettered = self._dead_letter(rule, target, event, delivery)
        self.deliveries.append(delivery)
        return delivery

    def _start(self, target: dict[str, Any], event: dict[str, Any]) -> str:
        if not target.get("RoleArn"):
            raise PermissionError("a Step Functions target needs a RoleArn")
        payload = target_input(target, event)
        credentials = self._assume_role(target["RoleArn"], EVENTS)
        response = self._client("stepfunctions", credentials).start_execution(
            # EventBridge lets Step Functions name the execution (a UUID); moto would name it "None"
            stateMachineArn=target["Arn"],
            input=json.dumps(payload),
            name=str(uuid.uuid4()),
        )
        return str(response["executionArn"])

    def _dead_letter(
        self, rule: Any, target: dict[str, Any], event: dict[str, Any], delivery: Delivery
    ) -> bool:
        queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue_arn:
            log.warning("event %s to %s dropped: no DLQ", event.get("id"), target["Arn"])
            return False
        queue_name = queue_arn.rsplit(":", 1)[1]
        queue = sqs_backends[self._account_id][self._region].get_queue(queue_name)
        if not admits_rule(queue.policy, queue_arn, rule.arn):
            log.warning("DLQ %s does not admit %s for rule %s", queue_arn, EVENTS, rule.arn)
            return False
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": target["Arn"],
            "ERROR_CODE": delivery.error_code or "",
            "ERROR_MESSAGE": delivery.error_message or "",
            "RETRY_ATTEMPTS": str(delivery.attempts - 1),
        }
        # EventBridge sends as the service principal, which has no credentials here: the queue
        # policy was checked above, the message is sent with the harness admin's.
        sqs = self._client("sqs", None)
        sqs.send_message(
            QueueUrl=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"],
            MessageBody=json.dumps(event, default=str),
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v
            },
        )
        return True


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    if target.get("InputTransformer"):
        raise NotImplementedError("harness: InputTransformer on a Step Functions target")
    if target.get("Input"):
        return json.loads(target["Input"])
    return apply_input_path(event, target.get("InputPath") or "$")


def apply_input_path(event: dict[str, Any], path: str) -> Any:
    """``$`` or a dotted path such as ``$.detail`` (what EventBridge InputPath takes here)."""
    if path == "$":
        return event
    if not path.startswith("$."):
        raise ValueError(f"harness: InputPath {path!r} is not supported")
    value: Any = event
    for part in path[2:].split("."):
        if not isinstance(value, dict) or part not in value:
            raise ValueError(f"InputPath {path!r} does not resolve in the event")
        value = value[part]
    return value


def admits_rule(policy: str | None, queue_arn: str, rule_arn: str) -> bool:
    """The queue policy lets events.amazonaws.com SendMessage with aws:SourceArn == rule_arn."""
    if not policy:
        return False
    document = json.loads(policy)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = (statement.get("Principal") or {}).get("Service")
        principals = [principal] if isinstance(principal, str) else principal or []
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        resources = statement.get("Resource")
        resources = [resources] if isinstance(resources, str) else resources or []
        source = (statement.get("Condition") or {}).get("ArnEquals", {}).get("aws:SourceArn")
        if (
            statement.get("Effect") == "Allow"
            and EVENTS in principals
            and "sqs:SendMessage" in actions
            and queue_arn in resources
            and source == rule_arn
        ):
            return True
    return False


@contextmanager
def state_machine_targets(targets: StateMachineTargets) -> Iterator[StateMachineTargets]:
    """Patch moto's rule delivery so state machine targets are delivered by ``targets``."""
    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED" or not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            if target["Arn"].split(":")[2] == "states":
                targets.deliver(self, target, original_event)
            else:
                others.append(target)
        if others:
            clone = copy.copy(self)
            clone.targets = others
            original(clone, original_event, transform_input)

    Rule.send_to_targets = send_to_targets
    try:
        yield targets
    finally:
        Rule.send_to_targets = original
