"""CuratedTable on its own, under PipelineMocks: the bucket, the Glue Iceberg table, the table
optimizers, the Firehose stream, their roles — encryption on, every policy on exact ARNs."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.builders import curated as builders
from components.curated import CuratedTable, CuratedTableArgs
from handlers import curated

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DATABASE_ARN = f"arn:aws:glue:us-east-1:{ACCOUNT}:database/app_test"
BUCKET = "app-test-curated-20250101000000000000000001"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
TABLE_ARN = f"arn:aws:glue:us-east-1:{ACCOUNT}:table/app_test/curated_events"
CATALOG_ARN = f"arn:aws:glue:us-east-1:{ACCOUNT}:catalog"
STREAM_ARN = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/app-test-curated"
LOG_GROUP = "/aws/kinesisfirehose/app-test-curated"
LOG_STREAM_ARN = (
    f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{LOG_GROUP}:log-stream:DestinationDelivery"
)


def build(mocks: Any, settle: Any, check: Any) -> None:
    def create() -> pulumi.Output[list[Any]]:
        component = CuratedTable(
            "cur",
            CuratedTableArgs(
                name_prefix="app-test",
                database_name="app_test",
                database_arn=DATABASE_ARN,
                kms_key_arn=KEY_ARN,
                buffering_size_mb=64,  # type: ignore[arg-type]
                buffering_interval_seconds=60,  # type: ignore[arg-type]
                noncurrent_version_expiration_days=30,  # type: ignore[arg-type]
                log_retention_days=14,  # type: ignore[arg-type]
                force_destroy=False,
            ),
        )
        return pulumi.Output.all(
            component.bucket_name,
            component.table_name,
            component.stream_name,
            component.stream_arn,
            component.table_arn,
        )

    check(mocks, *settle(create))


def _exact(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            assert resource.startswith("arn:aws:")
            assert "*" not in resource.removesuffix("/*").removesuffix(":*")


def test_outputs(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, bucket: str, table: str, stream: str, arn: str, table_arn: str) -> None:
        assert (bucket, table, stream) == (BUCKET, "curated_events", "app-test-curated")
        assert (arn, table_arn) == (STREAM_ARN, TABLE_ARN)

    build(mocks, settle, check)


def test_the_bucket_is_private_encrypted_versioned_and_expires_old_versions(
    mocks: Any, settle: Any
) -> None:
    def check(mocks: Any, *_: Any) -> None:
        bucket = mocks.find("aws:s3/bucket:Bucket", "cur-bucket").inputs
        assert bucket["bucketPrefix"] == "app-test-curated-"
        sse = mocks.find(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "cur-bucket-encryption",
        ).inputs
        assert sse["rules"][0]["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": KEY_ARN,
        }
        versioning = mocks.find(
            "aws:s3/bucketVersioning:BucketVersioning", "cur-bucket-versioning"
        ).inputs
        assert versioning["versioningConfiguration"] == {"status": "Enabled"}
        rules = mocks.find(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "cur-bucket-lifecycle",
        ).inputs["rules"]
        assert rules[0]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
        assert rules[1]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
        mocks.find("aws:s3/bucketPolicy:BucketPolicy", "cur-bucket-tls-only")
        mocks.find(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "cur-bucket-public-access"
        )

    build(mocks, settle, check)


def test_the_glue_table_is_iceberg_with_the_row_contract(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, *_: Any) -> None:
        inputs = mocks.find("aws:glue/catalogTable:CatalogTable", "cur-table").inputs
        assert (inputs["name"], inputs["databaseName"]) == ("curated_events", "app_test")
        iceberg = inputs["openTableFormatInput"]["icebergInput"]
        assert (iceberg["metadataOperation"], iceberg["version"]) == ("CREATE", "2")
        table = iceberg["icebergTableInput"]
        assert table["location"] == f"s3://{BUCKET}/curated_events/"
        fields = table["schema"]["fields"]
        assert [(f["id"], f["name"], f["type"], f["required"]) for f in fields] == [
            (c.id, c.name, c.type, c.required) for c in curated.COLUMNS
        ]
        assert table["schema"]["identifierFieldIds"] == [3, 1, 2]  # event_id, user_id, event_time
        assert table["partitionSpec"]["fields"] == [
            {"name": "occurred_at_day", "sourceId": 5, "transform": "day", "fieldId": 1000}
        ]
        assert table["properties"]["format-version"] == "2"

    build(mocks, settle, check)


def test_the_stream_upserts_into_the_table_with_buffering_errors_and_logs(
    mocks: Any, settle: Any
) -> None:
    def check(mocks: Any, *_: Any) -> None:
        inputs = mocks.find(
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "cur-stream"
        ).inputs
        assert (inputs["name"], inputs["destination"]) == ("app-test-curated", "iceberg")
        config = inputs["icebergConfiguration"]
        assert config["catalogArn"] == CATALOG_ARN
        assert (config["bufferingSize"], config["bufferingInterval"]) == (64, 60)
        assert config["retryDuration"] == builders.RETRY_SECONDS == 300
        assert config["destinationTableConfigurations"] == [
            {
                "databaseName": "app_test",
                "tableName": "curated_events",
                "uniqueKeys": ["event_id", "user_id", "event_time"],
                "s3ErrorOutputPrefix": builders.ERROR_PREFIX,
            }
        ]
        assert "appendOnly" not in config  # updates need it off
        (processor,) = config["processingConfiguration"]["processors"]
        assert processor["type"] == "MetadataExtraction"
        parameters = {p["parameterName"]: p["parameterValue"] for p in processor["parameters"]}
        assert parameters == {
            "MetadataExtractionQuery": '{destinationDatabaseName: "app_test", '
            'destinationTableName: "curated_events", operation: "update"}',
            "JsonParsingEngine": "JQ-1.6",
        }
        logging = {
            "enabled": True,
            "logGroupName": LOG_GROUP,
            "logStreamName": "DestinationDelivery",
        }
        assert config["cloudwatchLoggingOptions"] == logging
        s3 = config["s3Configuration"]
        assert (s3["bucketArn"], s3["kmsKeyArn"]) == (BUCKET_ARN, KEY_ARN)
        assert (
            s3["errorOutputPrefix"]
            == "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
        )
        group = mocks.find("aws:cloudwatch/logGroup:LogGroup", "cur-logs").inputs
        assert (group["name"], group["retentionInDays"]) == (LOG_GROUP, 14)

    build(mocks, settle, check)


def test_the_firehose_role_is_this_accounts_and_exact(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, *_: Any) -> None:
        trust = json.loads(
            mocks.find("aws:iam/role:Role", "cur-firehose-role").inputs["assumeRolePolicy"]
        )
        assert trust["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": ACCOUNT}},
            }
        ]
        document = json.loads(
            mocks.find("aws:iam/rolePolicy:RolePolicy", "cur-firehose-policy").inputs["policy"]
        )
        by_sid = {s["Sid"]: s for s in document["Statement"]}
        assert by_sid["ReadAndCommitTheTable"]["Resource"] == [CATALOG_ARN, DATABASE_ARN, TABLE_ARN]
        assert by_sid["ReadAndCommitTheTable"]["Action"] == [
            "glue:GetDatabase", "glue:GetTable", "glue:UpdateTable",
        ]  # fmt: skip
        assert by_sid["WriteTableFilesAndErrors"]["Resource"] == [
            f"{BUCKET_ARN}/curated_events/*",
            f"{BUCKET_ARN}/errors/*",
        ]
        assert by_sid["UseTheCuratedBucket"]["Resource"] == [BUCKET_ARN]
        kms = by_sid["UseTheStackKeyThroughS3"]
        assert kms["Resource"] == [KEY_ARN]
        assert kms["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
        assert by_sid["LogDeliveryErrors"]["Resource"] == [LOG_STREAM_ARN]
        _exact(document)

    build(mocks, settle, check)


def test_three_optimizers_share_a_glue_role_on_exact_arns(mocks: Any, settle: Any) -> None:
    def check(mocks: Any, *_: Any) -> None:
        optimizers = mocks.of_type("aws:glue/catalogTableOptimizer:CatalogTableOptimizer")
        assert sorted(o.inputs["type"] for o in optimizers) == [
            "compaction", "orphan_file_deletion", "retention",
        ]  # fmt: skip
        role = mocks.find("aws:iam/role:Role", "cur-optimizer-role")
        for optimizer in optimizers:
            assert optimizer.inputs["catalogId"] == ACCOUNT
            assert optimizer.inputs["tableName"] == "curated_events"
            assert optimizer.inputs["configuration"]["enabled"] is True
            assert optimizer.inputs["configuration"]["roleArn"] == role.state["arn"]
        retention = next(o for o in optimizers if o.inputs["type"] == "retention")
        assert retention.inputs["configuration"]["retentionConfiguration"] == {
            "icebergConfiguration": {
                "snapshotRetentionPeriodInDays": 7,
                "numberOfSnapshotsToRetain": 1,
                "cleanExpiredFiles": True,
            }
        }
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}
        document = json.loads(
            mocks.find("aws:iam/rolePolicy:RolePolicy", "cur-optimizer-policy").inputs["policy"]
        )
        by_sid = {s["Sid"]: s for s in document["Statement"]}
        assert by_sid["RewriteTableFiles"]["Resource"] == [f"{BUCKET_ARN}/curated_events/*"]
        assert by_sid["ReadAndCommitTheTable"]["Resource"] == [CATALOG_ARN, DATABASE_ARN, TABLE_ARN]
        logs = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/iceberg-compaction/logs"
        assert logs in by_sid["LogOptimizerRuns"]["Resource"]
        _exact(document)

    build(mocks, settle, check)
