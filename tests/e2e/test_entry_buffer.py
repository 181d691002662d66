"""The buffered entry in the emulator: the route's SendMessage with the API role, the rule's SQS
target, the consumer's batches (Lambda's event-source mapping run for real), each body stored as
received; a batch that cannot start ends in the buffer's DLQ and is redriven; the sweep covers the
executions the Batch function started.

One module deployment where tests only add data (each test has users of its own), time scaled
(window 5 s -> 50 ms, visibility 185 s -> 2 s); the DLQ test breaks the Batch role and takes a
deployment of its own, as does the sweep's (test_entry_buffer_recovery.py).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from handlers import keys
from harness.deploy import Deployment
from harness.serve.http_api import HttpApiServer
from ops.executions import wait
from tests.e2e.conftest import items_for_user

SCALE = 0.01


@pytest.fixture(scope="module")
def api(dev: Deployment) -> Iterator[HttpApiServer]:
    dev.emulator.event_sources.scale(SCALE)
    with HttpApiServer(dev.emulator, dev.outputs["http_api_id"]) as server:
        yield server


def post(api: HttpApiServer, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST /events as a client does: sent again after a 429 (the dev stage's burst 50, rate 25
    per second)."""
    while True:
        request = urllib.request.Request(f"{api.url}events", data=body, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 429:
                return int(error.code), json.loads(error.read())
        time.sleep(0.02)


def event(user: str, i: int, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user,
        "action": "click",
        "event_time": f"2025-05-01T10:{i // 60:02d}:{i % 60:02d}Z",
        "event_id": f"{user}-{i}",
        **extra,
    }


def executions(dev: Deployment) -> dict[str, dict[str, Any]]:
    """Every execution of the main state machine, described once it ended, by name."""
    sfn = dev.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=dev.outputs["state_machine_arn"])["executions"]
    return {e["name"]: wait(sfn, e["executionArn"], 60) for e in listed}


def raw_lines(dev: Deployment, user: str) -> list[str]:
    """The raw lines of every raw object holding an event of ``user``."""
    s3, bucket = dev.client("s3"), dev.outputs["raw_bucket_name"]
    lines: list[str] = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="ingest/").get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
        lines += [line for line in body.splitlines() if f'"{user}' in line]
    return lines


def rejected(dev: Deployment) -> dict[str, str]:
    """event_id -> reason, over every rejected object."""
    s3, bucket = dev.client("s3"), dev.outputs["raw_bucket_name"]
    found: dict[str, str] = {}
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="rejected/").get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
        for line in body.splitlines():
            record = json.loads(line)
            found[record["event_id"]] = record["reason"]
    return found


def test_the_route_sends_each_body_as_received_and_its_record_is_stored_so(
    dev: Deployment, api: HttpApiServer
) -> None:
    before = set(executions(dev))
    bodies = [
        b'{ "user_id" : "u-buf-raw", "action": "Page View",\r\n "event_time": '
        b'"2025-05-01T10:00:00Z", "event_id": "raw-1", "properties": {"n": 1.50e2} }',
        json.dumps(event("u-buf-raw", 2, page="/\u00fc\U0001f600"), ensure_ascii=False).encode(),
    ]
    answers = [post(api, body) for body in bodies]
    assert [status for status, _ in answers] == [200, 200]
    assert all(set(answer) == {"MessageId", "MD5OfMessageBody"} for _, answer in answers)
    outcomes = dev.emulator.event_sources.drain()
    assert sum(o.messages for o in outcomes) == 2
    assert all(o.error is None for o in outcomes)
    new = {name: e for name, e in executions(dev).items() if name not in before}
    assert len(new) == 1  # one micro-batch
    (started,) = new.values()
    assert started["status"] == "SUCCEEDED"
    assert json.loads(started["input"]) == {"records": [b.decode() for b in bodies]}
    # each raw line is the body as received (CR/LF only ever become spaces), never re-serialized
    assert sorted(raw_lines(dev, "u-buf-raw")) == sorted(
        b.decode().replace("\r", " ").replace("\n", " ") for b in bodies
    )
    assert len(items_for_user(dev, "u-buf-raw")) == 2


def test_single_events_from_parallel_clients_travel_in_few_executions(
    dev: Deployment, api: HttpApiServer
) -> None:
    before = set(executions(dev))
    bodies = [json.dumps(event("u-buf-many", i)).encode() for i in range(60)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for status, _ in pool.map(lambda b: post(api, b), bodies)]
    assert statuses == [200] * 60
    dev.emulator.event_sources.drain()
    new = [e for name, e in executions(dev).items() if name not in before]
    assert len(items_for_user(dev, "u-buf-many")) == 60
    assert {e["status"] for e in new} == {"SUCCEEDED"}
    assert len(new) <= 3  # a batch of up to 1,000 messages: at most maxBatchEvents (500) each
    assert all(e["name"].startswith("b-") for e in new)


