"""Settings of the whole test process, for every test directory.

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


def pytest_unconfigure(config: pytest.Config) -> None:
    botocore.session.create_loader = _ORIGINAL_CREATE_LOADER
