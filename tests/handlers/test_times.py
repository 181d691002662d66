from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.times import (
    EPOCH,
    MS_THRESHOLD,
    EventTimeError,
    format_time,
    is_future,
    is_late,
    parse_event_time,
)


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


NORMALIZED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
# A day inside datetime's range: any offset applied to one stays inside it.
instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))


def normalized(value: object) -> str:
    return format_time(parse_event_time(value))


def to_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@given(instants)
def test_a_normalized_time_reads_back_as_its_millisecond(moment: datetime) -> None:
    text = format_time(moment)
    assert NORMALIZED.fullmatch(text)
    assert parse_event_time(text) == to_ms(moment)
    assert normalized(text) == text  # normalization is idempotent


@given(instants, offsets, st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_an_offset_time_names_the_instant_python_reads(
    moment: datetime, offset: timezone, timespec: str
) -> None:
    text = moment.astimezone(offset).isoformat(timespec=timespec)
    assert parse_event_time(text) == to_ms(datetime.fromisoformat(text).astimezone(UTC))
    assert normalized(normalized(text)) == normalized(text)


@given(st.integers(-62_135_596_800_000 + 1, 253_402_300_799_999))
def test_an_epoch_number_names_its_instant(ms: int) -> None:
    """Milliseconds from 1e11 in magnitude, seconds below (integers, and floats of whole ms)."""
    moment = EPOCH + timedelta(milliseconds=ms)
    if abs(ms) >= MS_THRESHOLD:
        assert parse_event_time(ms) == moment
        assert parse_event_time(float(ms)) == moment
    if abs(ms) < MS_THRESHOLD * 1000:
        assert parse_event_time(ms / 1000) == moment
        if ms % 1000 == 0:
            assert parse_event_time(ms // 1000) == moment
