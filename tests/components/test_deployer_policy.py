"""docs/deployer-policy.json (the README's deployer permissions) covers every resource the program
deploys: each resource type the dev and prod stacks register (read from the recorded program
snapshot, which test_program_snapshot.py keeps equal to the program) belongs to a service the policy
grants, and each resource whose name the program chooses falls under one of that service's
resource patterns. A new resource type, or a name outside the `activity-pipeline-` prefixes, fails
here until the documented policy says how a deployer may create it."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = json.loads((ROOT / "docs" / "deployer-policy.json").read_text())
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
ACCOUNT = "123456789012"
REGION = "us-east-1"

# pulumi-aws module -> the IAM service prefix that manages it
SERVICES = {
    "apigatewayv2": "apigateway",
    "athena": "athena",
    "cloudwatch": "cloudwatch",
    "dynamodb": "dynamodb",
    "glue": "glue",
    "iam": "iam",
    "kinesis": "firehose",
    "kms": "kms",
    "lambda": "lambda",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sfn": "states",
    "sns": "sns",
    "sqs": "sqs",
}
# cloudwatch/* types that belong to other services
CLOUDWATCH_SERVICES = {
    "eventBus": "events",
    "eventRule": "events",
    "eventTarget": "events",
    "logGroup": "logs",
    "logMetricFilter": "logs",
    "logStream": "logs",
}


def _service(typ: str) -> str:
    module, kind = typ.split(":")[1].split("/")
    if module == "cloudwatch":
        return CLOUDWATCH_SERVICES.get(kind, "cloudwatch")
    return SERVICES[module]


def _arn(typ: str, name: str, inputs: dict[str, Any]) -> str | None:
    """The ARN of a resource whose name the program sets (None where the provider names it)."""
    region, account = REGION, ACCOUNT
    kind = typ.split(":")[1]
    named = inputs.get("name")
    bus = inputs.get("eventBusName", "")
    dashboard = inputs.get("dashboardName")
    arns = {
        "s3/bucket": lambda: f"arn:aws:s3:::{inputs['bucketPrefix']}20250101",
        "dynamodb/table": lambda: f"arn:aws:dynamodb:{region}:{account}:table/{named}",
        "lambda/function": lambda: f"arn:aws:lambda:{region}:{account}:function:{named}",
        "sfn/stateMachine": lambda: f"arn:aws:states:{region}:{account}:stateMachine:{named}",
        "sqs/queue": lambda: f"arn:aws:sqs:{region}:{account}:{named}",
        "sns/topic": lambda: f"arn:aws:sns:{region}:{account}:{named}",
        "cloudwatch/eventBus": lambda: f"arn:aws:events:{region}:{account}:event-bus/{named}",
        "cloudwatch/eventRule": lambda: f"arn:aws:events:{region}:{account}:rule/{bus}/{named}",
        "cloudwatch/logGroup": lambda: f"arn:aws:logs:{region}:{account}:log-group:{named}",
        "cloudwatch/metricAlarm": lambda: f"arn:aws:cloudwatch:{region}:{account}:alarm:{named}",
        "cloudwatch/dashboard": lambda: f"arn:aws:cloudwatch::{account}:dashboard/{dashboard}",
        "glue/catalogDatabase": lambda: f"arn:aws:glue:{region}:{account}:database/{named}",
        "athena/workgroup": lambda: f"arn:aws:athena:{region}:{account}:workgroup/{named}",
        "kinesis/firehoseDeliveryStream": lambda: (
            f"arn:aws:firehose:{region}:{account}:deliverystream/{named}"
        ),
        # Pulumi auto-names roles `<resource name>-<7 hex>`
        "iam/role": lambda: f"arn:aws:iam::{account}:role/{name}-0a1b2c3",
        "iam/policy": lambda: f"arn:aws:iam::{account}:policy/{named}",
        "kms/alias": lambda: f"arn:aws:kms:{region}:{account}:{named}",
        "secretsmanager/secret": lambda: (
            f"arn:aws:secretsmanager:{region}:{account}:secret:{named}-AbC123"
        ),
    }
    build = arns.get(kind)
    return build() if build else None


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _statements() -> list[dict[str, list[str]]]:
    return [
        {"actions": _listed(statement["Action"]), "resources": _listed(statement["Resource"])}
        for statement in POLICY["Statement"]
        if statement["Effect"] == "Allow"
    ]


def _grants(service: str, arn: str | None) -> bool:
    for statement in _statements():
        if not any(action.split(":")[0] == service for action in statement["actions"]):
            continue
        if arn is None:
            return True
        patterns = [pattern.replace("ACCOUNT_ID", ACCOUNT) for pattern in statement["resources"]]
        if any(fnmatchcase(arn, pattern) for pattern in patterns):
            return True
    return False


def _registrations(stack: str) -> list[dict[str, Any]]:
    recorded = json.loads((SNAPSHOTS / f"{stack}.json").read_text())
    return [resource for resource in recorded.values() if resource["type"].startswith("aws:")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deployer_policy_grants_every_deployed_resource(stack: str) -> None:
    missing = []
    for resource in _registrations(stack):
        typ, inputs = resource["type"], resource["inputs"]
        arn = _arn(typ, resource["name"], inputs)
        if not _grants(_service(typ), arn):
            missing.append(f"{typ} {resource['name']} ({arn or 'any ' + _service(typ)})")
    assert missing == [], "docs/deployer-policy.json does not grant: " + "; ".join(missing)


def test_the_check_refuses_a_resource_outside_the_prefixes() -> None:
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
    assert _grants("dynamodb", table + "activity-pipeline-dev-events")
    assert not _grants("dynamodb", table + "other-team-events")
    assert not _grants("pipes", None)


def test_the_policy_is_an_iam_document_without_secrets() -> None:
    assert POLICY["Version"] == "2012-10-17"
    text = json.dumps(POLICY)
    assert ACCOUNT not in text  # the account is a placeholder the reader fills in
    assert '"Action": "*"' not in text
