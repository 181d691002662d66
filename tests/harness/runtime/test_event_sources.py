"""Lambda's SQS event-source mapping in the emulator (harness.runtime.event_sources): batches of
BatchSize, partial batch responses, whole-batch failures, receives counted to the DLQ, the mapping
checked as Lambda checks it, and no invocation inside SendMessage."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from tests.harness.emulated import function, queue


def mapped(
    emulator: Emulator, handler: str = "partial", batch_size: int = 10, window: int = 0
) -> tuple[str, str, Any]:
    """A queue (its DLQ after 2 receives) mapped to a function; (queue url, DLQ url, poller)."""
    sqs = emulator.client("sqs")
    dlq_url, dlq_arn = queue(emulator, "dead")
    url = sqs.create_queue(
        QueueName="buffer",
        Attributes={
            "VisibilityTimeout": "100",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    fn = function(emulator, "consumer", handler)
    emulator.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=fn,
        BatchSize=batch_size,
        MaximumBatchingWindowInSeconds=window,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    emulator.event_sources.scale(0.01)  # visibility 100 s -> the gathering's own minimum
    return url, dlq_url, emulator.event_sources.for_queue(arn)


def send(emulator: Emulator, url: str, *bodies: str) -> None:
    for body in bodies:
        emulator.client("sqs").send_message(QueueUrl=url, MessageBody=body)


def visible(emulator: Emulator, url: str) -> int:
    attributes = emulator.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_sendmessage_invokes_nothing_and_batches_follow_the_batch_size(emulator: Emulator) -> None:
    url, _, poller = mapped(emulator, batch_size=10)
    send(emulator, url, *[f"m{i}" for i in range(25)])
    assert emulator.runtime.invocations == []  # moto's inline invocation is detached
    outcomes = poller.drain()
    assert [(o.messages, o.deleted, o.error) for o in outcomes] == [
        (10, 10, None),
        (10, 10, None),
        (5, 5, None),
    ]
    event = emulator.runtime.invocations[0]
    assert event.function_name == "consumer"
    assert visible(emulator, url) == 0


def test_messages_already_waiting_join_a_batch_within_its_window(emulator: Emulator) -> None:
    url, _, poller = mapped(emulator, batch_size=100, window=1)
    send(emulator, url, *[f"m{i}" for i in range(25)])
    (outcome,) = poller.drain()
    assert (outcome.messages, outcome.deleted) == (25, 25)


def test_reported_failures_come_back_and_move_to_the_dlq_after_the_receives(
    emulator: Emulator,
) -> None:
    url, dlq_url, poller = mapped(emulator)
    send(emulator, url, "ok-1", "fail", "ok-2")
    first = poller.poll_once(wait_seconds=0)
    assert first is not None
    assert (first.messages, first.deleted, len(first.failed_ids)) == (3, 2, 1)
    second = poller.poll_once(wait_seconds=5)  # after the visibility timeout: receive 2
    assert second is not None
    assert (second.messages, second.deleted) == (1, 0)
    assert poller.poll_once(wait_seconds=5) is None  # receive 3 moves it: maxReceiveCount 2
    received = emulator.client("sqs").receive_message(
        QueueUrl=dlq_url, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert [m["Body"] for m in received] == ["fail"]


@pytest.mark.parametrize(
    ("bodies", "error"),
    [
        (["ok", "crash"], "function error"),  # the function failed: the whole batch
        (["ok", "bad-id"], "invalid partial batch response"),  # an identifier not in the batch
    ],
)
def test_a_failed_invocation_or_an_invalid_response_fails_the_whole_batch(
    emulator: Emulator, bodies: list[str], error: str
) -> None:
    url, _, poller = mapped(emulator)
    send(emulator, url, *bodies)
    outcome = poller.poll_once(wait_seconds=0)
    assert outcome is not None
    assert (outcome.messages, outcome.deleted) == (2, 0)
    assert outcome.error is not None
    assert outcome.error.startswith(error)


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (b"", set()),
        (b"null", set()),
        (b"{}", set()),
        (b'{"batchItemFailures": null}', set()),
        (b'{"batchItemFailures": []}', set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "a"}]}', {"a"}),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
        (b'{"batchItemFailures": [{"itemId": "a"}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": "z"}]}', None),
        (b'{"batchItemFailures": "a"}', None),
        (b"[1, 2", None),
    ],
)
def test_partial_batch_responses_are_read_as_lambda_reads_them(
    emulator: Emulator, payload: bytes, failed: set[str] | None
) -> None:
    _, _, poller = mapped(emulator)
    assert poller.failed_messages(payload, ["a", "b"]) == failed


@pytest.mark.parametrize(
    ("size", "window", "types", "message"),
    [
        (11, 0, [], "greater than 0 if maximum batch size is greater than 10"),
        (10_001, 1, [], "BatchSize must be between 1 and 10000"),
        (10, 301, [], "MaximumBatchingWindowInSeconds must be between 0 and 300"),
        (10, 0, ["Everything"], "only ReportBatchItemFailures is valid"),
    ],
)
def test_mappings_are_checked_as_lambda_checks_them(
    emulator: Emulator, size: int, window: int, types: list[str], message: str
) -> None:
    _, arn = queue(emulator, "q")
    fn = function(emulator, "f", "partial")
    with pytest.raises(ClientError) as refused:
        emulator.client("lambda").create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=fn,
            BatchSize=size,
            MaximumBatchingWindowInSeconds=window,
            FunctionResponseTypes=types,
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert message in refused.value.response["Error"]["Message"]


def test_the_poller_receives_with_the_function_role(emulator: Emulator) -> None:
    """A role without sqs:ReceiveMessage receives nothing: the message stays in the queue."""
    url, _, poller = mapped(emulator)
    role = emulator.client("lambda").get_function(FunctionName="consumer")["Configuration"]["Role"]
    emulator.client("iam").put_role_policy(
        RoleName=role.rsplit("/", 1)[1],
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sqs:GetQueueAttributes", "Resource": "*"}
                ],
            }
        ),
    )
    send(emulator, url, "ok")
    assert poller.poll_once(wait_seconds=0) is None
    assert visible(emulator, url) == 1


def test_the_visibility_timeout_covers_the_slowest_recent_batch(emulator: Emulator) -> None:
    """Scaled to 1 s, the timeout keeps the gathering's minimum (3 s) until a batch takes longer:
    then half as long again as that batch, plus the margin — so the messages of a slow gathering
    do not come back, a receive more each time, while their batch is still being handled."""
    url, _, poller = mapped(emulator)
    sqs = emulator.client("sqs")
    assert poller._visibility(sqs, url) == 3
    send(emulator, url, "ok")
    outcome = poller.poll_once(wait_seconds=0)
    assert outcome is not None
    assert outcome.deleted == 1
    assert 0 < poller.visibility_floor_seconds < 1
    poller._handled.append(10.0)  # a batch that took 10 s, as under a backlog or a loaded machine
    assert poller._visibility(sqs, url) == 17


def test_stopping_hands_over_a_gathering_batch_at_once(emulator: Emulator) -> None:
    url, _, poller = mapped(emulator, batch_size=100, window=300)
    poller.window_scale = 1.0  # a 300 s window: the batch would wait 5 minutes
    poller.start()
    send(emulator, url, "m0", "m1")
    deadline = time.monotonic() + 10
    held = "ApproximateNumberOfMessagesNotVisible"
    sqs = emulator.client("sqs")
    while sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[held])["Attributes"][held] != "2":
        assert time.monotonic() < deadline, "the poller did not receive the messages"
        time.sleep(0.05)
    started = time.monotonic()
    poller.stop()
    assert time.monotonic() - started < 5  # a long poll lasts a second at most
    assert [(o.messages, o.deleted) for o in poller.outcomes] == [(2, 2)]  # handed over, deleted
    assert visible(emulator, url) == 0
