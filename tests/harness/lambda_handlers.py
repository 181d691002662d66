"""Functions the harness unit tests deploy into a bare emulator (run by the in-process runtime)."""

from __future__ import annotations

from typing import Any


def echo(event: Any, context: Any) -> Any:
    return event


def oversized(event: Any, context: Any) -> str:
    return "a" * (257 * 1024)  # a result over the 256 KiB payload quota
