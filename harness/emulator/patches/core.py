"""moto's core: a backend is looked up without taking moto's global lock once it exists.

moto 5.2.5 takes one process-wide ``RLock`` (``moto.core.base_backend.backend_lock``) on every
``<service>_backends[account_id]`` — every request of every service looks its backend up so — and,
holding it, copies the dict's keys and compares the ``BackendDict`` with every registered one
(``BackendDict._instances``, a list, by ``__eq__``). With requests served on many threads (the
Write function's 16 concurrent PutItems, the route's clients, the pollers) the threads queue on
that lock, each holder descheduled by the GIL while the others wait: in the emulator a batch of 50
events spent about half its wall time waiting there.

This is not an AWS rule but the emulator's own throughput, which the latency figure and the test
suite's run time depend on. The lookup is the same: an account's backend that is already in the
dict is returned without the lock (a dict membership test is atomic under the GIL); creating one
takes the lock as before. ``BackendDict.reset`` clears the dicts and the registered list together
under the lock, so a backend found in the dict is always a registered one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.base_backend import BackendDict


@contextmanager
def backend_lookup_without_lock() -> Iterator[None]:
    """``BackendDict[account_id]`` without the global lock when the account's backend exists."""
    original = BackendDict.__dict__["_create_account_specific_backend"]

    def create_if_missing(self: BackendDict[Any], account_id: str) -> None:
        if dict.__contains__(self, account_id):
            return
        original(self, account_id)

    BackendDict._create_account_specific_backend = create_if_missing
    try:
        yield
    finally:
        BackendDict._create_account_specific_backend = original
