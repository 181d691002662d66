"""A dependency-free progress line for long runs, written to stderr (stdout stays parseable)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if self.done >= self.total or now - self._last_draw >= 0.2:
            self._last_draw = now
            self._draw(note)

    def _draw(self, note: str) -> None:
        width = 30
        fraction = self.done / self.total if self.total else 1.0
        bar = "#" * int(width * min(fraction, 1.0))
        elapsed = time.monotonic() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        line = (
            f"\r{self.label} [{bar:<{width}}] {self.done}/{self.total} {rate:.1f}/s {note}".rstrip()
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self._draw("")
        self.stream.write("\n")
        self.stream.flush()
