from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.times import EventTimeError, format_time, is_future, is_late, parse_event_time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"),
        ("2024-05-01t12:00:00z", "2024-05-01T12:00:00.000Z"),
        ("2024-05-01T12:00:00.123456789+02:00", "2024-05-01T10:00:00.123Z"),
        ("2024-05-01T01:30:00-05:30", "2024-05-01T07:00:00.000Z"),
        ("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00.000Z"),
        ("2024-05-01T12:00:00.9999Z", "2024-05-01T12:00:00.999Z"),
        (1714564800, "2024-05-01T12:00:00.000Z"),  # seconds
        (1714564800123, "2024-05-01T12:00:00.123Z"),  # milliseconds
        (99_999_999_999, "5138-11-16T09:46:39.000Z"),  # just below 1e11: seconds
        (100_000_000_000, "1973-03-03T09:46:40.000Z"),  # 1e11: milliseconds
        (1714564800.5, "2024-05-01T12:00:00.500Z"),  # whole milliseconds
        (1714564800123.0, "2024-05-01T12:00:00.123Z"),
        (-1, "1969-12-31T23:59:59.000Z"),
    ],
)
def test_parse_and_normalize(value: object, expected: str) -> None:
    assert format_time(parse_event_time(value)) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00",  # naive
        "2024-05-01 12:00:00Z",
        "2024-05-01",
        "2024-02-30T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:00:60Z",
        "2024-05-01T12:00:00+24:00",
        "0001-01-01T00:00:00+01:00",
        "1714564800000",
        "",
        True,
        False,
        None,
        1714564800123.5,  # fraction of a millisecond
        1714564800.0001,
        float("nan"),
        float("inf"),
        10**20,
        [],
        {},
    ],
)
def test_bad_event_time(value: object) -> None:
    with pytest.raises(EventTimeError):
        parse_event_time(value)


def test_future_and_late() -> None:
    received = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert not is_future(received + timedelta(hours=24), received)
    assert is_future(received + timedelta(hours=24, milliseconds=1), received)
    assert not is_late(received - timedelta(hours=72), received, 72)
    assert is_late(received - timedelta(hours=72, milliseconds=1), received, 72)
    assert is_late(received - timedelta(minutes=1), received, 0)
