"""Operation counting: what each recorded API call adds to the bill."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from benchmarks.counting import OperationLog, counting, sqs_billed_requests


def put(user: str, extra: int = 0) -> dict[str, Any]:
    return {"PutRequest": {"Item": {"user_id": {"S": user}, "pad": {"S": "x" * extra}}}}


def test_batch_write_item_counts_each_item_with_its_size() -> None:
    log = OperationLog()
    log.record("dynamodb", "BatchWriteItem", {"RequestItems": {"t": [put("a"), put("b", 2000)]}})
    assert log.count("dynamodb", "BatchWriteItem") == 1
    assert log.dynamodb_item_sizes == [7 + 1 + 3, 7 + 1 + 3 + 2000]
    assert log.dynamodb_wru == 1 + 2


def test_put_item_counts_one_item() -> None:
    log = OperationLog()
    log.record("dynamodb", "PutItem", {"Item": {"k": {"S": "v"}}})
    assert log.dynamodb_item_sizes == [2]


def test_log_bytes_from_put_log_events() -> None:
    log = OperationLog()
    log.record("logs", "PutLogEvents", {"logEvents": [{"message": "abc"}, {"message": "de"}]})
    assert (log.log_events, log.log_bytes) == (2, 3 + 26 + 2 + 26)


def test_sqs_requests_are_billed_per_64_kb_chunk() -> None:
    assert sqs_billed_requests("") == 1
    assert sqs_billed_requests("x" * 65536) == 1
    assert sqs_billed_requests("x" * 65537) == 2
    log = OperationLog()
    log.record("sqs", "SendMessage", {"MessageBody": "x" * 70_000})
    log.record("sqs", "SendMessageBatch", {"Entries": [{"MessageBody": "a"}, {"MessageBody": "b"}]})
    assert log.sqs_requests == 3


def test_calls_that_are_not_billed_per_request_are_ignored() -> None:
    log = OperationLog()
    log.record("stepfunctions", "DescribeExecution", {})
    log.record("s3", "ListObjectsV2", {})
    assert not log.calls


def test_since_returns_only_later_operations() -> None:
    log = OperationLog()
    log.record("s3", "PutObject", {})
    log.record("dynamodb", "PutItem", {"Item": {"k": {"S": "v"}}})
    before = log.snapshot()
    log.record("s3", "PutObject", {})
    log.record("s3", "GetObject", {})
    log.record("logs", "PutLogEvents", {"logEvents": [{"message": "m"}]})
    later = log.since(before)
    assert later.count("s3", "PutObject") == 1
    assert later.count("s3", "GetObject") == 1
    assert later.dynamodb_item_sizes == []
    assert later.log_bytes == 27


def test_counting_hooks_clients_created_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    log = OperationLog()
    with counting(log):
        client = boto3.session.Session().client("sqs", region_name="us-east-1")
        client.meta.events.register("before-send.sqs.SendMessage", lambda **_: _response())
        client.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="hi")
    assert log.count("sqs", "SendMessage") == 1
    assert log.sqs_requests == 1
    after = boto3.session.Session().client("sqs", region_name="us-east-1")
    after.meta.events.register("before-send.sqs.SendMessage", lambda **_: _response())
    after.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="hi")
    assert log.count("sqs", "SendMessage") == 1


def _response() -> Any:
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield b'{"MessageId": "1", "MD5OfMessageBody": "49f68a5c8493ec2c0bf489821c21fc3b"}'

    return AWSResponse("https://sqs", 200, HTTPHeaders(), Raw())


def test_firehose_record_bytes_are_counted_before_base64() -> None:
    log = OperationLog()
    records = [{"Data": b"x" * 700}, {"Data": b"{}"}, {"Data": "é"}]
    log.record("firehose", "PutRecordBatch", {"DeliveryStreamName": "s", "Records": records})
    log.record("firehose", "DescribeDeliveryStream", {"DeliveryStreamName": "s"})
    assert log.count("firehose", "PutRecordBatch") == 1
    assert log.firehose_bytes == 700 + 2 + 2
    before = log.snapshot()
    log.record("firehose", "PutRecordBatch", {"Records": [{"Data": b"abc"}]})
    assert log.since(before).firehose_bytes == 3
