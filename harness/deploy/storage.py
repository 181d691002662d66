"""Resource creators for storage and queues: KMS, S3 and its bucket settings, DynamoDB, SQS,
Secrets Manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.deploy.inputs import Creator, State, auto_name, pascal, tags


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
    if tags(inputs):
        tag_set = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
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
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled"):
        ddb.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        ddb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return table, {**inputs, "name": table, "arn": description["TableArn"]}


_QUEUE_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "redrivePolicy": "RedrivePolicy",
    "fifoQueue": "FifoQueue",
}


# pulumi-aws sends MaximumMessageSize 262144 when `max_message_size` is not set ("The default for
# this attribute is 262144 (256 KiB)", sqs.Queue docstring); moto's own default is 1 MiB.
PROVIDER_MAX_MESSAGE_SIZE = 262_144


def sqs_queue(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    sqs = emu.client("sqs")
    queue_name = auto_name(name, inputs, "name", "namePrefix")
    attributes = {
        attr: str(inputs[key]).lower() if isinstance(inputs[key], bool) else str(inputs[key])
        for key, attr in _QUEUE_ATTRIBUTES.items()
        if inputs.get(key) not in (None, "")
    }
    attributes.setdefault("MaximumMessageSize", str(PROVIDER_MAX_MESSAGE_SIZE))
    url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, {**inputs, "name": queue_name, "arn": arn, "url": url}


def queue_policy(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    emu.client("sqs").set_queue_attributes(
        QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]}
    )
    return str(inputs["queueUrl"]), dict(inputs)


def secret(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    secret_name = auto_name(name, inputs, "name", "namePrefix")
    kwargs: dict[str, Any] = {"Name": secret_name, "Description": inputs.get("description", "")}
    if inputs.get("kmsKeyId"):
        kwargs["KmsKeyId"] = inputs["kmsKeyId"]
    arn = emu.client("secretsmanager").create_secret(**kwargs)["ARN"]
    return arn, {**inputs, "name": secret_name, "arn": arn}


def secret_version(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    version = emu.client("secretsmanager").put_secret_value(
        SecretId=inputs["secretId"], SecretString=inputs["secretString"]
    )["VersionId"]
    return f"{inputs['secretId']}|{version}", {
        **inputs,
        "arn": inputs["secretId"],
        "versionId": version,
    }
