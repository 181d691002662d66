"""Harness unit fixtures: an emulator with every patch installed and nothing deployed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(retry_time_scale=0.01) as emu:
        yield emu
