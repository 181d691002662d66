"""A delivery of `harness serve`'s Firehose streams, asked for by another process (the tools).

In-process tools flush the streams themselves; a tool reading a running serve's Iceberg table
cannot, so it sends serve ``SIGUSR1`` (serve's ``pid`` is in its JSON line). Serve delivers every
stream's buffer on its flush thread (a refused delivery keeps its records and is reported on
stderr, as the interval clock would), then writes the number of flushes done so far to
``<iceberg_warehouse>/flushes``; ``request`` waits for that number to grow. A harness device:
Firehose has no flush API on AWS.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

    from harness.runtime.firehose import DeliveryStreams

MARKER = "flushes"


def _count(warehouse: Path) -> int:
    try:
        return int((warehouse / MARKER).read_text(encoding="ascii") or 0)
    except (OSError, ValueError):
        return 0


def request(pid: int, warehouse: Path, timeout: float = 60.0) -> None:
    """Ask serve (``pid``) to deliver its streams now; TimeoutError if it has not done so."""
    before = _count(warehouse)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while _count(warehouse) <= before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"harness serve (pid {pid}) did not flush within {timeout:.0f} s")
        time.sleep(0.05)


class Flushes:
    """Serve's side: SIGUSR1 asks for a flush, ``serve_pending`` does it (``serve_until`` runs it
    on serve's flush thread)."""

    def __init__(self, streams: DeliveryStreams, warehouse: Path) -> None:
        self.streams = streams
        self.warehouse = warehouse
        self.done = 0
        self._asked = threading.Event()

    def install(self) -> None:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            self._asked.set()

        signal.signal(signal.SIGUSR1, on_signal)

    def serve_until(self, stopped: threading.Event) -> None:
        """Deliver on each request until ``stopped`` is set (serve's flush thread)."""
        while not stopped.wait(0.2):
            self.serve_pending()

    def serve_pending(self) -> None:
        if not self._asked.is_set():
            return
        self._asked.clear()
        for name, stream in list(self.streams.streams.items()):
            try:
                self.streams.deliver(stream)
            except Exception as error:  # the records stay buffered, as after any refusal
                print(
                    f"harness serve: delivery of {name}: {error}",
                    file=sys.stderr,
                    flush=True,
                )
        self.done += 1
        self.warehouse.mkdir(parents=True, exist_ok=True)
        (self.warehouse / MARKER).write_text(str(self.done), encoding="ascii")
