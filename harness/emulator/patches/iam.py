"""IAM: a policy statement applies as AWS decides it, with the request's condition keys.

moto 5.2.5's ``IAMPolicyStatement.is_action_permitted``
- reads only ``Principal.AWS`` and tests ``principal in None`` for a service principal, a
  ``TypeError`` (HTTP 500) when an IAM user calls ``sts:AssumeRole`` on a role trusted by a service;
- answers DENIED — an explicit deny, which overrides every Allow — for a statement whose principal
  or condition does not match, and PERMITTED for a matching trust-policy ``Deny``;
- evaluates only ``StringEquals`` conditions, and a key absent from the request makes it hold, so a
  condition in an identity policy (``s3:if-none-match``) is never enforced.

AWS (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition operators"):
a statement applies only when its action, resource, principal and every condition match; one that
does not apply neither allows nor denies. "If the key that you specify in a policy condition is not
present in the request context, the values do not match and the condition is false. If the policy
condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right
key is not present, the condition is true", except for ``...IfExists`` operators and ``Null``
(``"true"``: the key is absent; ``"false"``: it is present).

The request context holds the keys in ``MODELLED_KEYS``, set per request by the service patches
(``request_context``) and, for ``sts:ExternalId``, by moto itself. A condition on a key the
harness does not model is not evaluated (moto's behaviour): such keys are listed nowhere in the
pipeline's identity policies. An operator the harness does not implement on a modelled key raises.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

MODELLED_KEYS = frozenset(
    {"aws:securetransport", "s3:if-none-match", "s3:if-match", "sts:externalid"}
)
_NEGATED = frozenset(
    {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}
)

_context = threading.local()


class UnsupportedCondition(Exception):
    """A policy uses a condition operator the harness does not evaluate on a modelled key."""


@contextmanager
def request_context(values: Mapping[str, str]) -> Iterator[None]:
    """The condition keys of the request this thread is authorizing (keys are case-insensitive)."""
    previous = getattr(_context, "values", None)
    _context.values = {key.lower(): value for key, value in values.items()}
    try:
        yield
    finally:
        _context.values = previous


def current_context() -> dict[str, str]:
    return dict(getattr(_context, "values", None) or {})


def _like(pattern: str, value: str) -> bool:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _matches(operator: str, expected: str, actual: str) -> bool:
    if operator in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return actual == expected
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return _like(expected, actual)
    if operator == "Bool":
        return actual.lower() == expected.lower()
    raise UnsupportedCondition(f"harness: condition operator {operator} is not evaluated")


def _values(expected: Any) -> list[str]:
    items = expected if isinstance(expected, list) else [expected]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def condition_holds(condition: Mapping[str, Any] | None, context: Mapping[str, str]) -> bool:
    """Every operator and every key of a statement's ``Condition`` block holds for ``context``."""
    for operator, tests in (condition or {}).items():
        base = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            name = key.lower()
            if name not in MODELLED_KEYS:
                continue
            actual = context.get(name)
            values = _values(expected)
            if base == "Null":
                if (actual is None) != (values[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if base != operator or base in _NEGATED:
                    continue  # IfExists, or a negated operator: holds when the key is absent
                return False
            found = any(_matches(base, value, actual) for value in values)
            if found == (base in _NEGATED):
                return False
    return True


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def principal_matches(spec: Any, principal: str) -> bool:
    """Whether ``principal`` (an IAM user or assumed-role session ARN) is named by ``spec``.

    ``"*"`` names everyone; an ``AWS`` entry names an ARN, an account (its id or root ARN: any
    principal of that account) or a role (every session of it). ``Service``, ``Federated`` and
    ``CanonicalUser`` entries never name an IAM user or role session.
    """
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    entries = spec.get("AWS", [])
    for entry in entries if isinstance(entries, list) else [entries]:
        if entry in ("*", principal):
            return True
        account = _account_of(principal)
        if entry in (account, f"arn:aws:iam::{account}:root"):
            return True
        if ":assumed-role/" in principal and ":role/" in entry:
            role_name = principal.split(":assumed-role/", 1)[1].split("/", 1)[0]
            if _account_of(entry) == account and entry.rsplit("/", 1)[-1] == role_name:
                return True
    return False


def is_action_permitted(
    self: Any,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> PermissionResult:
    statement = self._statement
    if "NotAction" in statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned:
        return PermissionResult.NEUTRAL
    if principal is None:
        if self.is_unknown_principal(statement.get("Principal")):
            return PermissionResult.NEUTRAL  # moto: named principals of resource policies
    elif not principal_matches(statement.get("Principal"), principal):
        return PermissionResult.NEUTRAL
    context = current_context()
    context.update({k.lower(): v for k, v in (incoming_condition_values or {}).items()})
    if not condition_holds(statement.get("Condition"), context):
        return PermissionResult.NEUTRAL
    if statement.get("Resource") and not self._check_element_matches("Resource", resource):
        return PermissionResult.NEUTRAL
    if statement.get("Effect") == "Allow":
        return PermissionResult.PERMITTED
    return PermissionResult.DENIED


@contextmanager
def statement_evaluation() -> Iterator[None]:
    original = IAMPolicyStatement.is_action_permitted
    IAMPolicyStatement.is_action_permitted = is_action_permitted
    try:
        yield
    finally:
        IAMPolicyStatement.is_action_permitted = original
