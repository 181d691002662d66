"""Resource creators for IAM: roles, their inline policies, managed policies."""

from __future__ import annotations

from typing import Any

from harness.deploy.inputs import State, auto_name


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


def iam_policy(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    policy_name = auto_name(name, inputs, "name", "namePrefix")
    policy = emu.client("iam").create_policy(
        PolicyName=policy_name,
        PolicyDocument=inputs["policy"],
        Description=inputs.get("description", ""),
        Path=inputs.get("path", "/"),
    )["Policy"]
    return policy["Arn"], {
        **inputs,
        "name": policy_name,
        "arn": policy["Arn"],
        "policyId": policy["PolicyId"],
    }
