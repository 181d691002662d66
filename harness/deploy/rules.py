"""What pulumi-aws and AWS refuse at creation time, for the resource inputs this program uses.

moto creates almost anything: a 38-character ``bucket_prefix`` (pulumi-aws refuses it before
``pulumi preview`` ends), a 65-character function name or a rule name with a space. ``check`` runs
before each resource is created in the emulator and raises ``ProviderRefusal`` with the rule and
its source, so a name that a real deploy would refuse fails the harness deploy too.

A name the provider generates (the input absent) is checked as the provider would generate it:
``<logical name>-<7 characters>`` for a ``name``, ``<prefix><26 characters>`` for a
``bucket_prefix``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AUTONAME_SUFFIX = 8  # Pulumi auto-naming: "-" and 7 random characters
PREFIX_SUFFIX = 26  # pulumi-aws `bucket_prefix`: a 26-character unique suffix


class ProviderRefusal(ValueError):
    """A resource input that pulumi-aws or the AWS API would refuse."""


@dataclass(frozen=True)
class NameRule:
    field: str  # the input's wire name (camelCase)
    max_len: int
    pattern: str  # the whole value must match
    allowed: str  # the characters in words, for the message
    source: str  # where the rule is written down
    min_len: int = 1
    autonamed: bool = False  # the provider generates the value from the logical name if absent
    forbidden: tuple[str, ...] = ()  # regexes the value must not match

    def problem(self, value: str) -> str | None:
        if not self.min_len <= len(value) <= self.max_len:
            return f"must be {self.min_len} to {self.max_len} characters long, not {len(value)}"
        if re.fullmatch(self.pattern, value) is None:
            return f"may contain only {self.allowed}"
        for forbidden in self.forbidden:
            if re.search(forbidden, value):
                return f"must not match {forbidden}"
        return None


_S3_NAMING = "Amazon S3 User Guide, general purpose bucket naming rules"
_S3_SHAPE = r"[a-z0-9][a-z0-9.-]*[a-z0-9]"
_S3_FORBIDDEN = (
    r"\.\.",
    r"^\d+\.\d+\.\d+\.\d+$",
    r"^(xn--|sthree-|amzn-s3-demo-)",
    r"(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$",
)
_IAM_NAME = r"[\w+=,.@-]+"
_IAM_CHARS = "letters, digits and +=,.@_-"

RULES: dict[str, tuple[NameRule, ...]] = {
    "aws:s3/bucket:Bucket": (
        NameRule(
            "bucket",
            63,
            _S3_SHAPE,
            "lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
            _S3_NAMING,
            min_len=3,
            forbidden=_S3_FORBIDDEN,
        ),
        NameRule(
            "bucketPrefix",
            63 - PREFIX_SUFFIX,
            r"[a-z0-9][a-z0-9.-]*",
            "lower-case letters, digits, '.' and '-', starting with a letter or digit",
            "pulumi-aws s3.Bucket bucket_prefix: 'Must be lowercase and less than or equal to "
            "37 characters in length'",
            forbidden=_S3_FORBIDDEN[:3],
        ),
    ),
    "aws:iam/role:Role": (
        NameRule(
            "name",
            64,
            _IAM_NAME,
            _IAM_CHARS,
            "IAM API reference, CreateRole RoleName",
            autonamed=True,
        ),
        NameRule("namePrefix", 38, _IAM_NAME, _IAM_CHARS, "pulumi-aws iam.Role name_prefix"),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        NameRule(
            "name",
            128,
            _IAM_NAME,
            _IAM_CHARS,
            "IAM API reference, PutRolePolicy PolicyName",
            autonamed=True,
        ),
    ),
    "aws:iam/policy:Policy": (
        NameRule(
            "name",
            128,
            _IAM_NAME,
            _IAM_CHARS,
            "IAM API reference, CreatePolicy PolicyName",
            autonamed=True,
        ),
    ),
    "aws:lambda/function:Function": (
        NameRule(
            "name",
            64,
            r"[A-Za-z0-9_-]+",
            "letters, digits, '-' and '_'",
            "Lambda API reference, CreateFunction FunctionName",
            autonamed=True,
        ),
    ),
    "aws:sqs/queue:Queue": (
        NameRule(
            "name",
            80,
            r"[A-Za-z0-9_-]+(\.fifo)?",
            "letters, digits, '-' and '_' (and a '.fifo' suffix)",
            "SQS API reference, CreateQueue QueueName",
            autonamed=True,
        ),
    ),
    "aws:sfn/stateMachine:StateMachine": (
        NameRule(
            "name",
            80,
            r"[0-9A-Za-z_-]+",
            "letters, digits, '-' and '_' (what CloudWatch Logs logging requires)",
            "Step Functions API reference, CreateStateMachine name",
            autonamed=True,
        ),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        NameRule(
            "name",
            512,
            r"[.\-_/#A-Za-z0-9]+",
            "letters, digits and ._-/#",
            "CloudWatch Logs API reference, CreateLogGroup logGroupName",
            autonamed=True,
        ),
    ),
    "aws:cloudwatch/logStream:LogStream": (
        NameRule(
            "name",
            512,
            r"[^:*]+",
            "any characters but ':' and '*'",
            "CloudWatch Logs API reference, CreateLogStream logStreamName",
            autonamed=True,
        ),
    ),
    "aws:dynamodb/table:Table": (
        NameRule(
            "name",
            255,
            r"[A-Za-z0-9_.-]+",
            "letters, digits, '_', '-' and '.'",
            "DynamoDB API reference, CreateTable TableName",
            min_len=3,
            autonamed=True,
        ),
    ),
    "aws:secretsmanager/secret:Secret": (
        NameRule(
            "name",
            512,
            r"[A-Za-z0-9/_+=.@-]+",
            "letters, digits and /_+=.@-",
            "Secrets Manager API reference, CreateSecret Name",
            autonamed=True,
        ),
    ),
    "aws:sns/topic:Topic": (
        NameRule(
            "name",
            256,
            r"[A-Za-z0-9_-]+(\.fifo)?",
            "letters, digits, '-' and '_'",
            "SNS API reference, CreateTopic Name",
            autonamed=True,
        ),
    ),
    "aws:kms/alias:Alias": (
        NameRule(
            "name",
            256,
            r"alias/[A-Za-z0-9/_-]+",
            "'alias/' then letters, digits and /_-",
            "KMS API reference, CreateAlias AliasName",
            forbidden=(r"^alias/aws/",),
        ),
    ),
    "aws:cloudwatch/eventBus:EventBus": (
        NameRule(
            "name",
            256,
            r"[/.\-_A-Za-z0-9]+",
            "letters, digits and /._-",
            "EventBridge API reference, CreateEventBus Name",
            forbidden=(r"^default$",),
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        NameRule(
            "name",
            64,
            r"[.\-_A-Za-z0-9]+",
            "letters, digits and ._-",
            "EventBridge API reference, PutRule Name",
            autonamed=True,
        ),
    ),
    "aws:apigatewayv2/api:Api": (
        NameRule(
            "name", 128, r".+", "any characters", "API Gateway v2 API reference, CreateApi name"
        ),
    ),
    "aws:apigatewayv2/authorizer:Authorizer": (
        NameRule(
            "name",
            128,
            r".+",
            "any characters",
            "API Gateway v2 API reference, CreateAuthorizer name",
        ),
    ),
    "aws:apigatewayv2/stage:Stage": (
        NameRule(
            "name",
            128,
            r"\$default|[A-Za-z0-9_-]+",
            "'$default', or letters, digits, '-' and '_'",
            "API Gateway v2 API reference, CreateStage stageName",
        ),
    ),
    "aws:glue/catalogDatabase:CatalogDatabase": (
        NameRule(
            "name",
            255,
            r"[a-z0-9_]+",
            "lower-case letters, digits and '_'",
            "Athena User Guide, 'Name databases, tables, and columns'",
            autonamed=True,
        ),
    ),
    "aws:glue/catalogTable:CatalogTable": (
        NameRule(
            "name",
            255,
            r"[a-z0-9_]+",
            "lower-case letters, digits and '_'",
            "Athena User Guide, 'Name databases, tables, and columns'",
            autonamed=True,
        ),
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (
        NameRule(
            "name",
            64,
            r"[a-zA-Z0-9_.-]+",
            "letters, digits, '_', '.' and '-'",
            "Firehose API reference, CreateDeliveryStream DeliveryStreamName",
            autonamed=True,
        ),
    ),
    "aws:athena/workgroup:Workgroup": (
        NameRule(
            "name",
            128,
            r"[A-Za-z0-9._-]+",
            "letters, digits, '.', '-' and '_'",
            "Athena API reference, CreateWorkGroup Name",
        ),
    ),
    "aws:athena/namedQuery:NamedQuery": (
        NameRule(
            "name",
            128,
            r".+",
            "any characters",
            "Athena API reference, CreateNamedQuery Name",
            autonamed=True,
        ),
    ),
    "aws:cloudwatch/dashboard:Dashboard": (
        NameRule(
            "dashboardName",
            255,
            r"[A-Za-z0-9_-]+",
            "letters, digits, '-' and '_'",
            "CloudWatch API reference, PutDashboard DashboardName",
        ),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": (
        NameRule(
            "name",
            512,
            r"[^:*]+",
            "any characters but ':' and '*'",
            "CloudWatch Logs API reference, PutMetricFilter filterName",
            autonamed=True,
        ),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        NameRule(
            "name",
            255,
            r"[\x20-\x7e]+",
            "printable ASCII characters",
            "CloudWatch API reference, PutMetricAlarm AlarmName",
            autonamed=True,
        ),
    ),
}


# Types the harness creates that take no name of their own (they name the resource they attach
# to, or AWS assigns an id): nothing to check.
NAMELESS = frozenset(
    {
        "aws:kms/key:Key",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:apigatewayv2/integration:Integration",
        "aws:apigatewayv2/route:Route",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:secretsmanager/secretVersion:SecretVersion",
        "aws:glue/catalogTableOptimizer:CatalogTableOptimizer",
    }
)


def check(typ: str, name: str, inputs: Mapping[str, Any]) -> None:
    """Raise ``ProviderRefusal`` when an input of ``typ`` breaks a rule of ``RULES``."""
    for rule in RULES.get(typ, ()):
        value = inputs.get(rule.field)
        if value in (None, ""):
            if not rule.autonamed or any(inputs.get(r.field) for r in RULES[typ] if r is not rule):
                continue
            value = f"{name}-{'x' * (AUTONAME_SUFFIX - 1)}"
        problem = rule.problem(str(value))
        if problem is not None:
            raise ProviderRefusal(f"{typ} {name}: {rule.field} {value!r} {problem} ({rule.source})")
