"""EventBridge in the emulator: PutEvents' limits, and rules that target Step Functions or SQS.

PutEvents (EventBridge API reference, PutEvents; user guide, "Calculating PutEvents event entry
size"), where moto 5.2.5 is lenient: the entries of one request may total at most 256 KB, each
entry counted as EventBridge counts it (``Time`` 14 bytes when given, the UTF-8 bytes of
``Source``, ``DetailType``, ``Detail`` and each of ``Resources``), else the whole request is a
``ValidationException``; an entry whose ``Detail`` is not a JSON object (API reference,
PutEventsRequestEntry: "Detail — A valid JSON object"; an array or a JSON string is
``MalformedDetail`` in LocalStack's snapshot recorded against AWS, test_put_event_malformed_detail,
where moto only warns and delivers it), is not standard JSON (moto accepts ``NaN`` and
``Infinity``), nests deeper than 1,100 levels or holds an integer outside the signed 64-bit range
fails with ``MalformedDetail``. moto keeps its own checks (10 entries per request, required
fields, Detail that does not parse).

moto cannot deliver to a state machine target (``Rule.send_to_targets`` raises
NotImplementedError for ``states``). Here such targets are delivered as EventBridge does: only for
an ENABLED rule whose pattern matches; the target's ``InputPath`` (or constant ``Input``) shapes
the input — ``$.detail`` is the entry's Detail text as the producer sent it; the target's role is
assumed as ``events.amazonaws.com`` and StartExecution is called with its credentials, so the
role's policy decides. The input must also be one the pipeline can accept
(``handlers.limits.execution_input_problem``, the check every entry we ship makes); a refused
input is a failed invocation with Step Functions' ``InvalidExecutionInput``, as a StartExecution
that refuses it would be. EventBridge sends errors that come from missing permissions or a target
that does not exist straight to the DLQ, and retries the others up to the target's
``RetryPolicy`` (user guide, "Event retry policy and using dead-letter queues"; harness cap
``MAX_HARNESS_RETRIES``, no real backoff). A delivery that still fails goes to the target's
dead-letter queue — if the queue policy lets ``events.amazonaws.com`` send for this rule's ARN
(``aws:SourceArn``), as AWS requires — with EventBridge's message attributes. Other target types
keep moto's delivery.

SQS targets are delivered the same way where moto is lenient (moto sends to any queue, whatever
its policy or key): EventBridge sends to a queue as ``events.amazonaws.com``, which only the
queue's policy can allow (user guide, "Using resource-based policies for Amazon EventBridge",
Amazon SQS permissions) — here a statement for ``sqs:SendMessage`` with ``aws:SourceArn`` = the
rule; to a queue encrypted with a customer managed key, the key's policy must let the service use
it (SQS developer guide, "Configure KMS permissions for AWS services": ``kms:GenerateDataKey``
and ``kms:Decrypt``), here for the rule's ARN. A refusal is ``AccessDenied`` /
``KMS.AccessDeniedException``, not retried: the event goes to the target's DLQ. ``InputPath``
``$.detail`` sends the Detail as the producer sent it as the message body.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from moto.events.exceptions import ValidationException
from moto.events.models import EventsBackend, Rule
from moto.kms.exceptions import NotFoundException
from moto.kms.models import kms_backends
from moto.sqs.models import sqs_backends

from handlers.limits import execution_input_problem
from harness.emulator.credentials import Credentials

EVENTS = "events.amazonaws.com"
MAX_HARNESS_RETRIES = 2
# Errors EventBridge does not retry: missing permissions, a target that does not exist.
NOT_RETRIED = {
    "AccessDenied",
    "AccessDeniedException",
    "KMS.AccessDeniedException",
    "InvalidArn",
    "StateMachineDeleting",
    "StateMachineDoesNotExist",
}
MAX_ENTRIES_BYTES = 256 * 1024
MAX_DETAIL_DEPTH = 1100
INT64 = range(-(2**63), 2**63)
MALFORMED_DETAIL = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
log = logging.getLogger(__name__)
# The Detail text of the entry moto is now delivering (one entry at a time, see put_events).
_delivering = threading.local()


@dataclass
class Delivery:
    rule_arn: str
    target_arn: str
    execution_arn: str | None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 1
    dead_lettered: bool = False
    message_id: str | None = None  # an SQS target's message

    @property
    def delivered(self) -> bool:
        return self.execution_arn is not None or self.message_id is not None


class StateMachineTargets:
    """Delivers to state machine and SQS targets; keeps a record of every delivery (tests/serve)."""

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

    def deliver(
        self,
        rule: Any,
        target: dict[str, Any],
        event: dict[str, Any],
        detail_text: str | None = None,
    ) -> Delivery:
        """Deliver ``event`` (``detail_text``: its Detail as sent, when known) to ``target``."""
        retry = target.get("RetryPolicy") or {}
        retries = min(int(retry.get("MaximumRetryAttempts", 185)), MAX_HARNESS_RETRIES)
        delivery = Delivery(rule.arn, target["Arn"], None)
        to_queue = target["Arn"].split(":")[2] == "sqs"
        for attempt in range(1, retries + 2):
            delivery.attempts = attempt
            try:
                if to_queue:
                    delivery.message_id = self._send(rule, target, event, detail_text)
                else:
                    delivery.execution_arn = self._start(target, event, detail_text)
                delivery.error_code = delivery.error_message = None
                break
            except ClientError as error:
                delivery.error_code = error.response["Error"]["Code"]
                delivery.error_message = error.response["Error"]["Message"]
                if delivery.error_code in NOT_RETRIED:
                    break
            except Exception as error:  # no role, a role events.amazonaws.com cannot assume
                delivery.error_code, delivery.error_message = type(error).__name__, str(error)
                break
        if not delivery.delivered:
            delivery.dead_lettered = self._dead_letter(rule, target, event, detail_text, delivery)
        self.deliveries.append(delivery)
        return delivery

    def _start(self, target: dict[str, Any], event: dict[str, Any], detail_text: str | None) -> str:
        if not target.get("RoleArn"):
            raise PermissionError("a Step Functions target needs a RoleArn")
        payload = target_input(target, event, detail_text)
        problem = execution_input_problem(payload)
        if problem is not None:
            raise ClientError(
                {"Error": {"Code": "InvalidExecutionInput", "Message": problem.message}},
                "StartExecution",
            )
        credentials = self._assume_role(target["RoleArn"], EVENTS)
        response = self._client("stepfunctions", credentials).start_execution(
            # EventBridge lets Step Functions name the execution (a UUID); moto would name it "None"
            stateMachineArn=target["Arn"],
            input=payload,
            name=str(uuid.uuid4()),
        )
        return str(response["executionArn"])

    def _send(
        self, rule: Any, target: dict[str, Any], event: dict[str, Any], detail_text: str | None
    ) -> str:
        queue_arn = target["Arn"]
        queue_name = queue_arn.rsplit(":", 1)[1]
        queue = sqs_backends[self._account_id][self._region].get_queue(queue_name)
        if not admits_rule(queue.policy, queue_arn, rule.arn):
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": f"{EVENTS} may not send to "
                           f"{queue_arn} for {rule.arn} (queue policy)"}},
                "SendMessage",
            )  # fmt: skip
        key = queue.kms_master_key_id
        if key and not key_admits_rule(self._key_policy(key), rule.arn):
            raise ClientError(
                {"Error": {"Code": "KMS.AccessDeniedException", "Message": f"{EVENTS} may not "
                           f"use {key} for {rule.arn} (key policy)"}},
                "SendMessage",
            )  # fmt: skip
        # Sent as the service principal, which has no credentials here: the queue's and the key's
        # policies were checked above, the message is sent with the harness admin's.
        sqs = self._client("sqs", None)
        response = sqs.send_message(
            QueueUrl=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"],
            MessageBody=target_input(target, event, detail_text),
        )
        return str(response["MessageId"])

    def _key_policy(self, key: str) -> str | None:
        """The key policy of the queue's key (an ARN, id or alias); None when it does not exist."""
        kms = kms_backends[self._account_id][self._region]
        try:
            return str(kms.get_key_policy(kms.any_id_to_key_id(key)))
        except NotFoundException:  # a key that does not exist admits nobody
            return None

    def _dead_letter(
        self,
        rule: Any,
        target: dict[str, Any],
        event: dict[str, Any],
        detail_text: str | None,
        delivery: Delivery,
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
        if delivery.error_code not in NOT_RETRIED and delivery.attempts > 1:
            attributes["EXHAUSTED_RETRY_CONDITION"] = "MaximumRetryAttemptsExhausted"
        # EventBridge sends as the service principal, which has no credentials here: the queue
        # policy was checked above, the message is sent with the harness admin's.
        sqs = self._client("sqs", None)
        try:
            sqs.send_message(
                QueueUrl=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"],
                MessageBody=event_text(event, detail_text),
                MessageAttributes={
                    k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v
                },
            )
        except ClientError as error:  # EventBridge's InvocationsFailedToBeSentToDLQ
            log.warning("event %s not sent to DLQ %s: %s", event.get("id"), queue_arn, error)
            return False
        return True


def target_input(target: dict[str, Any], event: dict[str, Any], detail_text: str | None) -> str:
    """The target's input text: its constant ``Input``, or the event through its ``InputPath``."""
    if target.get("InputTransformer"):
        raise NotImplementedError("harness: InputTransformer on a Step Functions target")
    if target.get("Input"):
        return str(target["Input"])
    path = target.get("InputPath") or "$"
    if path == "$":
        return event_text(event, detail_text)
    if path == "$.detail" and detail_text is not None:
        return detail_text
    return json.dumps(apply_input_path(event, path))


def event_text(event: dict[str, Any], detail_text: str | None) -> str:
    """The event as JSON text, its ``detail`` (last, as in EventBridge's events) as sent."""
    if detail_text is None:
        return json.dumps(event, default=str)
    envelope = json.dumps({k: v for k, v in event.items() if k != "detail"}, default=str)
    return f'{envelope[:-1]}, "detail": {detail_text}}}'


def entry_size(entry: dict[str, Any]) -> int:
    """A PutEvents entry's size as EventBridge counts it."""
    texts = [entry.get("Source"), entry.get("DetailType"), entry.get("Detail")]
    texts += entry.get("Resources") or []
    size = 14 if entry.get("Time") is not None else 0
    return size + sum(len(text.encode("utf-8")) for text in texts if isinstance(text, str))


def malformed_detail(text: str) -> bool:
    """Detail that EventBridge refuses with ``MalformedDetail``."""

    def refuse(token: str) -> Any:
        raise ValueError(f"non-standard JSON {token}")

    def integer(token: str) -> int:
        # the digit count first: int() refuses over 4,300 digits with its own error
        if len(token.lstrip("-")) > 19 or int(token) not in INT64:
            raise ValueError("integer outside the signed 64-bit range")
        return int(token)

    try:
        value = json.loads(text, parse_constant=refuse, parse_int=integer)
    except (ValueError, RecursionError):  # not JSON at all (moto's own check), or the above
        return True
    return not isinstance(value, dict) or depth(value) > MAX_DETAIL_DEPTH


def depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


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


def key_admits_rule(policy: str | None, rule_arn: str) -> bool:
    """The key policy lets events.amazonaws.com generate data keys for ``rule_arn``."""
    if not policy:
        return False
    document = json.loads(policy)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = (statement.get("Principal") or {}).get("Service")
        principals = [principal] if isinstance(principal, str) else principal or []
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        condition = statement.get("Condition") or {}
        sources = [condition.get(op, {}).get("aws:SourceArn") for op in ("ArnEquals", "ArnLike")]
        if (
            statement.get("Effect") == "Allow"
            and EVENTS in principals
            and "kms:GenerateDataKey" in actions
            and rule_arn in sources
        ):
            return True
    return False


@contextmanager
def state_machine_targets(targets: StateMachineTargets) -> Iterator[StateMachineTargets]:
    """Patch moto's PutEvents (the limits above) and its rule delivery, so that state machine
    targets are delivered by ``targets``."""
    original_put_events = EventsBackend.put_events
    original_send = Rule.send_to_targets

    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) > 10:  # moto refuses the request as AWS does
            results: list[dict[str, Any]] = original_put_events(self, events)
            return results
        if sum(entry_size(entry) for entry in events) > MAX_ENTRIES_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        results = []
        for entry in events:
            detail = entry.get("Detail")
            if isinstance(detail, str) and malformed_detail(detail):
                results.append(dict(MALFORMED_DETAIL))
                continue
            _delivering.detail = detail
            try:
                results += original_put_events(self, [entry])
            finally:
                _delivering.detail = None
        return results

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED" or not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            if target["Arn"].split(":")[2] in ("states", "sqs"):
                targets.deliver(self, target, original_event, getattr(_delivering, "detail", None))
            else:
                others.append(target)
        if others:
            clone = copy.copy(self)
            clone.targets = others
            original_send(clone, original_event, transform_input)

    EventsBackend.put_events = put_events
    Rule.send_to_targets = send_to_targets
    try:
        yield targets
    finally:
        Rule.send_to_targets = original_send
        EventsBackend.put_events = original_put_events
