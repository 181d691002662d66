"""The entry points' constants that are not policies (route, pattern, access-log line)."""

from __future__ import annotations

import json

from components.builders.entry import ACCESS_LOG_FIELDS, ROUTE_KEY, access_log_format, event_pattern


def test_event_pattern_is_the_documented_one() -> None:
    assert event_pattern() == {"source": [{"prefix": "activity."}], "detail-type": ["UserActivity"]}


def test_route_and_access_log_line() -> None:
    assert ROUTE_KEY == "POST /events"
    line = access_log_format()
    assert json.loads(line) == ACCESS_LOG_FIELDS
    assert " " not in line
