"""Resource creators: one per Pulumi resource type, each creating the resource in the emulator.

A creator receives the resource's inputs (camelCase wire names, as Pulumi mocks deliver them) and
returns ``(physical id, state)`` where state holds the outputs the real provider would compute
(ARN, name, URL …). Every creator calls the emulator's API with the harness admin credentials.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

State = dict[str, Any]
Creator = Callable[[Any, str, dict[str, Any]], tuple[str, State]]  # (emulator, name, inputs)

# Types the emulator cannot hold, with the reason; they are recorded, never silently skipped.
UNSUPPORTED: dict[str, str] = {}

_SPECIAL_KEYS = {"id": "ID", "sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"}


def pascal(value: Any) -> Any:
    """camelCase wire shape -> the PascalCase shape of the S3 API."""
    if isinstance(value, list):
        return [pascal(v) for v in value]
    if isinstance(value, dict):
        return {_SPECIAL_KEYS.get(k, k[:1].upper() + k[1:]): pascal(v) for k, v in value.items()}
    return value


def auto_name(name: str, inputs: dict[str, Any], key: str, prefix_key: str | None = None) -> str:
    """The explicit name, else ``<prefix><random>`` as the provider's auto-naming would give."""
    if inputs.get(key):
        return str(inputs[key])
    prefix = inputs.get(prefix_key) if prefix_key else None
    return f"{prefix or name + '-'}{secrets.token_hex(4)}"


def _tags(inputs: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}


def kms_key(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    kms = emu.client("kms")
    kwargs: dict[str, Any] = {"Description": inputs.get("description", "")}
    if inputs.get("policy"):
        kwargs["Policy"] = inputs["policy"]
    meta = kms.create_key(**kwargs)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    return meta["KeyId"], {**inputs, "arn": meta["Arn"], "keyId": meta["KeyId"]}


def kms_alias(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    alias = auto_name(name, inputs, "name", "namePrefix")
    emu.client("kms").create_alias(AliasName=alias, TargetKeyId=inputs["targetKeyId"])
    arn = f"arn:aws:kms:{emu.region}:{emu.account_id}:{alias}"
    return alias, {**inputs, "name": alias, "arn": arn}


def s3_bucket(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    bucket = auto_name(name, inputs, "bucket", "bucketPrefix").lower()
    emu.client("s3").create_bucket(Bucket=bucket)
    if _tags(inputs):
        tag_set = [{"Key": k, "Value": v} for k, v in _tags(inputs).items()]
        emu.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_set})
    return bucket, {
        **inputs,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{emu.region}.amazonaws.com",
        "region": emu.region,
    }


def _bucket_setting(apply: Callable[[Any, dict[str, Any]], None]) -> Creator:
    def create(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
        apply(emu.client("s3"), inputs)
        return str(inputs["bucket"]), dict(inputs)

    return create


s3_versioning = _bucket_setting(
    lambda s3, i: s3.put_bucket_versioning(
        Bucket=i["bucket"], VersioningConfiguration=pascal(i["versioningConfiguration"])
    )
)
s3_encryption = _bucket_setting(
    lambda s3, i: s3.put_bucket_encryption(
        Bucket=i["bucket"],
        ServerSideEncryptionConfiguration={"Rules": pascal(i["rules"])},
    )
)
s3_public_access_block = _bucket_setting(
    lambda s3, i: s3.put_public_access_block(
        Bucket=i["bucket"],
        PublicAccessBlockConfiguration=pascal(
            {k: i.get(k, False) for k in ("blockPublicAcls", "blockPublicPolicy")}
            | {k: i.get(k, False) for k in ("ignorePublicAcls", "restrictPublicBuckets")}
        ),
    )
)
s3_ownership = _bucket_setting(
    lambda s3, i: s3.put_bucket_ownership_controls(
        Bucket=i["bucket"], OwnershipControls={"Rules": [pascal(i["rule"])]}
    )
)
s3_policy = _bucket_setting(
    lambda s3, i: s3.put_bucket_policy(Bucket=i["bucket"], Policy=i["policy"])
)
s3_lifecycle = _bucket_setting(
    lambda s3, i: s3.put_bucket_lifecycle_configuration(
        Bucket=i["bucket"], LifecycleConfiguration={"Rules": pascal(i["rules"])}
    )
)


def dynamodb_table(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    ddb = emu.client("dynamodb")
    table = auto_name(name, inputs, "name")
    keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeySchema": keys,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
        ],
        "BillingMode": inputs.get("billingMode", "PROVISIONED"),
        "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled", False)),
    }
    sse = inputs.get("serverSideEncryption") or {}
    if sse.get("enabled"):
        kwargs["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
        if sse.get("kmsKeyArn"):
            kwargs["SSESpecification"]["KMSMasterKeyId"] = sse["kmsKeyArn"]
    if kwargs["BillingMode"] == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = {
            "ReadCapacityUnits": inputs.get("readCapacity", 1),
            "WriteCapacityUnits": inputs.get("writeCapacity", 1),
        }
    description = ddb.create_table(**kwargs)["TableDescription"]
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        ddb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return table, {**inputs, "name": table, "arn": description["TableArn"]}


def iam_role(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    role_name = auto_name(name, inputs, "name", "namePrefix")
    role = emu.client("iam").create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        Description=inputs.get("description", ""),
        Path=inputs.get("path", "/"),
    )["Role"]
    return role_name, {**inputs, "name": role_name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


def iam_role_policy(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    policy_name = auto_name(name, inputs, "name", "namePrefix")
    emu.client("iam").put_role_policy(
        RoleName=inputs["role"], PolicyName=policy_name, PolicyDocument=inputs["policy"]
    )
    return f"{inputs['role']}:{policy_name}", {**inputs, "name": policy_name}


def log_group(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    logs = emu.client("logs")
    group = auto_name(name, inputs, "name", "namePrefix")
    logs.create_log_group(logGroupName=group, tags=_tags(inputs))
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=group, retentionInDays=inputs["retentionInDays"])
    arn = f"arn:aws:logs:{emu.region}:{emu.account_id}:log-group:{group}"
    return group, {**inputs, "name": group, "arn": arn}
