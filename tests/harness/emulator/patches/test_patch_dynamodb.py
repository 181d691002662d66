"""DynamoDB BatchWriteItem refuses a request repeating a key; an injected fault is decided first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from harness.emulator.faults import FaultConfig, FaultInjector
from harness.emulator.patches.dynamodb import DUPLICATE_KEYS_MESSAGE
from tests.harness.emulated import make_user

TABLE = "events"
SAME_KEY_TWICE = {
    TABLE: [{"PutRequest": {"Item": {"user_id": {"S": "u1"}, "n": {"N": str(n)}}}} for n in (1, 2)]
}


def create_table(emulator: Emulator) -> Any:
    ddb = emulator.client("dynamodb")
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


def test_two_requests_for_one_key_refuse_the_whole_batch(emulator: Emulator) -> None:
    ddb = create_table(emulator)
    with pytest.raises(ClientError) as refused:  # moto: accepted (the items differ), one kept
        ddb.batch_write_item(RequestItems=SAME_KEY_TWICE)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == DUPLICATE_KEYS_MESSAGE
    assert ddb.scan(TableName=TABLE)["Count"] == 0


@pytest.fixture
def throttling() -> Iterator[Emulator]:
    faults = FaultConfig(rate=1.0, kinds=("throttle",), targets=("dynamodb", "s3"))
    with Emulator(faults=faults) as emulator:
        yield emulator


def test_the_fault_is_decided_before_the_key_check(throttling: Emulator) -> None:
    """patches.in_order: the fault injector wraps BatchWriteItem after the key check."""
    ddb = create_table(throttling)
    with FaultInjector.in_function(), pytest.raises(ClientError) as refused:
        ddb.batch_write_item(RequestItems=SAME_KEY_TWICE)
    assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_the_s3_fault_is_decided_before_the_request_is_authorized(throttling: Emulator) -> None:
    """patches.in_order: the fault injector wraps _key_response, outside the authorization."""
    throttling.client("s3").create_bucket(Bucket="raw")
    reads_only = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::raw/*"}
    policy = {"Version": "2012-10-17", "Statement": [reads_only]}
    _, credentials = make_user(throttling, "reader", policy)
    with FaultInjector.in_function(), pytest.raises(ClientError) as refused:
        throttling.client("s3", credentials).put_object(Bucket="raw", Key="a", Body=b"1")
    assert refused.value.response["Error"]["Code"] == "SlowDown"  # not AccessDenied
