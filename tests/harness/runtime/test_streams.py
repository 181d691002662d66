"""Each invocation's output is captured per thread, by routers that outlive any one runtime."""

from __future__ import annotations

import io
import logging
import sys
import threading

import pytest

from harness.runtime import streams


def test_a_handler_built_during_one_runtime_is_captured_by_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outside = io.StringIO()
    monkeypatch.setattr(sys, "stdout", outside)
    log = logging.getLogger("harness-test-streams")
    monkeypatch.setattr(log, "propagate", False)
    with streams.routed():  # a handler module imported during an invocation binds sys.stdout
        handler = logging.StreamHandler(sys.stdout)
    log.addHandler(handler)
    try:
        with streams.routed():
            buffer = io.StringIO()
            with streams.captured(buffer):
                log.warning("in the function")
            worker = threading.Thread(target=log.warning, args=("another thread",))
            worker.start()
            worker.join()
        log.warning("between runtimes")
    finally:
        log.removeHandler(handler)
    assert buffer.getvalue() == "in the function\n"
    assert outside.getvalue() == "another thread\nbetween runtimes\n"
    assert sys.stdout is outside


def test_routed_restores_the_streams_and_refuses_to_nest() -> None:
    saved = sys.stdout, sys.stderr
    with (
        streams.routed(),
        pytest.raises(RuntimeError, match="installed already"),
        streams.routed(),
    ):
        pass
    assert (sys.stdout, sys.stderr) == saved


def test_a_thread_can_capture_its_two_streams_apart() -> None:
    out, err = io.StringIO(), io.StringIO()
    with streams.routed():
        with streams.captured(out, err):
            print("to stdout")
            print("to stderr", file=sys.stderr)
        both = io.StringIO()
        with streams.captured(both):
            print("one")
            print("two", file=sys.stderr)
    assert (out.getvalue(), err.getvalue(), both.getvalue()) == (
        "to stdout\n",
        "to stderr\n",
        "one\ntwo\n",
    )
