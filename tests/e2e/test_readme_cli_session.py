"""The README's AWS CLI session against `harness serve`, run verbatim.

The shell block between the `cli-session` markers in README.md is extracted and executed with bash
(the pinned AWS CLI from .venv, `jq`), exactly as a reader would paste it, with the JSON line that
`python -m harness serve` printed saved as `serve.json`, so the README cannot drift from what works.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT

BLOCK = re.compile(r"<!-- cli-session:start -->\n```bash\n(.*?)```\n<!-- cli-session:end -->", re.S)


def readme_session() -> str:
    match = BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md lost its cli-session block"
    return match.group(1)


@pytest.fixture
def served(harness_serve: dict[str, Any], tmp_path: Path) -> Path:
    """A working directory like the repository root, holding the serve.json a reader would save."""
    workdir = tmp_path / "repo"
    workdir.mkdir()
    (workdir / "serve.json").write_text(json.dumps(harness_serve) + "\n", encoding="utf-8")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    (workdir / "tests").symlink_to(ROOT / "tests")
    return workdir


def test_readme_cli_session_works_as_written(served: Path) -> None:
    assert shutil.which("jq"), "the README's session uses jq"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(  # noqa: S603 - the README's own block
        ["bash", "-euo", "pipefail", "-c", readme_session()],  # noqa: S607
        cwd=served,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    described = json.loads(out[: out.index("}\n") + 1])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["written"] == 1
    assert "2025-11-20T13:03:12.345Z#pv-0001\tpage_view\t203.0.113.0" in out
    assert re.search(r"\d+ ingest/yyyy=2025/mm=11/dd=20/hh=13/[0-9a-f]{32}\.json", out)
    assert out.rstrip().endswith("\n0"), "the DLQ should hold no message"
