from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from handlers.schema import event_schema, schema_problem

VALID = {"user_id": "u", "action": "click", "event_time": "2024-05-01T10:00:00Z"}


def test_schema_is_valid_draft_07() -> None:
    schema = event_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["required"] == ["user_id", "action", "event_time"]
    assert schema["additionalProperties"] is False


def test_valid_event_passes() -> None:
    full = {
        **VALID,
        "event_id": "e-1.x:y",
        "session_id": "s",
        "page": "/",
        "referrer": "",
        "user_agent": "ua",
        "ip": "2001:db8::1",
        "properties": {"k": [1, {"z": None}]},
    }
    assert schema_problem(VALID) is None
    assert schema_problem(full) is None


@pytest.mark.parametrize(
    ("patch", "path", "rule"),
    [
        ({"user_id": ""}, "data.user_id", "minLength"),
        ({"user_id": "u" * 257}, "data.user_id", "maxLength"),
        ({"user_id": 7}, "data.user_id", "type"),
        ({"action": "a" * 129}, "data.action", "maxLength"),
        ({"event_id": "a#b"}, "data.event_id", "pattern"),
        ({"event_id": "abc\n"}, "data.event_id", "pattern"),
        ({"user_agent": "u" * 1025}, "data.user_agent", "maxLength"),
        ({"ip": "300.1.1.1"}, "data.ip", "anyOf"),
        ({"ip": "1.2.3.4\n"}, "data.ip", "anyOf"),
        ({"ip": "fe80::1%eth0"}, "data.ip", "anyOf"),
        ({"properties": []}, "data.properties", "type"),
        ({"unknown": 1}, "data", "additionalProperties"),
    ],
)
def test_violation_names_path_and_rule(patch: dict[str, Any], path: str, rule: str) -> None:
    detail = schema_problem({**VALID, **patch})
    assert detail is not None
    assert detail.startswith(path + " ")
    assert detail.endswith(f"(rule: {rule})")


def test_missing_required_field() -> None:
    detail = schema_problem({"user_id": "u", "action": "a"})
    assert detail is not None
    assert "event_time" in detail
    assert "(rule: required)" in detail
