"""Helpers of the harness's Firehose/Iceberg tests: a curated table and its stream in a bare
emulator, made by the deploy creators from hand-made inputs in pulumi-aws's wire shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.deploy import analytics, iceberg
from harness.emulator import Emulator
from harness.emulator.credentials import Credentials
from tests.harness.emulated import make_user

DATABASE = "activity_pipeline_test"
FIELDS = [  # id, name, type, required
    (1, "user_id", "string", True),
    (2, "event_id", "string", True),
    (3, "occurred_at", "timestamptz", True),
    (4, "page", "string", False),
    (5, "late", "boolean", True),
    (6, "raw_index", "int", True),
]
ERROR_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
NOV_20 = 1_763_629_200_000_000  # 2025-11-20T09:00:00Z in microseconds


@dataclass
class Curated:
    table: str
    stream: str
    stream_arn: str
    bucket: str
    role_arn: str
    key_arn: str
    writer: Credentials


def row(event_id: str, user_id: str = "u1", **values: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "event_id": event_id,
        "occurred_at": NOV_20,
        "page": "/",
        "late": False,
        "raw_index": 0,
    } | values


def data(*rows: dict[str, Any]) -> list[dict[str, bytes]]:
    return [{"Data": json.dumps(r).encode("utf-8")} for r in rows]


def role_policy(
    table: str, bucket_arn: str, key_arn: str, account: str, region: str
) -> dict[str, Any]:
    """What the Firehose role needs, on exact ARNs."""
    glue = f"arn:aws:glue:{region}:{account}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["glue:GetTable", "glue:GetDatabase", "glue:UpdateTable"],
                "Resource": [
                    f"{glue}:catalog",
                    f"{glue}:database/{DATABASE}",
                    f"{glue}:table/{DATABASE}/{table}",
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{bucket_arn}/{table}/*", f"{bucket_arn}/errors/*"],
            },
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn},
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            },
        ],
    }


def deploy_curated(
    emulator: Emulator,
    name: str,
    *,
    buffering_mb: int = 1,
    interval: int = 60,
    query: str | None = '{operation: "update"}',
    unique_keys: tuple[str, ...] = ("event_id", "user_id"),
    policy: dict[str, Any] | None = None,
    append_only: bool = False,
) -> Curated:
    """A table ``curated_<name>`` in bucket ``curated-<name>``, stream ``curated-<name>``, its
    role (``policy``, else ``role_policy``) and a user ``writer-<name>`` allowed PutRecordBatch.
    The database is created once per emulator."""
    region, account = emulator.region, emulator.account_id
    table, bucket, role = f"curated_{name}", f"curated-{name}", f"curated-{name}-firehose"
    key = emulator.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    if DATABASE not in [d["Name"] for d in emulator.client("glue").get_databases()["DatabaseList"]]:
        analytics.glue_database(emulator, "db", {"name": DATABASE})
    iceberg.glue_table(
        emulator,
        "curated",
        {
            "databaseName": DATABASE,
            "name": table,
            "openTableFormatInput": {
                "icebergInput": {
                    "metadataOperation": "CREATE",
                    "version": "2",
                    "icebergTableInput": {
                        "location": f"s3://{bucket}/{table}/",
                        "schema": {
                            "fields": [
                                {"id": i, "name": n, "type": t, "required": r}
                                for i, n, t, r in FIELDS
                            ],
                            "identifierFieldIds": [1, 2],
                        },
                        "partitionSpec": {
                            "fields": [
                                {
                                    "name": "occurred_at_day",
                                    "sourceId": 3,
                                    "transform": "day",
                                    "fieldId": 1000,
                                }
                            ]
                        },
                    },
                }
            },
        },
    )
    iam = emulator.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    document = policy or role_policy(table, f"arn:aws:s3:::{bucket}", key, account, region)
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(document))
    processing: dict[str, Any] = {"enabled": False}
    if query is not None:
        processing = {
            "enabled": True,
            "processors": [
                {
                    "type": "MetadataExtraction",
                    "parameters": [
                        {"parameterName": "JsonParsingEngine", "parameterValue": "JQ-1.6"},
                        {"parameterName": "MetadataExtractionQuery", "parameterValue": query},
                    ],
                }
            ],
        }
    stream_arn, state = iceberg.firehose_stream(
        emulator,
        "stream",
        {
            "name": f"curated-{name}",
            "destination": "iceberg",
            "icebergConfiguration": {
                "appendOnly": append_only,
                "catalogArn": f"arn:aws:glue:{region}:{account}:catalog",
                "roleArn": role_arn,
                "bufferingSize": buffering_mb,
                "bufferingInterval": interval,
                "destinationTableConfigurations": [
                    {
                        "databaseName": DATABASE,
                        "tableName": table,
                        "uniqueKeys": list(unique_keys),
                        "s3ErrorOutputPrefix": ERROR_PREFIX,
                    }
                ],
                "processingConfiguration": processing,
                "s3Configuration": {
                    "bucketArn": f"arn:aws:s3:::{bucket}",
                    "roleArn": role_arn,
                    "errorOutputPrefix": "errors/",
                },
            },
        },
    )
    _, writer = make_user(
        emulator,
        f"writer-{name}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "firehose:PutRecordBatch", "Resource": stream_arn}
            ],
        },
    )
    return Curated(table, state["name"], stream_arn, bucket, role_arn, key, writer)


def rows(emulator: Emulator, table: str) -> list[dict[str, Any]]:
    """The table's current snapshot, sorted by (user_id, event_id)."""
    found = emulator.warehouse.load(DATABASE, table).scan().to_arrow().to_pylist()
    return sorted(found, key=lambda r: (r["user_id"], r["event_id"]))
