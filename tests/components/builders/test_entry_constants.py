"""The entry points' constants that are not policies (route, integrations, names, pattern,
access-log line)."""

from __future__ import annotations

import json

from components.builders.entry import (
    ACCESS_LOG_FIELDS,
    INTEGRATION_SUBTYPE,
    REQUEST_BODY,
    ROUTE_KEY,
    SEND_MESSAGE_SUBTYPE,
    EventRuleName,
    access_log_format,
    event_pattern,
)


def test_event_pattern_is_the_documented_one() -> None:
    assert event_pattern() == {"source": [{"prefix": "activity."}], "detail-type": ["UserActivity"]}


def test_route_and_access_log_line() -> None:
    assert ROUTE_KEY == "POST /events"
    line = access_log_format()
    assert json.loads(line) == ACCESS_LOG_FIELDS
    assert " " not in line


def test_integrations_pass_the_body_as_received() -> None:
    assert (INTEGRATION_SUBTYPE, SEND_MESSAGE_SUBTYPE) == (
        "StepFunctions-StartExecution",
        "SQS-SendMessage",
    )
    assert REQUEST_BODY == "$request.body"


def test_bus_and_rule_names_follow_the_prefix() -> None:
    assert EventRuleName.of("activity-pipeline-dev") == EventRuleName(
        bus="activity-pipeline-dev-activity", rule="activity-pipeline-dev-activity-to-workflow"
    )
