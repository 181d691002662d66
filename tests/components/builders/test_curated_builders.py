"""The curated table's pure builders: names, location, JQ routing, and the policies' ARN checks."""

from __future__ import annotations

import pytest

from components.builders import curated

ARNS = {
    "catalog_arn": "arn:aws:glue:us-east-1:123456789012:catalog",
    "database_arn": "arn:aws:glue:us-east-1:123456789012:database/db",
    "table_arn": "arn:aws:glue:us-east-1:123456789012:table/db/curated_events",
    "bucket_arn": "arn:aws:s3:::curated",
    "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
    "region": "us-east-1",
}
LOG_STREAM = (
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/p-curated:log-stream:s"
)


def test_names_and_location() -> None:
    assert curated.stream_name("p-dev") == "p-dev-curated"
    assert curated.log_group_name("p-dev") == "/aws/kinesisfirehose/p-dev-curated"
    assert curated.table_location("b") == "s3://b/curated_events/"
    with pytest.raises(ValueError, match="bucket name"):
        curated.table_location("b/x")


def test_the_jq_query_routes_every_record_as_an_update() -> None:
    assert curated.metadata_extraction_query("db") == (
        '{destinationDatabaseName: "db", destinationTableName: "curated_events", '
        'operation: "update"}'
    )
    with pytest.raises(ValueError, match="plain Glue name"):
        curated.metadata_extraction_query('db", operation: "delete')


def test_policies_refuse_wildcards() -> None:
    assert curated.firehose_policy(**ARNS, log_stream_arn=LOG_STREAM)["Version"] == "2012-10-17"
    with pytest.raises(ValueError, match="table_arn must be an exact ARN"):
        curated.firehose_policy(
            **(ARNS | {"table_arn": "arn:aws:glue:us-east-1:123456789012:table/db/*"}),
            log_stream_arn=LOG_STREAM,
        )
    with pytest.raises(ValueError, match="log_group_arns"):
        curated.optimizer_policy(**ARNS, log_group_arns=["arn:aws:logs:*"])
