"""IAM statement evaluation as AWS documents it: principals, condition operators, absent keys."""

from __future__ import annotations

from typing import Any

import pytest
from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from harness.emulator.patches import iam

USER = "arn:aws:iam::123456789012:user/alice"
SESSION = "arn:aws:sts::123456789012:assumed-role/ingest-role/lambda"


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"Null": {"s3:if-none-match": "false"}}, {"s3:if-none-match": "*"}, True),
        ({"Null": {"s3:if-none-match": "false"}}, {}, False),  # the key must be present
        ({"Null": {"s3:if-none-match": "true"}}, {}, True),
        ({"StringEquals": {"s3:if-none-match": "*"}}, {"s3:if-none-match": "*"}, True),
        ({"StringEquals": {"s3:if-none-match": "*"}}, {}, False),  # absent key: false
        ({"StringNotEquals": {"s3:if-none-match": "x"}}, {}, True),  # negated: true
        ({"StringEqualsIfExists": {"s3:if-match": "e"}}, {}, True),
        ({"StringEqualsIfExists": {"s3:if-match": "e"}}, {"s3:if-match": "f"}, False),
        ({"StringLike": {"s3:if-match": ["a*", "b?"]}}, {"s3:if-match": "bc"}, True),
        ({"StringLike": {"s3:if-match": "a*"}}, {"s3:if-match": "ba"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:securetransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:securetransport": "false"}, True),
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {}, True),  # not modelled: not evaluated
    ],
)
def test_conditions(condition: dict[str, Any], context: dict[str, str], holds: bool) -> None:
    assert iam.condition_holds(condition, context) is holds


def test_an_unsupported_operator_on_a_modelled_key_is_an_error() -> None:
    with pytest.raises(iam.UnsupportedCondition):
        iam.condition_holds({"NumericLessThan": {"s3:if-match": "1"}}, {"s3:if-match": "0"})


@pytest.mark.parametrize(
    ("spec", "principal", "named"),
    [
        ("*", USER, True),
        ({"AWS": USER}, USER, True),
        ({"AWS": ["arn:aws:iam::123456789012:root"]}, USER, True),
        ({"AWS": "123456789012"}, SESSION, True),
        ({"AWS": "arn:aws:iam::123456789012:role/ingest-role"}, SESSION, True),
        ({"AWS": "arn:aws:iam::123456789012:role/other"}, SESSION, False),
        ({"AWS": "arn:aws:iam::999999999999:root"}, USER, False),
        ({"Service": "lambda.amazonaws.com"}, USER, False),
        ({"Service": ["states.amazonaws.com"]}, SESSION, False),
    ],
)
def test_principals(spec: Any, principal: str, named: bool) -> None:
    assert iam.principal_matches(spec, principal) is named


def statement(**fields: Any) -> IAMPolicyStatement:
    return IAMPolicyStatement({"Effect": "Allow", "Action": "s3:PutObject", **fields})


def test_a_statement_that_does_not_apply_neither_allows_nor_denies() -> None:
    with iam.statement_evaluation():
        service_trust = statement(Principal={"Service": "lambda.amazonaws.com"})
        assert service_trust.is_action_permitted("s3:PutObject", "*", USER) == (
            PermissionResult.NEUTRAL  # moto: TypeError (HTTP 500)
        )
        conditional = statement(
            Resource="arn:aws:s3:::b/ingest/*",
            Condition={"Null": {"s3:if-none-match": "false"}},
        )
        assert conditional.is_action_permitted("s3:PutObject", "arn:aws:s3:::b/ingest/k") == (
            PermissionResult.NEUTRAL  # moto: PERMITTED (condition never evaluated)
        )
        with iam.request_context({"s3:if-none-match": "*"}):
            assert conditional.is_action_permitted("s3:PutObject", "arn:aws:s3:::b/ingest/k") == (
                PermissionResult.PERMITTED
            )
        deny = IAMPolicyStatement(
            {"Effect": "Deny", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}
        )
        assert deny.is_action_permitted("sts:AssumeRole", "*", USER) == PermissionResult.DENIED


def test_the_original_is_restored() -> None:
    original = IAMPolicyStatement.is_action_permitted
    with iam.statement_evaluation():
        assert IAMPolicyStatement.is_action_permitted is not original
    assert IAMPolicyStatement.is_action_permitted is original
