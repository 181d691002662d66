"""The handler state a function's own sandbox would have, given back before each invocation.

On AWS each function runs in a process of its own, its modules imported with its environment set:
Powertools' ``Logger`` and ``Metrics`` read ``POWERTOOLS_SERVICE_NAME``,
``POWERTOOLS_METRICS_NAMESPACE`` and ``POWERTOOLS_LOG_LEVEL`` when they are built at import, and a
boto3 client signs with the credentials of the function's role. In-process, every function shares
one interpreter: the handler modules may be imported before any function's environment exists (a
test imports them first), and a client built under one function's role would sign the next
function's calls. So, with the function's environment in ``os.environ``, the modules of the
handler's package get what that function's sandbox would hold: each module-level Logger and Metrics
re-reads its settings from the environment, and each module-level cache of boto3 clients holds the
clients this sandbox built before (a warm start), none at first (a cold start: the handler builds
them with the role's credentials). ``Sandboxes.enter`` does that per sandbox (a function with its
role's credentials); ``reset`` gives a cold one. The handlers stay in Powertools' idiom:
module-level ``Logger()``/``Metrics()``, decorators, clients built on first use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Hashable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from botocore.client import BaseClient

UNDEFINED_SERVICE = "service_undefined"  # Powertools' service name when none is configured
DEFAULT_LEVEL = "INFO"


class ClientBuiltAtImport(Exception):
    """A module-level boto3 client: it signs with whatever credentials existed at import."""


def package_of(handler: str) -> str:
    """The package whose modules make a function's state: ``handlers`` for
    ``handlers.ingest.handler``, the module itself for a top-level one."""
    module_name = handler.rpartition(".")[0]
    return module_name.rpartition(".")[0] or module_name


CacheId = tuple[str, str]  # (module name, attribute)


class Sandboxes:
    """The client caches of every sandbox this runtime has run, swapped in before each call."""

    def __init__(self) -> None:
        self._caches: set[CacheId] = set()
        self._saved: dict[Hashable, dict[CacheId, dict[Any, Any]]] = {}
        self._current: Hashable | None = None

    def enter(self, package: str, sandbox: Hashable) -> None:
        """Give ``package`` the state of ``sandbox`` (keeping the state of the one it leaves)."""
        leaving = self._saved.setdefault(self._current, {}) if self._current is not None else {}
        entering = self._saved.get(sandbox, {})
        for cache_id, cache in _state(package, self._caches):
            leaving[cache_id] = dict(cache)
            cache.clear()
            cache.update(entering.get(cache_id, {}))
        self._current = sandbox


def reset(package: str) -> None:
    """Give every loaded module of ``package`` the state of a cold sandbox."""
    for _, cache in _state(package, set()):
        cache.clear()


def _state(package: str, caches: set[CacheId]) -> list[tuple[CacheId, dict[Any, Any]]]:
    """Re-read every Logger's and Metrics' settings; the client caches of ``package`` (``caches``
    remembers those seen, so an empty one is known again)."""
    prefix = f"{package}."
    found: list[tuple[CacheId, dict[Any, Any]]] = []
    # every invocation runs this: a quick pass over the names (thousands) before the modules
    names = [name for name in list(sys.modules) if name.startswith(package)]
    for name in names:
        module = sys.modules.get(name)
        if module is None or not (name == package or name.startswith(prefix)):
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, Logger):
                _reset_logger(value)
            elif isinstance(value, Metrics):
                _reset_metrics(value)
            elif isinstance(value, BaseClient):
                raise ClientBuiltAtImport(f"{name}.{attribute}: build clients on first use")
            elif isinstance(value, dict) and (
                (name, attribute) in caches or _is_client_cache(value)
            ):
                caches.add((name, attribute))
                found.append(((name, attribute), value))
    return found


def _is_client_cache(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(item, BaseClient) for item in value.values())
    )


def _reset_logger(logger: Logger) -> None:
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or UNDEFINED_SERVICE
    logger.service = service
    # the keys ``clear_state`` (``inject_lambda_context(clear_state=True)``) restores (Powertools 3)
    logger._default_log_keys["service"] = service
    logger.append_keys(service=service)
    logger.setLevel((os.environ.get("POWERTOOLS_LOG_LEVEL") or DEFAULT_LEVEL).upper())


def _reset_metrics(metrics: Metrics) -> None:
    metrics.service = os.environ.get("POWERTOOLS_SERVICE_NAME")
    metrics.namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE")
