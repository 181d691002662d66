"""The times the ops commands take (``--since``, ``--until``): one parser for every command.

Accepted, digits ASCII only:

- RFC 3339 with an offset, as an event's ``event_time`` (``2025-11-20T09:00:05.250Z``,
  ``2025-11-20T10:00:00+01:00``);
- a UTC day, hour or minute: ``YYYY-MM-DD``, ``YYYY-MM-DDTHH``, ``YYYY-MM-DDTHH:MM``;
- epoch seconds or milliseconds, as an event's ``event_time`` (``1763629200``,
  ``1763629200000``).

A date-time with seconds but no offset is refused: which zone it means cannot be known.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from handlers.times import EventTimeError, parse_event_time
from ops.commands import CommandError

FORMS = "RFC 3339 with an offset, YYYY-MM-DD[THH[:MM]] in UTC, or epoch seconds or milliseconds"
_SHORT = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[Tt](?P<h>[0-9]{2})(?::(?P<m>[0-9]{2}))?)?"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EPOCH = re.compile(r"-?[0-9]+(?P<fraction>\.[0-9]+)?")


class TimeError(CommandError, argparse.ArgumentTypeError):
    """A command-line time in none of the accepted forms."""


def parse_time(text: str) -> datetime:
    """An aware UTC datetime (milliseconds); TimeError names the accepted forms.

    Usable as an argparse ``type``: the error is then reported as the option's.
    """
    value = text.strip()
    short = _SHORT.fullmatch(value)
    epoch = _EPOCH.fullmatch(value)
    try:
        if short is not None:
            moment = datetime.fromisoformat(
                f"{short['date']}T{short['h'] or '00'}:{short['m'] or '00'}"
            )
            return moment.replace(tzinfo=UTC)
        if epoch is None:
            return parse_event_time(value)
        return parse_event_time(float(value) if epoch["fraction"] else int(value))
    except (EventTimeError, ValueError) as exc:
        if short is not None:
            why = " (no such date or hour)"
        elif epoch is not None or _DATE.match(value):  # near a form: say what is wrong
            why = f" ({exc})"
        else:
            why = ""
        raise TimeError(f"{text!r} is not a time{why}; use {FORMS}") from None


def add_time_range(
    parser: argparse.ArgumentParser, since: str, until: str, *, required: bool
) -> None:
    """``--since`` and ``--until`` (helps ``since`` and ``until``), both read by parse_time."""
    for flag, help_text in (("--since", since), ("--until", until)):
        parser.add_argument(
            flag, required=required, type=parse_time, metavar="TIME", help=help_text
        )
