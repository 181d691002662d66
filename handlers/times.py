"""Time rules of the contract (pure): parse event_time, normalize to UTC milliseconds."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS_THRESHOLD = 100_000_000_000  # |value| >= 1e11 -> milliseconds, else seconds
FUTURE_TOLERANCE = timedelta(hours=24)
# RFC 3339 digits are ASCII (`[0-9]`; `\d` would also match other scripts' digits).
_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<h>[0-9]{2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})"
    r"(?:\.(?P<frac>[0-9]{1,9}))?(?P<tz>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


class EventTimeError(ValueError):
    """event_time does not follow the time rules (reason bad_event_time)."""


def format_time(moment: datetime) -> str:
    """UTC `YYYY-MM-DDTHH:MM:SS.sssZ` (milliseconds, truncated)."""
    # isoformat pads the year to 4 digits and truncates to milliseconds; UTC ends in "+00:00".
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def truncate_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def _from_epoch_ms(ms: int) -> datetime:
    try:
        return EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        raise EventTimeError(f"epoch value {ms} ms is out of range") from None


def _parse_number(value: int | float) -> datetime:
    if isinstance(value, float) and not math.isfinite(value):
        raise EventTimeError("epoch value is not a finite number")
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise EventTimeError(f"epoch value {value!r} is not a number") from None
    ms = exact if abs(exact) >= MS_THRESHOLD else exact * 1000
    if ms != ms.to_integral_value():
        raise EventTimeError(f"epoch value {value!r} has a fraction of a millisecond")
    return _from_epoch_ms(int(ms))


def _parse_string(value: str) -> datetime:
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise EventTimeError("not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fff]±HH:MM or Z)")
    if match["tz"] is None:
        raise EventTimeError("naive date-time: an offset (Z or ±HH:MM) is required")
    tz = match["tz"].upper()
    if tz != "Z":
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if hours > 23 or minutes > 59:
            raise EventTimeError(f"invalid UTC offset {tz}")
        sign = 1 if tz[0] == "+" else -1
        offset = timedelta(hours=hours, minutes=minutes) * sign
    else:
        offset = timedelta(0)
    micro = int((match["frac"] or "0").ljust(6, "0")[:6])
    try:
        naive = datetime.fromisoformat(f"{match['date']}T{match['h']}:{match['m']}:{match['s']}")
        return (naive.replace(microsecond=micro) - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise EventTimeError(f"invalid date-time: {exc}") from None


def parse_event_time(value: object) -> datetime:
    """An aware UTC datetime truncated to milliseconds, or EventTimeError.

    Accepts RFC 3339 strings with an offset, and JSON numbers as epoch milliseconds
    (|v| >= 1e11) or seconds; booleans and fractions of a millisecond are refused.
    """
    if isinstance(value, bool):
        raise EventTimeError("a boolean is not a time")
    if isinstance(value, int | float):
        moment = _parse_number(value)
    elif isinstance(value, str):
        moment = _parse_string(value)
    else:
        raise EventTimeError(f"{type(value).__name__} is not a time (string or integer expected)")
    if not _MIN < moment < _MAX:
        raise EventTimeError("time is out of range")
    return truncate_ms(moment)


def parse_timestamp(value: str) -> datetime:
    """Parse our own normalized timestamps (received_at metadata), any RFC 3339 with offset."""
    return parse_event_time(value)


def is_future(event_time: datetime, received_at: datetime) -> bool:
    return event_time - received_at > FUTURE_TOLERANCE


def is_late(event_time: datetime, received_at: datetime, threshold_hours: float) -> bool:
    return received_at - event_time > timedelta(hours=threshold_hours)
