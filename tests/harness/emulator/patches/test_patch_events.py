"""EventBridge PutEvents: AWS's limits on one request and on an entry's Detail."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from harness.emulator.patches.events import MALFORMED_DETAIL, entry_size, malformed_detail


def entry(detail: str) -> dict[str, str]:
    return {"Source": "activity.test", "DetailType": "UserActivity", "Detail": detail}


@pytest.mark.parametrize(
    ("detail", "malformed"),
    [
        ('{"a": 1}', False),
        ("[1, 2]", True),  # moto: delivered with a warning
        ('"text"', True),
        ('{"a": NaN}', True),
        ('{"a": 9223372036854775808}', True),
        ('{"a": ' * 1101 + "1" + "}" * 1101, True),
        ("not json", True),
    ],
)
def test_malformed_detail(detail: str, malformed: bool) -> None:
    assert malformed_detail(detail) is malformed


def test_entry_size_counts_as_eventbridge_does() -> None:
    assert entry_size({**entry("{}"), "Time": "2025-11-20T00:00:00Z"}) == 14 + 13 + 12 + 2


def test_put_events_refuses_as_aws_does(emulator: Emulator) -> None:
    events = emulator.client("events")
    answer = events.put_events(Entries=[entry('{"a": 1}'), entry("[1, 2]")])
    assert answer["FailedEntryCount"] == 1
    assert {k: answer["Entries"][1][k] for k in MALFORMED_DETAIL} == MALFORMED_DETAIL
    big = json.dumps({"pad": "x" * 200_000})
    with pytest.raises(ClientError) as refused:  # moto: both entries accepted
        events.put_events(Entries=[entry(big), entry(big)])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
