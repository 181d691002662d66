"""What an ops command is: its signature, how it is registered, its errors and its output.

Every command is a ``Command``: a name, a one-line summary and a description for ``--help``, a
function adding its own options, and ``run(args, target) -> int`` (the exit status). The CLI
(ops.cli) adds the options every command shares — the target's and ``--json`` — and turns the
errors every command may meet into one line on stderr.

Output: without ``--json`` a command prints text for a reader (a table, a summary); with it,
JSON for a program — one object per line for a listing, one document for a summary.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ops.table import summary_text

if TYPE_CHECKING:
    from ops.target import Target


class CommandError(ValueError):
    """A request a command cannot carry out (bad input, a stack that lacks what it needs): one
    line on stderr, exit status 2."""


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # the line `ops --help` shows
    description: str  # what `ops NAME --help` shows above the options
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Target], int]


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} must be a number of seconds above 0")
    return value


def emit(args: argparse.Namespace, value: Any, text: Callable[[], str]) -> None:
    """Print ``value`` as JSON with ``--json`` (a list one object per line), else ``text()``."""
    if not args.json:
        print(text())
    elif isinstance(value, list):
        for row in value:
            print(json.dumps(row, sort_keys=True))
    else:
        print(json.dumps(value, indent=2))


def report(
    args: argparse.Namespace, summary: dict[str, Any], rows: str, columns: Sequence[str]
) -> int:
    """Print a summary (its counts, then its list ``rows`` as a table; or --json); the exit
    status is 1 when ``summary["failed"]`` counts anything."""
    emit(args, summary, lambda: summary_text(summary, rows, columns))
    return 1 if summary["failed"] else 0


def add_concurrency(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--concurrency", type=positive_int, default=4, metavar="N", help=f"{what} at once (4)"
    )
