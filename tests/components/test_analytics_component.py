"""Analytics on its own, under PipelineMocks: every resource, its encryption and its policy."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.analytics import Analytics, AnalyticsArgs
from components.builders import analytics_sql

ACCOUNT = "123456789012"
RAW_BUCKET = "app-test-raw-abc"
RAW_ARN = f"arn:aws:s3:::{RAW_BUCKET}"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RESULTS = "app-test-athena-results-20250101000000000000000001"
RESULTS_ARN = f"arn:aws:s3:::{RESULTS}"
CURATED_ARN = "arn:aws:s3:::app-test-curated-20250101000000000000000001"
BY_NAME = {query.name: query for query in analytics_sql.NAMED_QUERIES}
QUERIES = tuple(query.name for query in analytics_sql.NAMED_QUERIES)


def analytics_args(**overrides: Any) -> AnalyticsArgs:
    values: dict[str, Any] = {
        "name_prefix": "app-test",
        "raw_bucket_name": RAW_BUCKET,
        "raw_bucket_arn": RAW_ARN,
        "kms_key_arn": KEY_ARN,
        "results_expiration_days": 9,
        "force_destroy": False,
        "curated_buffering_size_mb": 64,
        "curated_buffering_interval_seconds": 60,
        "noncurrent_version_expiration_days": 30,
        "log_retention_days": 14,
    }
    return AnalyticsArgs(**(values | overrides))


def build(mocks: Any, settle: Any, check: Any) -> None:
    def create() -> pulumi.Output[list[Any]]:
        component = Analytics("an", analytics_args())
        return pulumi.Output.all(
            component.athena_workgroup,
            component.glue_database,
            component.named_queries,
            component.athena_results_bucket,
            component.analyst_policy_arn,
        )

    check(mocks, *settle(create))


def test_outputs(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, workgroup: str, database: str, queries: Any, bucket: str, policy: str):
        assert workgroup == "app-test"
        assert database == "app_test"
        assert bucket == RESULTS
        assert policy == f"arn:aws:iam::{ACCOUNT}:policy/app-test-analyst"
        assert sorted(queries) == sorted(QUERIES)
        for name, query_id in queries.items():
            registration = mocks.find(
                "aws:athena/namedQuery:NamedQuery", f"an-{name.replace('_', '-')}"
            )
            assert registration.id == query_id

    build(mocks, settle, check)


def test_results_bucket_is_encrypted_private_tls_only_and_expiring(
    mocks: Any,
    settle: Any,
) -> None:
    def check(mocks: Any, *_: Any) -> None:
        sse = mocks.find(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "an-results-encryption",
        )
        assert sse.inputs["bucket"] == RESULTS
        assert sse.inputs["rules"] == [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": KEY_ARN,
                },
                "bucketKeyEnabled": True,
            }
        ]
        block = mocks.find(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "an-results-public-access"
        ).inputs
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls")
        assert all(block[flag] is True for flag in (*flags, "restrictPublicBuckets"))
        policy = json.loads(
            mocks.find("aws:s3/bucketPolicy:BucketPolicy", "an-results-tls-only").inputs["policy"]
        )
        assert policy["Statement"] == [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [RESULTS_ARN, f"{RESULTS_ARN}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        rules = mocks.find(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "an-results-lifecycle",
        ).inputs["rules"]
        assert rules[0] == {
            "id": "expire-query-results",
            "status": "Enabled",
            "filter": {},
            "expiration": {"days": 9},
        }
        ownership = mocks.find(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "an-results-ownership"
        )
        assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}

    build(mocks, settle, check)


@pytest.mark.parametrize(
    ("table", "prefix", "columns"),
    [
        ("raw_events", "ingest/", analytics_sql.RAW_COLUMNS),
        ("rejected_events", "rejected/", analytics_sql.REJECTED_COLUMNS),
    ],
)
def test_glue_table_projects_the_hive_partitions(
    mocks: Any, settle: Any, table: str, prefix: str, columns: Any
) -> None:
    def check(mocks: Any, *_: Any) -> None:
        inputs = mocks.find("aws:glue/catalogTable:CatalogTable", f"an-{table.replace('_', '-')}")
        inputs = inputs.inputs
        assert inputs["name"] == table
        assert inputs["databaseName"] == "app_test"
        assert inputs["tableType"] == "EXTERNAL_TABLE"
        assert inputs["parameters"] == {
            "classification": "json",
            "EXTERNAL": "TRUE",
            "projection.enabled": "true",
            "storage.location.template": (
                f"s3://{RAW_BUCKET}/{prefix}yyyy=${{yyyy}}/mm=${{mm}}/dd=${{dd}}/hh=${{hh}}/"
            ),
            "projection.yyyy.type": "integer",
            "projection.yyyy.range": "1970,2099",
            "projection.yyyy.digits": "4",
            "projection.mm.type": "integer",
            "projection.mm.range": "1,12",
            "projection.mm.digits": "2",
            "projection.dd.type": "integer",
            "projection.dd.range": "1,31",
            "projection.dd.digits": "2",
            "projection.hh.type": "integer",
            "projection.hh.range": "0,23",
            "projection.hh.digits": "2",
        }
        assert inputs["partitionKeys"] == [
            {"name": key, "type": "string"} for key in ("yyyy", "mm", "dd", "hh")
        ]
        storage = inputs["storageDescriptor"]
        assert storage["location"] == f"s3://{RAW_BUCKET}/{prefix}"
        assert storage["serDeInfo"] == {
            "serializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
            "parameters": {"ignore.malformed.json": "TRUE"},
        }
        assert storage["inputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
        assert storage["columns"] == [{"name": n, "type": t} for n, t in columns]
        assert mocks.of_type("aws:glue/crawler:Crawler") == []

    build(mocks, settle, check)


def test_workgroup_enforces_encrypted_results_and_publishes_metrics(
    mocks: Any,
    settle: Any,
) -> None:
    def check(mocks: Any, *_: Any) -> None:
        inputs = mocks.find("aws:athena/workgroup:Workgroup", "an-workgroup").inputs
        assert inputs["name"] == "app-test"
        assert inputs["forceDestroy"] is False
        assert inputs["configuration"] == {
            "enforceWorkgroupConfiguration": True,
            "publishCloudwatchMetricsEnabled": True,
            "bytesScannedCutoffPerQuery": 10 * 1024**3,
            "engineVersion": {"selectedEngineVersion": "Athena engine version 3"},
            "resultConfiguration": {
                "outputLocation": f"s3://{RESULTS}/athena/",
                "encryptionConfiguration": {
                    "encryptionOption": "SSE_KMS",
                    "kmsKeyArn": KEY_ARN,
                },
            },
        }

    build(mocks, settle, check)


def test_named_queries_hold_the_shared_sql(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, *_: Any) -> None:
        registered = mocks.of_type("aws:athena/namedQuery:NamedQuery")
        assert sorted(r.inputs["name"] for r in registered) == sorted(QUERIES)
        for registration in registered:
            query = BY_NAME[registration.inputs["name"]]
            assert registration.inputs["query"] == query.sql
            assert registration.inputs["database"] == "app_test"
            assert registration.inputs["workgroup"] == "app-test"
            assert registration.inputs["description"] == query.description

    build(mocks, settle, check)


def test_analyst_policy_is_exact(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, *_: Any) -> None:
        policy = mocks.find("aws:iam/policy:Policy", "an-analyst").inputs
        assert policy["name"] == "app-test-analyst"
        document = json.loads(policy["policy"])
        glue = f"arn:aws:glue:us-east-1:{ACCOUNT}"
        by_sid = {s["Sid"]: s for s in document["Statement"]}
        assert by_sid["RunQueriesInTheWorkgroup"]["Resource"] == [
            f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/app-test"
        ]
        assert by_sid["ReadTheCatalogTables"] == {
            "Sid": "ReadTheCatalogTables",
            "Effect": "Allow",
            "Action": ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable"],
            "Resource": [
                f"{glue}:catalog",
                f"{glue}:database/app_test",
                f"{glue}:table/app_test/curated_events",
                f"{glue}:table/app_test/raw_events",
                f"{glue}:table/app_test/rejected_events",
            ],
        }
        assert by_sid["ReadTheRawLayer"]["Resource"] == [
            f"{RAW_ARN}/ingest/*",
            f"{RAW_ARN}/rejected/*",
        ]
        assert by_sid["ListTheRawLayer"]["Condition"] == {
            "StringLike": {"s3:prefix": ["ingest/*", "rejected/*"]}
        }
        assert by_sid["ListTheCuratedTable"]["Resource"] == [CURATED_ARN]
        assert by_sid["ListTheCuratedTable"]["Condition"] == {
            "StringLike": {"s3:prefix": ["curated_events/*"]}
        }
        assert by_sid["ReadTheCuratedTable"]["Resource"] == [f"{CURATED_ARN}/curated_events/*"]
        assert by_sid["ReadAndWriteQueryResults"]["Resource"] == [f"{RESULTS_ARN}/*"]
        assert by_sid["UseTheRawBucketKey"]["Resource"] == [KEY_ARN]
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            for resource in statement["Resource"]:
                assert resource.startswith("arn:aws:")
                assert "*" not in resource.removesuffix("/*")  # exact ARN, or ARN + "/<prefix>/*"

    build(mocks, settle, check)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name_prefix", "", "name_prefix must not be empty"),
        ("bytes_scanned_cutoff_per_query", 1024, ">= 10 MB"),
        # stack settings are checked once, by PipelineSettings (test_pipeline_settings)
    ],
)
def test_args_are_validated(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analytics_args(**{field: value})