def test_a_poison_record_in_a_batch_of_100_is_rejected_and_fails_no_neighbour(
    dev: Deployment, api: HttpApiServer
) -> None:
    before = set(executions(dev))
    bodies = [json.dumps(event("u-buf-poison", i)).encode() for i in range(99)]
    poison = b'{"user_id": "u-buf-poison", "action": "click", "event_time": '  # cut short
    bodies.insert(42, poison)
    for body in bodies:
        assert post(api, body)[0] == 200
    dev.emulator.event_sources.drain()
    new = [e for name, e in executions(dev).items() if name not in before]
    assert [(e["status"], len(json.loads(e["input"])["records"])) for e in new] == [
        ("SUCCEEDED", 100)
    ]
    assert len(items_for_user(dev, "u-buf-poison")) == 99
    assert rejected(dev)[keys.short_hash_bytes(poison)] == "not_json"
    output = json.loads(new[0]["output"])
    assert (output["written"], [r["reason"] for r in output["rejected"]]) == (99, ["not_json"])


def test_an_envelope_body_travels_event_by_event_and_a_bad_one_is_rejected_whole(
    dev: Deployment, api: HttpApiServer
) -> None:
    good = {"events": [event("u-buf-env", i) for i in range(3)]}
    beside = {"events": [event("u-buf-env", 9)], "replay": {"raw_key": "ingest/x.json"}}
    assert post(api, json.dumps(good).encode())[0] == 200
    assert post(api, json.dumps(beside).encode())[0] == 200
    dev.emulator.event_sources.drain()
    executions(dev)  # every one ended
    assert sorted(i["event_id"]["S"] for i in items_for_user(dev, "u-buf-env")) == [
        "u-buf-env-0",
        "u-buf-env-1",
        "u-buf-env-2",
    ]
    # no client input reaches a replay: an envelope beside `replay` is data, rejected as a whole
    assert rejected(dev)[keys.short_hash(beside)] == "invalid_envelope"


def test_a_body_over_the_message_limit_is_413_and_nothing_is_kept(
    dev: Deployment, api: HttpApiServer
) -> None:
    status, answer = post(api, b'"' + b"x" * 262_144 + b'"')
    assert status == 413
    assert "262144-byte message limit" in answer["message"]
    sqs = dev.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=dev.outputs["buffer_queue_url"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def test_the_rule_sends_the_detail_to_the_buffer(dev: Deployment, api: HttpApiServer) -> None:
    detail = {"events": [event("u-buf-bus", i) for i in range(2)]}
    response = dev.client("events").put_events(
        Entries=[
            {
                "EventBusName": dev.outputs["event_bus_name"],
                "Source": "activity.mobile",
                "DetailType": "UserActivity",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    delivery = dev.emulator.event_targets.deliveries[-1]
    assert (delivery.target_arn, delivery.error_code) == (dev.outputs["buffer_queue_arn"], None)
    dev.emulator.event_sources.drain()
    executions(dev)  # every one ended
    assert len(items_for_user(dev, "u-buf-bus")) == 2


@pytest.mark.parametrize(
    ("sid", "code"),
    [
        ("SendToEntryBuffer", "AccessDenied"),
        ("EncryptBufferMessages", "KMS.AccessDeniedException"),
    ],
)
def test_the_route_sends_with_the_api_role_and_nothing_else(
    dev: Deployment, api: HttpApiServer, sid: str, code: str
) -> None:
    """Without one of its two statements the API role's SendMessage is refused, and the refusal
    passes through as SQS's."""
    iam = dev.client("iam")
    policy = dev.find("aws:iam/rolePolicy:RolePolicy", "http-api-policy")
    role = dev.find("aws:iam/role:Role", "http-api-role").physical_id
    document = json.loads(policy.inputs["policy"])
    document["Statement"] = [s for s in document["Statement"] if s["Sid"] != sid]
    iam.put_role_policy(
        RoleName=role, PolicyName=policy.state["name"], PolicyDocument=json.dumps(document)
    )
    try:
        status, answer = post(api, json.dumps(event("u-buf-denied", 1)).encode())
    finally:
        iam.put_role_policy(
            RoleName=role, PolicyName=policy.state["name"], PolicyDocument=policy.inputs["policy"]
        )
    assert status in (400, 403)
    assert answer["__type"] == code
