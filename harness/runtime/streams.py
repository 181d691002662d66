"""What a function prints or logs, captured per invocation thread; the rest of the process as is.

``STDOUT`` and ``STDERR`` stand in for ``sys.stdout`` and ``sys.stderr`` while the runtime is
installed (``routed``): a write from a thread that captures (``captured``) goes to its buffer,
every other write to the stream they stand in for. They are one pair per process, not one per
runtime: a logging handler built during an invocation (Powertools' Logger binds ``sys.stdout``
when it is built) keeps its stream for good, and reaches the current runtime's capture through the
same router, and the process's current stream between runtimes. They are plain objects, not
``io`` streams: nothing flushes or closes them when they are collected.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast


class ThreadRouter:
    """``sys.<name>`` for a capturing thread's buffer, else the stream it stands in for."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.original: TextIO | None = None  # the stream it replaces while installed
        self.buffers: dict[int, io.StringIO] = {}

    def target(self) -> TextIO:
        buffer = self.buffers.get(threading.get_ident())
        if buffer is not None:
            return buffer
        if self.original is not None:
            return self.original
        current: TextIO = getattr(sys, self.name)
        return current if current is not cast(Any, self) else getattr(sys, f"__{self.name}__")

    def write(self, text: str) -> int:
        return self.target().write(text)

    def flush(self) -> None:
        self.target().flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno … of the target
        return getattr(self.target(), name)


STDOUT = ThreadRouter("stdout")
STDERR = ThreadRouter("stderr")


def _retarget_stream_handlers(
    streams: dict[int, Any],
) -> list[tuple[logging.StreamHandler[Any], Any]]:
    """Point every logging StreamHandler writing to one of ``streams``' keys at its value.

    Returns the (handler, previous stream) pairs to restore.
    """
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    changed: list[tuple[logging.StreamHandler[Any], Any]] = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and id(handler.stream) in streams:
                changed.append((handler, handler.setStream(streams[id(handler.stream)])))
    return changed


@contextmanager
def routed() -> Iterator[None]:
    """``sys.stdout``/``sys.stderr`` replaced by the routers until exit, and the logging handlers
    that write to them now (a handler module imported early) pointed at the routers too."""
    if STDOUT.original is not None:
        raise RuntimeError("the output routers are installed already")
    saved = sys.stdout, sys.stderr
    STDOUT.original, STDERR.original = saved
    sys.stdout, sys.stderr = cast(TextIO, STDOUT), cast(TextIO, STDERR)
    retargeted = _retarget_stream_handlers({id(saved[0]): STDOUT, id(saved[1]): STDERR})
    try:
        yield
    finally:
        for handler, stream in retargeted:
            handler.setStream(stream)
        sys.stdout, sys.stderr = saved
        STDOUT.original = STDERR.original = None


@contextmanager
def captured(buffer: io.StringIO, stderr: io.StringIO | None = None) -> Iterator[None]:
    """This thread's output (both streams) into ``buffer`` until exit; with ``stderr``, what it
    writes to ``sys.stderr`` goes there instead."""
    ident = threading.get_ident()
    STDOUT.buffers[ident] = buffer
    STDERR.buffers[ident] = buffer if stderr is None else stderr
    try:
        yield
    finally:
        STDOUT.buffers.pop(ident, None)
        STDERR.buffers.pop(ident, None)
