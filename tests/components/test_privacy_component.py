"""Privacy on its own, under PipelineMocks: the suppression list, its salt, the operator policy."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.builders import policies
from components.privacy import CuratedErasureInputs, Privacy, PrivacyArgs

KEY = "arn:aws:kms:us-east-1:123456789012:key/k-1"
BUCKET = "arn:aws:s3:::app-test-raw-1"
EVENTS = "arn:aws:dynamodb:us-east-1:123456789012:table/app-test-events"
SECRET = "aws:secretsmanager/secret:Secret"


@pytest.mark.parametrize(("protected", "force_destroy"), [(True, False), (False, True)])
def test_suppression_list_salt_and_operator_policy(
    mocks: Any, settle: Any, protected: bool, force_destroy: bool
) -> None:
    def create() -> pulumi.Output[list[Any]]:
        privacy = Privacy(
            "privacy",
            PrivacyArgs(
                name_prefix="app-test",
                kms_key_arn=KEY,
                raw_bucket_arn=BUCKET,
                table_arn=EVENTS,
                deletion_protection=protected,
                force_destroy=force_destroy,
            ),
        )
        return pulumi.Output.all(
            privacy.suppression_table_name,
            privacy.suppression_table_arn,
            privacy.salt_secret_arn,
            privacy.operator_erasure_policy_arn,
        )

    name, table_arn, secret_arn, policy_arn = settle(create)
    assert name == "app-test-suppression"
    table = mocks.find("aws:dynamodb/table:Table", "privacy-suppression-table").inputs
    assert (table["hashKey"], table["attributes"]) == (
        "user_hash",
        [{"name": "user_hash", "type": "S"}],
    )
    assert "rangeKey" not in table
    assert table["deletionProtectionEnabled"] is protected
    assert table["serverSideEncryption"] == {"enabled": True}
    secret = mocks.find(SECRET, "privacy-salt")
    assert secret.inputs["name"] == "app-test-suppression-salt"
    assert secret.inputs["kmsKeyId"] == KEY  # the stack's key
    assert secret.inputs["recoveryWindowInDays"] == (0 if force_destroy else 30)
    assert secret_arn == secret.state["arn"]
    version = mocks.find("aws:secretsmanager/secretVersion:SecretVersion", "privacy-salt-value")
    assert version.inputs["secretId"] == secret.id
    assert "aws:secretsmanager/getRandomPassword:getRandomPassword" in mocks.calls
    policy = mocks.find("aws:iam/policy:Policy", "privacy-operator-erasure")
    assert policy.inputs["name"] == "app-test-operator-erasure"
    assert policy_arn == policy.state["arn"]
    assert json.loads(policy.inputs["policy"]) == policies.operator_erasure_policy(
        bucket_arn=BUCKET,
        kms_key_arn=KEY,
        table_arn=EVENTS,
        suppression_table_arn=table_arn,
        salt_secret_arn=secret_arn,
    )


def test_args_are_validated() -> None:
    with pytest.raises(ValueError, match="name_prefix must not be empty"):
        PrivacyArgs("", KEY, BUCKET, EVENTS, deletion_protection=True, force_destroy=False)


CURATED = CuratedErasureInputs(
    workgroup_arn="arn:aws:athena:us-east-1:123456789012:workgroup/app-test",
    catalog_arn="arn:aws:glue:us-east-1:123456789012:catalog",
    database_arn="arn:aws:glue:us-east-1:123456789012:database/app_test",
    table_arn="arn:aws:glue:us-east-1:123456789012:table/app_test/curated_events",
    bucket_arn="arn:aws:s3:::app-test-curated-1",
    results_bucket_arn="arn:aws:s3:::app-test-athena-results-1",
    stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/app-test-curated",
)


def test_with_the_curated_table_the_operator_policy_erases_it_on_exact_arns(
    mocks: Any, settle: Any
) -> None:
    def create() -> pulumi.Output[str]:
        privacy = Privacy(
            "privacy",
            PrivacyArgs(
                name_prefix="app-test",
                kms_key_arn=KEY,
                raw_bucket_arn=BUCKET,
                table_arn=EVENTS,
                deletion_protection=True,
                force_destroy=False,
                curated=CURATED,
            ),
        )
        return privacy.operator_erasure_policy_arn

    settle(create)
    document = json.loads(
        mocks.find("aws:iam/policy:Policy", "privacy-operator-erasure").inputs["policy"]
    )
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["EraseCuratedRowsInTheWorkgroup"]["Resource"] == [CURATED.workgroup_arn]
    assert statements["CommitTheCuratedTable"] == {
        "Sid": "CommitTheCuratedTable",
        "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
        "Resource": [CURATED.catalog_arn, CURATED.database_arn, CURATED.table_arn],
    }
    files = statements["RewriteCuratedFilesAndDeleteTheirVersions"]
    assert files["Resource"] == [f"{CURATED.bucket_arn}/curated_events/*"]
    assert "s3:DeleteObjectVersion" in files["Action"]
    assert statements["ListTheCuratedTableAndVersions"]["Condition"] == {
        "StringLike": {"s3:prefix": ["curated_events/*"]}
    }
    assert statements["ReadTheBufferingInterval"]["Resource"] == [CURATED.stream_arn]
    assert statements["WriteQueryResults"]["Resource"] == [f"{CURATED.results_bucket_arn}/*"]
    every = [r for s in document["Statement"] for r in s["Resource"]]
    assert "*" not in every
