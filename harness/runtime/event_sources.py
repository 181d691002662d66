"""Lambda's SQS event-source mappings, run for real: a poller per mapping.

moto 5.2.5 invokes a mapped function inside ``SendMessage`` itself, one receive per message sent,
ignoring ``MaximumBatchingWindowInSeconds`` and the partial batch response
(``harness.emulator.patches.lambda_.sqs_event_sources`` detaches that). Here each mapping has a
``SqsPoller`` that does what Lambda documents (Lambda Developer Guide, "Using Lambda with Amazon
SQS": "Polling and batching behavior", "Handling errors for an SQS event source in Lambda",
"Implementing partial batch responses"):

- it polls the queue with the credentials of the function's execution role (``ReceiveMessage``,
  at most 10 messages a call, long polling; ``DeleteMessage``), so the role's policy decides;
- it gathers up to ``BatchSize`` messages and invokes the function once the batch is full, the
  batching window has passed since the first message of the batch, or the next message would take
  the event over Lambda's 6 MB invocation payload; the window bounds the wait for messages that
  have not arrived yet — messages already waiting join the batch even when the window has passed
  (Lambda's pollers receive in parallel; the emulator's receives take milliseconds each, which a
  scaled window would otherwise count against the batch);
- the function is invoked synchronously (``Invoke`` as the Lambda service, so the in-process
  runtime runs it under its own role) with the event Lambda builds (``Records``: ``messageId``,
  ``receiptHandle``, ``body``, ``attributes``, ``messageAttributes``, ``md5OfBody``,
  ``eventSource``, ``eventSourceARN``, ``awsRegion``);
- a function error, a throttled or failed ``Invoke``, fails the whole batch; with
  ``ReportBatchItemFailures`` the response's ``batchItemFailures`` name the failed messages — an
  empty or null list (or no response) is a complete success, an ``itemIdentifier`` that is empty,
  null, under another key or not a message of the batch fails the whole batch; without it a
  success deletes every message;
- the messages of a batch that did not succeed are left as they are: they reappear after the
  queue's visibility timeout with one more receive, and SQS moves one to the queue's DLQ once its
  receives exceed ``maxReceiveCount`` (moto's redrive, on receive).

Time: the batching window and the visibility timeout the poller receives with are the mapping's
and the queue's, scaled by ``window_scale`` and ``visibility_scale`` (tests and ``serve`` run them
faster; the soak keeps the window as deployed, for its latency figure, and shortens only the wait
before a failed batch comes back). The visibility timeout stays at least what gathering a batch
takes — the scaled window and the emulator's receives of ``BatchSize`` messages — plus
``GATHER_MARGIN`` seconds, as the deployed one covers the window; and at least half as long again
as the slowest of the poller's recent batches took from its first receive to its last delete. A
receive's cost grows with the queue's backlog in moto (it scans every message) and with the
machine's load, so a fixed estimate would let the messages of a slow gathering come back while it
still gathers — each time one more receive, until SQS moves them to the DLQ while their batch is
being handled: a loss of the scaled clock, never of AWS (the deployed timeout, 6 times the
consumer's timeout plus the window, covers a batch many times over).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from harness.emulator.credentials import Credentials
    from harness.runtime import Host

LAMBDA = "lambda.amazonaws.com"
MAX_RECEIVE = 10  # ReceiveMessage's MaxNumberOfMessages
MAX_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous invocation payload
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
IDLE_WAIT_SECONDS = 1  # the longest long poll; short, so that stop() is prompt
# What a receive of 10 messages takes in the emulator (IAM enforced), at most, and the seconds a
# scaled visibility timeout keeps beyond a whole batch's gathering.
RECEIVE_SECONDS = 0.15
GATHER_MARGIN = 2
RECENT_BATCHES = 8  # the batches whose handling times bound the next visibility timeout
ATTRIBUTES = ["All"]
log = logging.getLogger(__name__)


@dataclass
class Mapping:
    """An SQS event-source mapping as Lambda holds it."""

    uuid: str
    queue_arn: str
    function_arn: str
    batch_size: int
    window_seconds: float
    report_item_failures: bool
    enabled: bool = True

    @property
    def queue_url_parts(self) -> tuple[str, str]:
        """(account, queue name) of the queue's ARN."""
        parts = self.queue_arn.split(":")
        return parts[4], parts[5]


@dataclass
class BatchOutcome:
    """One invocation: the messages handed over, those deleted, and why the rest were not."""

    messages: int
    deleted: int
    error: str | None = None
    failed_ids: list[str] = field(default_factory=list)


