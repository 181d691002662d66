"""Fixtures for the handler tests: moto, environment, a fake Lambda context, clean metrics; and
for the pure core (no AWS): a batch lineage and an event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.metrics.provider import cold_start
from moto import mock_aws

from handlers import aws
from handlers.curate import Lineage
from handlers.observability import metrics
from harness.runtime import sandbox

REGION = "us-east-1"
BUCKET = "raw-bucket-test"
TABLE = "activity-pipeline-test-events"
SUPPRESSION_TABLE = "activity-pipeline-test-suppression"
SALT = "test-salt-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-test-workflow:b-1"
RECEIVED_AT = datetime(2024, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)


@dataclass
class FakeLambdaContext:
    function_name: str = "activity-pipeline-test-fn"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:activity-pipeline-test-fn"
    )
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/activity-pipeline-test-fn"
    log_stream_name: str = "2024/05/01/[$LATEST]abc"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(autouse=True)
def clean_metrics_and_clients() -> Iterator[None]:
    metrics.clear_metrics()
    cold_start.is_cold_start = True
    aws.reset_clients()
    yield
    metrics.clear_metrics()
    aws.reset_clients()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "activity-pipeline-test")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ActivityPipeline")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    monkeypatch.setenv("RAW_BUCKET", BUCKET)
    monkeypatch.setenv("MAX_BATCH_EVENTS", "500")
    monkeypatch.setenv("LATE_EVENT_THRESHOLD_HOURS", "72")
    monkeypatch.setenv("OLDEST_EVENT_TIME", "2000-01-01T00:00:00Z")
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("ITEM_RETENTION_DAYS", "30")
    # a stack without the curated table (handlers.write.NO_CURATED_STREAM); the tests of the
    # curated feed (test_write_curated) name a stream
    monkeypatch.setenv("CURATED_STREAM", "none")
    sandbox.reset("handlers")  # the Powertools settings of a sandbox with this environment


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def s3(moto: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@dataclass
class SuppressionList:
    """The suppression table and salt secret Ingest reads (moto), and a way to suppress a user."""

    client: Any
    secret_arn: str

    def suppress(self, user_id: str) -> None:
        from handlers.suppression import user_hash

        item = {"user_hash": {"S": user_hash(SALT.encode(), user_id)}}
        self.client.put_item(TableName=SUPPRESSION_TABLE, Item=item)


@pytest.fixture
def suppression(moto: None, monkeypatch: pytest.MonkeyPatch) -> SuppressionList:
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=SUPPRESSION_TABLE,
        KeySchema=[{"AttributeName": "user_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "user_hash", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(Name="activity-pipeline-test-suppression-salt", SecretString=SALT)[
        "ARN"
    ]
    monkeypatch.setenv("SUPPRESSION_TABLE", SUPPRESSION_TABLE)
    monkeypatch.setenv("SUPPRESSION_SALT_SECRET_ARN", arn)
    return SuppressionList(client, arn)


@pytest.fixture
def dynamodb(moto: None) -> Any:
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "event_time", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "event_time", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def emf_records(stdout: str) -> list[dict[str, Any]]:
    """The EMF documents Powertools printed (one JSON object per line with an `_aws` key)."""
    records = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            doc = json.loads(line)
            if "_aws" in doc:
                records.append(doc)
    return records


@pytest.fixture
def emf(capsys: pytest.CaptureFixture[str]) -> Any:
    """Call to get the metrics flushed so far: {metric name: value} plus namespace/dimensions."""

    def read() -> dict[str, Any]:
        docs = emf_records(capsys.readouterr().out)
        assert len(docs) == 1, docs
        (doc,) = docs
        meta = doc["_aws"]["CloudWatchMetrics"][0]
        names = [m["Name"] for m in meta["Metrics"]]
        return {
            "namespace": meta["Namespace"],
            "dimensions": meta["Dimensions"],
            "service": doc.get("service"),
            **{n: doc[n] for n in names},
        }

    return read


@pytest.fixture
def lineage() -> Lineage:
    return Lineage(
        raw_key="ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
        batch_id="b" * 32,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:wf:b-" + "b" * 32,
        received_at=RECEIVED_AT,
        processed_at=datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC),
        late_threshold_hours=72,
    )


@pytest.fixture
def event() -> dict[str, object]:
    return {
        "user_id": "user-1",
        "action": "Page View",
        "event_time": "2024-05-01T12:00:00.123+02:00",
        "session_id": "s-1",
        "page": "/home",
        "ip": "203.0.113.77",
        "properties": {"price": 9.99, "tags": ["a", "b"], "nested": {"n": 1}},
    }
