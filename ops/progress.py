"""A progress line for long runs, on stderr (stdout stays parseable).

On a terminal the line is redrawn in place as work is done; anywhere else (a pipe, a file, CI) it
is written once, when the work ends, so a log holds one line instead of one per redraw.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_SECONDS = 0.2


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self._started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if self.live and (self.done >= self.total or now - self._last_draw >= REDRAW_SECONDS):
            self._last_draw = now
            self.stream.write("\r" + self.line(note))
            self.stream.flush()

    def line(self, note: str = "") -> str:
        fraction = self.done / self.total if self.total else 1.0
        bar = "#" * int(WIDTH * min(fraction, 1.0))
        elapsed = time.monotonic() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return (
            f"{self.label} [{bar:<{WIDTH}}] {self.done}/{self.total} {rate:.1f}/s {note}".rstrip()
        )

    def close(self) -> None:
        self.stream.write(("\r" if self.live else "") + self.line() + "\n")
        self.stream.flush()
