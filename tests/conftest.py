"""Settings of the whole test process, for every test directory.

Hypothesis runs without its per-example deadline: a deadline is a timing assertion, and on a
shared two-core machine an example of a few milliseconds sometimes takes hundreds
(``DeadlineExceeded``, a failure that says nothing about the code). Example counts are the tests'
own (tests/examples.py).

The order of the modules, for ``make test``'s ``--dist loadfile --no-loadscope-reorder``: the
modules that deploy into the emulator (tests/e2e, tests/harness) first, the many cheap ones after,
so that no long module starts last and runs alone.

One botocore data loader per search path for the process. botocore gives each Session a Loader of
its own, which parses the service models' JSON again for the first client of each service; the
tests make many sessions (each emulator's, each function sandbox's, each ops target's), and those
parses were a sixth of the e2e tests' CPU. The models are the same files for every session (the
same search paths), read-only once loaded, as one session's clients already share them. boto3
adds its own data folder to a session's loader; a shared loader takes it once.
"""

from __future__ import annotations

import os
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from hypothesis import settings

settings.register_profile("activity-pipeline", deadline=None)
settings.load_profile("activity-pipeline")

FIRST = ("tests/e2e/", "tests/harness/")  # the modules that deploy, in this order


class _SearchPaths(list[str]):
    """A loader's search paths: a folder already there is not added again."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


class _SharedLoader(botocore.loaders.Loader):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._search_paths = _SearchPaths(self._search_paths)


_ORIGINAL_CREATE_LOADER = botocore.session.create_loader
_LOADERS: dict[str | None, botocore.loaders.Loader] = {}


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    """``botocore.loaders.create_loader``, one Loader per search path string."""
    if search_path_string not in _LOADERS:
        paths = None
        if search_path_string is not None:
            paths = [
                os.path.expanduser(os.path.expandvars(path))
                for path in search_path_string.split(os.pathsep)
            ]
        _LOADERS[search_path_string] = _SharedLoader(extra_search_paths=paths)
    return _LOADERS[search_path_string]


def pytest_configure(config: pytest.Config) -> None:
    botocore.session.create_loader = _shared_loader


def _rank(nodeid: str) -> int:
    return next((i for i, prefix in enumerate(FIRST) if nodeid.startswith(prefix)), len(FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: each module's tests stay in order


def pytest_unconfigure(config: pytest.Config) -> None:
    botocore.session.create_loader = _ORIGINAL_CREATE_LOADER
