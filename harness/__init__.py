"""Integrated test harness.

Embedded AWS emulator, deploy-into-emulator, in-process Lambda runtime, CLI.

Importing the package registers ``moto.batch`` without its models (``defer_moto_batch_models``):
moto 5.2.5's Step Functions interpreter imports ``moto.batch.utils`` (``JobStatus``, for its AWS
Batch integration, which the pipeline never uses); importing that submodule runs the package's
``__init__``, which imports ``moto.batch.models`` and, through it, EC2's and ECS's models — region
and instance-type tables built at import: 1.5 to 3 seconds of every process that imports the
emulator (each test worker, ``harness serve``, the demo, the benchmarks). Here the package is
registered without running its ``__init__``, so ``moto.batch.utils`` loads alone; the package's
``batch_backends`` is imported from ``moto.batch.models`` when first asked for, and moto's backend
lookup imports ``moto.batch.models`` by name as before. Nothing else changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

PACKAGE = "moto.batch"


def defer_moto_batch_models() -> None:
    """Register ``moto.batch`` without importing its models (once; a no-op if already imported)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return
    package: ModuleType = importlib.util.module_from_spec(spec)  # its __init__ is not run

    def __getattr__(name: str) -> Any:
        if name == "batch_backends":
            return importlib.import_module(f"{PACKAGE}.models").batch_backends
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[PACKAGE] = package


defer_moto_batch_models()  # before any harness module imports the Step Functions interpreter
