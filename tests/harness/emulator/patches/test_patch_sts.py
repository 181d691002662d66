"""AssumeRole through the STS API: refused with 403 AccessDenied as AWS refuses it."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from tests.harness.emulated import make_user

ALLOW_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


def trust(principal: dict[str, str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def test_admin_cannot_assume_a_role_trusted_by_a_service_only(emulator: Emulator) -> None:
    role = emulator.client("iam").create_role(
        RoleName="svc", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"})
    )["Role"]["Arn"]
    with pytest.raises(ClientError) as refused:
        emulator.client("sts").assume_role(RoleArn=role, RoleSessionName="admin-session")
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403  # moto: TypeError, HTTP 500
    assert error["Error"]["Code"] == "AccessDenied"
    assert error["Error"]["Message"] == (
        f"User: arn:aws:iam::123456789012:user/harness-admin is not authorized to perform: "
        f"sts:AssumeRole on resource: {role}"
    )


def test_a_role_that_does_not_exist_cannot_be_assumed(emulator: Emulator) -> None:
    missing = "arn:aws:iam::123456789012:role/does-not-exist"
    with pytest.raises(ClientError) as refused:  # moto: credentials for a role nobody created
        emulator.client("sts").assume_role(RoleArn=missing, RoleSessionName="admin-session")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert missing in refused.value.response["Error"]["Message"]


def test_a_trusted_user_with_the_permission_assumes_the_role(
    emulator: Emulator,
) -> None:
    user_arn, credentials = make_user(emulator, "operator", ALLOW_ASSUME)
    role = emulator.client("iam").create_role(
        RoleName="ops", AssumeRolePolicyDocument=trust({"AWS": user_arn})
    )["Role"]["Arn"]
    sts = emulator.client("sts", credentials)
    assumed = sts.assume_role(RoleArn=role, RoleSessionName="ops-session")["AssumedRoleUser"]
    assert assumed["Arn"] == "arn:aws:sts::123456789012:assumed-role/ops/ops-session"
    other = emulator.client("iam").create_role(
        RoleName="not-for-operator", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::1:root"})
    )["Role"]["Arn"]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=other, RoleSessionName="ops-session")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
