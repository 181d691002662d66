"""The analyst policy for the analytics component, as a plain dict from plain ARNs (pure).

Attach it to the people or roles who run the named queries: it allows exactly one workgroup, one
Glue database and its two tables, reads of the raw layer's `ingest/` and `rejected/` prefixes, the
results bucket, and the raw bucket's KMS key. No `"*"` resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from components.policies import PolicyDocument, document, ingest_prefix_arn, rejected_prefix_arn

ATHENA_QUERY_ACTIONS: Final = (
    "athena:BatchGetNamedQuery",
    "athena:GetNamedQuery",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:ListNamedQueries",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
GLUE_READ_ACTIONS: Final = ("glue:GetDatabase", "glue:GetPartitions", "glue:GetTable")


def glue_catalog_arn(*, partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:glue:{region}:{account_id}:catalog"


def analyst_policy(
    *,
    workgroup_arn: str,
    catalog_arn: str,
    database_arn: str,
    table_arns: Sequence[str],
    raw_bucket_arn: str,
    results_bucket_arn: str,
    kms_key_arn: str,
) -> PolicyDocument:
    for what, arn in (
        ("workgroup_arn", workgroup_arn),
        ("catalog_arn", catalog_arn),
        ("database_arn", database_arn),
        ("raw_bucket_arn", raw_bucket_arn),
        ("results_bucket_arn", results_bucket_arn),
        ("kms_key_arn", kms_key_arn),
        *(("table_arns", arn) for arn in table_arns),
    ):
        if not arn.startswith("arn:") or "*" in arn:
            raise ValueError(f"{what} must be an exact ARN, got {arn!r}")
    if not table_arns:
        raise ValueError("table_arns must name at least one table")
    return document(
        {
            "Sid": "RunQueriesInTheWorkgroup",
            "Effect": "Allow",
            "Action": list(ATHENA_QUERY_ACTIONS),
            "Resource": [workgroup_arn],
        },
        {
            "Sid": "ReadTheCatalogTables",
            "Effect": "Allow",
            "Action": list(GLUE_READ_ACTIONS),
            "Resource": [catalog_arn, database_arn, *table_arns],
        },
        {
            "Sid": "LocateTheRawBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": [raw_bucket_arn],
        },
        {
            "Sid": "ListTheRawLayer",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [raw_bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": ["ingest/*", "rejected/*"]}},
        },
        {
            "Sid": "ReadTheRawLayer",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [ingest_prefix_arn(raw_bucket_arn), rejected_prefix_arn(raw_bucket_arn)],
        },
        {
            "Sid": "UseTheResultsBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [results_bucket_arn],
        },
        {
            "Sid": "ReadAndWriteQueryResults",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{results_bucket_arn}/*"],
        },
        {
            "Sid": "UseTheRawBucketKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [kms_key_arn],
        },
    )
