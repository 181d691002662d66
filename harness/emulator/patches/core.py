"""moto's core: a backend is looked up without taking moto's global lock once it exists; a KMS
key's key pair is generated when it is first used.

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

moto's CreateKey also generates an RSA-2048 key pair for every key, a symmetric one included
(``moto.kms.utils.generate_private_key``: 50 to 150 ms of CPU each; the stack creates three keys).
Only Sign, Verify and GetPublicKey use it; here it is generated the first time one of them does,
the same key as moto would make.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import moto.kms.models as kms_models
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


class _MadeWhenUsed:
    """A KMS key's private key, generated the first time anything of it is used."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._make()
        return getattr(self._key, name)


@contextmanager
def kms_private_keys_made_when_used() -> Iterator[None]:
    """CreateKey without generating the key pair moto makes for every key until it is used."""
    original = kms_models.generate_private_key

    def deferred(key_spec: str) -> Any:
        return _MadeWhenUsed(lambda: original(key_spec))

    kms_models.generate_private_key = deferred
    try:
        yield
    finally:
        kms_models.generate_private_key = original
