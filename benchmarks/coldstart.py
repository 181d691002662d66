"""Cold start: import time of each handler from the deployment package, versus ``import boto3``.

The package is zipped from exactly the files the Workflow component packages
(``components.workflow.handler_files``), unzipped into a temporary directory and imported from
there with ``PYTHONDONTWRITEBYTECODE=1`` — as in Lambda, where ``/var/task`` is read-only and the
zip carries no ``.pyc``, so the handler modules compile at every cold start while site-packages
(boto3, Powertools from the layer) use their compiled bytecode. Each figure is the median over
fresh interpreters; the runs of the different modules are interleaved.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.stats import median

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES = ("boto3", "handlers.ingest", "handlers.process", "handlers.write")
_PROBE = (
    "import sys, time\n"
    "t = time.perf_counter()\n"
    "import {module}\n"
    "sys.stdout.write(repr(time.perf_counter() - t))\n"
)


def build_package(target: Path, handlers_dir: Path = REPO_ROOT / "handlers") -> dict[str, int]:
    """Zip the handler files as the Workflow component does (``handlers/`` at the zip root)."""
    from components.workflow import handler_files

    files = handler_files(handlers_dir)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, path in sorted(files.items()):
            archive.write(path, f"handlers/{relative}")
    return {
        "files": len(files),
        "zip_bytes": target.stat().st_size,
        "unzipped_bytes": sum(p.stat().st_size for p in files.values()),
    }


def _environment(code_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    env.update({"PYTHONPATH": str(code_dir), "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def import_seconds(module: str, code_dir: Path) -> float:
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", _PROBE.format(module=module)],
        cwd=code_dir,
        env=_environment(code_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(completed.stdout)


def top_imports(module: str, code_dir: Path, count: int = 6) -> list[dict[str, Any]]:
    """Where ``import module`` spends its time (``python -X importtime``), by package."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=code_dir,
        env=_environment(code_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_importtime(completed.stderr, count)


_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s*(\S+)\s*$")


def parse_importtime(stderr: str, count: int) -> list[dict[str, Any]]:
    """Where the import time goes, by top-level package, largest first.

    A package's figure is its largest cumulative entry (nested imports are inside it); the
    repository's ``handlers`` package is reported by the sum of its modules' self time instead,
    so the dependencies it pulls in are not counted twice.
    """
    packages: dict[str, float] = {}
    own = 0.0
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, name = int(match.group(1)), int(match.group(2)), match.group(3)
        root = name.split(".")[0]
        if root == "handlers":
            own += self_us / 1000
        else:
            packages[root] = max(packages.get(root, 0.0), cumulative_us / 1000)
    packages["handlers (own modules, self time)"] = own
    ranked = sorted(packages.items(), key=lambda kv: kv[1], reverse=True)
    return [{"package": k, "cumulative_ms": round(v, 1)} for k, v in ranked[:count] if v > 0]


def run(runs: int = 11) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        root = Path(tmp)
        package = build_package(root / "handlers.zip")
        code_dir = root / "task"
        with zipfile.ZipFile(root / "handlers.zip") as archive:
            archive.extractall(code_dir)
        samples: dict[str, list[float]] = {m: [] for m in MODULES}
        for module in MODULES:  # one unmeasured run each: OS file cache
            import_seconds(module, code_dir)
        for _ in range(runs):
            for module in MODULES:
                samples[module].append(import_seconds(module, code_dir))
        medians = {m: median(v) * 1000 for m, v in samples.items()}
        boto3_ms = medians["boto3"]
        handlers = {
            m.rsplit(".", 1)[-1]: {
                "import_ms_median": round(medians[m], 1),
                "import_ms_min": round(min(samples[m]) * 1000, 1),
                "vs_boto3": round(medians[m] / boto3_ms, 2),
                "top_imports": top_imports(m, code_dir),
            }
            for m in MODULES[1:]
        }
        return {
            "runs": runs,
            "python": sys.version.split()[0],
            "boto3_import_ms_median": round(boto3_ms, 1),
            "boto3_top_imports": top_imports("boto3", code_dir),
            "handlers": handlers,
            "package": package,
        }
