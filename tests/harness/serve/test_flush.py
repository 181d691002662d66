"""Serve's flush asked from another process: SIGUSR1, every stream delivered, the count written."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

from harness.serve import flush


class Streams:
    """Stands in for the emulator's DeliveryStreams: records which streams were delivered."""

    def __init__(self) -> None:
        self.streams = {"a": "stream-a", "b": "stream-b"}
        self.delivered: list[Any] = []

    def deliver(self, stream: Any) -> None:
        if stream == "stream-b":
            raise RuntimeError("refused")  # reported; the other streams are delivered all the same
        self.delivered.append(stream)


def test_a_request_waits_for_serve_to_deliver_every_stream(tmp_path: Path) -> None:
    streams = Streams()
    flushes = flush.Flushes(streams, tmp_path)  # type: ignore[arg-type]
    previous = signal.getsignal(signal.SIGUSR1)
    flushes.install()
    stop = threading.Event()

    def main_loop() -> None:
        while not stop.wait(0.02):
            flushes.serve_pending()

    loop = threading.Thread(target=main_loop)
    loop.start()
    try:
        flush.request(os.getpid(), tmp_path, timeout=10)
        assert streams.delivered == ["stream-a"]
        flush.request(os.getpid(), tmp_path, timeout=10)
        assert streams.delivered == ["stream-a", "stream-a"]
        assert (tmp_path / flush.MARKER).read_text() == "2"
    finally:
        stop.set()
        loop.join()
        signal.signal(signal.SIGUSR1, previous)