class SqsPoller:
    def __init__(
        self,
        host: Host,
        mapping: Mapping,
        window_scale: float = 1.0,
        visibility_scale: float = 1.0,
    ) -> None:
        self.host = host
        self.mapping = mapping
        self.window_scale = window_scale
        self.visibility_scale = visibility_scale
        self.outcomes: list[BatchOutcome] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one batch at a time
        self._handled: deque[float] = deque(maxlen=RECENT_BATCHES)  # seconds per recent batch

    # the queue and the function

    def _role_credentials(self) -> Credentials:
        function = self.host.client("lambda").get_function(FunctionName=self.mapping.function_arn)
        credentials: Credentials = self.host.assume_role(function["Configuration"]["Role"], LAMBDA)
        return credentials

    def _queue_url(self) -> str:
        """The queue's URL, which Lambda knows from the mapping (the role needs no GetQueueUrl)."""
        account, name = self.mapping.queue_url_parts
        url: str = self.host.client("sqs").get_queue_url(
            QueueName=name, QueueOwnerAWSAccountId=account
        )["QueueUrl"]
        return url

    def _visibility(self, sqs: Any, url: str) -> int:
        """The queue's visibility timeout, scaled, and never shorter than the time a batch takes
        to gather (the scaled window, and the emulator's receives of a full batch): a message
        received early in a batch must not come back before the batch is handed over (why Lambda
        wants the timeout to cover the window) — nor than half as long again as the slowest
        recent batch took to handle (the module's docstring)."""
        value = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        seconds = int(value["Attributes"]["VisibilityTimeout"])
        window = self.mapping.window_seconds * self.window_scale
        gather = math.ceil(window + RECEIVE_SECONDS * self.mapping.batch_size / MAX_RECEIVE)
        handled = math.ceil(1.5 * self.visibility_floor_seconds)
        scaled = math.ceil(seconds * self.visibility_scale)
        return max(1, scaled, gather + GATHER_MARGIN, handled + GATHER_MARGIN)

    @property
    def visibility_floor_seconds(self) -> float:
        """The slowest recent batch's handling time (first receive to last delete), seconds."""
        return max(self._handled, default=0.0)

    # one batch

    def poll_once(self, wait_seconds: int = IDLE_WAIT_SECONDS) -> BatchOutcome | None:
        """Gather one batch (waiting up to ``wait_seconds`` for its first message) and invoke the
        function with it; None when no message came (or the mapping is disabled)."""
        if not self.mapping.enabled:
            return None
        with self._lock:
            sqs = self.host.client("sqs", self._role_credentials())
            url = self._queue_url()
            visibility = self._visibility(sqs, url)
            batch, first_received = self._gather(sqs, url, visibility, wait_seconds)
            if not batch:
                return None
            outcome = self._invoke(sqs, url, batch)
            self._handled.append(time.monotonic() - first_received)
            self.outcomes.append(outcome)
            return outcome

    def _receive(self, sqs: Any, url: str, count: int, visibility: int, wait: int) -> list[Any]:
        faults = getattr(self.host, "faults", None)
        try:
            with faults.on_behalf() if faults is not None else nullcontext():
                response = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(MAX_RECEIVE, count),
                    VisibilityTimeout=visibility,
                    WaitTimeSeconds=wait,
                    AttributeNames=ATTRIBUTES,
                    MessageAttributeNames=ATTRIBUTES,
                )
        except (ClientError, BotoCoreError) as error:  # Lambda retries the poll later
            log.warning("poll of %s failed: %s", self.mapping.queue_arn, error)
            return []
        messages: list[Any] = response.get("Messages", [])
        return messages

    def _gather(
        self, sqs: Any, url: str, visibility: int, wait: int
    ) -> tuple[list[dict[str, Any]], float]:
        """The batch, and when its first receive was answered (monotonic)."""
        size = self.mapping.batch_size
        batch: list[dict[str, Any]] = []
        payload = len('{"Records": []}')
        first = self._receive(sqs, url, size, visibility, wait)
        started = time.monotonic()  # the first messages' timeout runs from about now
        if not first:
            return batch, started
        window = self.mapping.window_seconds * self.window_scale
        deadline = time.monotonic() + window
        pending = list(first)
        held: dict[str, dict[str, Any]] = {}  # message id -> its record in the batch
        while True:
            fresh = False
            for message in pending:
                if message["MessageId"] in held:
                    # received again while the batch gathers: only the newest receipt is valid
                    held[message["MessageId"]]["receiptHandle"] = message["ReceiptHandle"]
                    continue
                record = self._record(message)
                grown = payload + len(json.dumps(record)) + 2
                if batch and grown > MAX_PAYLOAD:
                    # Lambda keeps it for the next batch: here it reappears after the timeout.
                    continue
                batch.append(record)
                held[record["messageId"]] = record
                payload, fresh = grown, True
            remaining = deadline - time.monotonic()
            if len(batch) >= size or payload >= MAX_PAYLOAD or (remaining <= 0 and not fresh):
                return batch, started
            if self._stop.is_set():  # stopping: hand over what is gathered, leave nothing held
                return batch, started
            wait = max(0, min(IDLE_WAIT_SECONDS, int(remaining)))  # short, so stop() is prompt
            pending = self._receive(sqs, url, size - len(batch), visibility, wait)
            if not pending and 0 < remaining < 1:
                time.sleep(min(remaining, 0.02))

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {
                key: attributes[key]
                for key in (
                    "ApproximateReceiveCount",
                    "SentTimestamp",
                    "SenderId",
                    "ApproximateFirstReceiveTimestamp",
                )
                if key in attributes
            },
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType"),
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.mapping.queue_arn,
            "awsRegion": self.host.region,
        }

    def _invoke(self, sqs: Any, url: str, batch: list[dict[str, Any]]) -> BatchOutcome:
        event = {"Records": batch}
        try:
            response = self.host.client("lambda").invoke(
                FunctionName=self.mapping.function_arn, Payload=json.dumps(event).encode("utf-8")
            )
            payload = response["Payload"].read()
        except (ClientError, BotoCoreError) as error:
            return BatchOutcome(len(batch), 0, f"Invoke: {error}")
        if response.get("FunctionError"):
            return BatchOutcome(len(batch), 0, f"function error: {payload[:512]!r}")
        failed = self.failed_messages(payload, [r["messageId"] for r in batch])
        if failed is None:
            return BatchOutcome(len(batch), 0, "invalid partial batch response")
        deleted = 0
        for record in batch:
            if record["messageId"] in failed:
                continue
            try:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
            except (ClientError, BotoCoreError) as error:  # it reappears after the timeout
                log.warning("delete of %s failed: %s", record["messageId"], error)
                continue
            deleted += 1
        return BatchOutcome(len(batch), deleted, None, sorted(failed))

    def failed_messages(self, payload: bytes, message_ids: list[str]) -> set[str] | None:
        """The messages a response reports failed (an empty set: all succeeded), or None when
        the response fails the whole batch."""
        if not self.mapping.report_item_failures:
            return set()
        if not payload.strip() or payload.strip() == b"null":
            return set()
        try:
            response = json.loads(payload)
        except ValueError:
            return None
        if not isinstance(response, dict):
            return set() if response is None else None
        failures = response.get("batchItemFailures")
        if failures is None:
            return set()
        if not isinstance(failures, list):
            return None
        known = set(message_ids)
        failed: set[str] = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in known:
                return None
            failed.add(identifier)
        return failed

    # running

    def drain(self, timeout: float = 60.0) -> list[BatchOutcome]:
        """Poll until the queue has nothing visible (tests); the batches it invoked."""
        outcomes: list[BatchOutcome] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            outcome = self.poll_once(wait_seconds=0)
            if outcome is None:
                return outcomes
            outcomes.append(outcome)
        raise TimeoutError(f"{self.mapping.queue_arn} still had messages after {timeout} s")

    def start(self) -> None:
        """Poll continuously on a thread of its own (``serve``)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"sqs-poller-{self.mapping.uuid[:8]}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # a poller keeps polling, as Lambda's does
                log.exception("poller of %s", self.mapping.queue_arn)
                self._stop.wait(1)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None


class SqsEventSources:
    """The emulator's SQS event-source mappings and their pollers."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.window_scale = self.visibility_scale = 1.0
        self.pollers: dict[str, SqsPoller] = {}

    def add(self, mapping: Mapping) -> SqsPoller:
        poller = SqsPoller(self.host, mapping, self.window_scale, self.visibility_scale)
        self.pollers[mapping.uuid] = poller
        return poller

    def for_queue(self, queue_arn: str) -> SqsPoller:
        found = [p for p in self.pollers.values() if p.mapping.queue_arn == queue_arn]
        if len(found) != 1:
            raise LookupError(f"{len(found)} event-source mappings on {queue_arn}")
        return found[0]

    def scale(self, window: float, visibility: float | None = None) -> None:
        """Scale every poller's batching window and visibility timeout (the same unless given)."""
        self.window_scale = window
        self.visibility_scale = window if visibility is None else visibility
        for poller in self.pollers.values():
            poller.window_scale, poller.visibility_scale = self.window_scale, self.visibility_scale

    def drain(self, timeout: float = 60.0) -> list[BatchOutcome]:
        """Poll every mapping until none has a visible message."""
        outcomes: list[BatchOutcome] = []
        deadline = time.monotonic() + timeout
        while True:
            rounds = [p.drain(max(0.1, deadline - time.monotonic())) for p in self.pollers.values()]
            if not any(rounds):
                return outcomes
            outcomes += [o for r in rounds for o in r]

    def start(self) -> None:
        for poller in self.pollers.values():
            poller.start()

    def stop(self) -> None:
        for poller in self.pollers.values():
            poller.stop()
