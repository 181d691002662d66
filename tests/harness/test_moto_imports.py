"""Importing the harness does not import moto's EC2 and Batch models; moto.batch still works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import harness.emulator
names = ("moto.batch.models", "moto.ec2", "moto.batch.utils")
loaded = {name: name in sys.modules for name in names}
from moto.batch import batch_backends
loaded["batch_backends"] = type(batch_backends).__name__
print(json.dumps(loaded))
"""


def test_the_emulator_imports_no_batch_or_ec2_models_and_batch_still_loads() -> None:
    shown = subprocess.run(  # noqa: S603 - a fresh interpreter: this process has imported moto
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(shown.stdout) == {
        "moto.batch.models": False,  # moto.batch's __init__ imports it, and EC2's and ECS's
        "moto.ec2": False,
        "moto.batch.utils": True,  # what the Step Functions interpreter imports
        "batch_backends": "BackendDict",  # loaded on first use
    }
