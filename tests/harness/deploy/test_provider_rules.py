"""Each naming rule a real deploy enforces refuses a bad value and accepts the program's own."""

from __future__ import annotations

import pytest

from harness.deploy.registry import CREATORS
from harness.deploy.rules import NAMELESS, RULES, ProviderRefusal, check

P = "activity-pipeline-dev"
CASES = [  # (type, field, refused value, the program's value)
    ("aws:s3/bucket:Bucket", "bucketPrefix", "activity-pipeline-prod-athena-results-", f"{P}-raw-"),
    ("aws:s3/bucket:Bucket", "bucketPrefix", "Activity-Pipeline-dev-", f"{P}-athena-results-"),
    ("aws:s3/bucket:Bucket", "bucket", "my_bucket", f"{P}-raw-0123abcd"),
    ("aws:s3/bucket:Bucket", "bucket", "192.168.5.4", "a.b-c"),
    ("aws:s3/bucket:Bucket", "bucket", "ab", "abc"),
    ("aws:s3/bucket:Bucket", "bucket", "x" * 50 + "-s3alias", "x" * 63),
    ("aws:iam/role:Role", "name", "r" * 65, "workflow-ingest-role-abcdefg"),
    ("aws:iam/role:Role", "name", "a role", "a+b=c,d.e@f_g-h"),
    ("aws:iam/role:Role", "namePrefix", "p" * 39, "p" * 38),
    ("aws:iam/rolePolicy:RolePolicy", "name", "p" * 129, "workflow-ingest-policy-abcdefg"),
    ("aws:iam/policy:Policy", "name", "analyst policy", f"{P}-analyst"),
    ("aws:lambda/function:Function", "name", "f" * 65, f"{P}-process"),
    ("aws:lambda/function:Function", "name", "fn.v2", "fn_v2-x"),
    ("aws:sqs/queue:Queue", "name", "q" * 81, f"{P}-entry-dlq"),
    ("aws:sqs/queue:Queue", "name", "dlq.v2", "dlq.fifo"),
    ("aws:sfn/stateMachine:StateMachine", "name", "s" * 81, f"{P}-workflow"),
    ("aws:sfn/stateMachine:StateMachine", "name", "work flow", "work_flow"),
    ("aws:cloudwatch/logGroup:LogGroup", "name", "/aws/lambda/a b", f"/aws/lambda/{P}-ingest"),
    ("aws:cloudwatch/logGroup:LogGroup", "name", "/" + "g" * 512, "/aws/vendedlogs/states/x#1"),
    ("aws:cloudwatch/logStream:LogStream", "name", "a:b", "DestinationDelivery"),
    ("aws:dynamodb/table:Table", "name", "ev", f"{P}-events"),
    ("aws:dynamodb/table:Table", "name", "events!", "events.v2_x-y"),
    ("aws:sns/topic:Topic", "name", "alarms topic", f"{P}-alarms"),
    ("aws:secretsmanager/secret:Secret", "name", "salt secret", f"{P}-suppression-salt"),
    ("aws:kms/alias:Alias", "name", f"{P}-raw", f"alias/{P}-raw"),
    ("aws:kms/alias:Alias", "name", "alias/aws/s3", f"alias/{P}-alarms"),
    ("aws:cloudwatch/eventBus:EventBus", "name", "default", f"{P}-activity"),
    ("aws:cloudwatch/eventBus:EventBus", "name", "my bus", "a/b.c-d_e"),
    ("aws:cloudwatch/eventRule:EventRule", "name", "r" * 65, f"{P}-activity-to-workflow"),
    ("aws:apigatewayv2/api:Api", "name", "a" * 129, f"{P}-http"),
    ("aws:apigatewayv2/authorizer:Authorizer", "name", "j" * 129, f"{P}-jwt"),
    ("aws:apigatewayv2/stage:Stage", "name", "$prod", "$default"),
    ("aws:glue/catalogDatabase:CatalogDatabase", "name", P, "activity_pipeline_dev"),
    ("aws:glue/catalogTable:CatalogTable", "name", "Raw_Events", "raw_events"),
    ("aws:athena/workgroup:Workgroup", "name", "work group", P),
    (
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "name",
        "curated stream",
        f"{P}-curated",
    ),
    ("aws:athena/namedQuery:NamedQuery", "name", "q" * 129, "daily_active_users"),
    ("aws:cloudwatch/dashboard:Dashboard", "dashboardName", "my dashboard", P),
    ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "name", "a:b", f"{P}-failed-no-dlq"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name", "alarm\u00e9", f"{P}-dlq-messages-visible"),
]


@pytest.mark.parametrize(
    ("typ", "field", "refused", "accepted"), CASES, ids=[f"{c[0]}-{c[2][:24]}" for c in CASES]
)
def test_rule(typ: str, field: str, refused: str, accepted: str) -> None:
    check(typ, "logical", {field: accepted})
    with pytest.raises(ProviderRefusal) as refusal:
        check(typ, "logical", {field: refused})
    assert typ in str(refusal.value)
    assert field in str(refusal.value)


def test_every_rule_has_a_case() -> None:
    covered = {(typ, field) for typ, field, _, _ in CASES}
    assert covered == {(typ, rule.field) for typ, rules in RULES.items() for rule in rules}


def test_a_name_the_provider_generates_is_checked_as_generated() -> None:
    check("aws:iam/role:Role", "r" * 56, {})  # 56 + "-" + 7 = 64
    with pytest.raises(ProviderRefusal, match="must be 1 to 64 characters long, not 65"):
        check("aws:iam/role:Role", "r" * 57, {})
    check("aws:iam/role:Role", "r" * 57, {"namePrefix": "role-"})  # the prefix is what counts


def test_every_type_the_harness_creates_is_judged() -> None:
    assert set(CREATORS) <= set(RULES) | NAMELESS
    assert not set(RULES) & NAMELESS
