"""The README's AWS CLI sessions against `harness serve`, run verbatim.

The shell blocks between the `cli-session` markers (and the `entry-session` markers: the entry
points' curl and EventBridge examples, run after the CLI session in the same shell) in README.md
are extracted and executed with bash (the pinned AWS CLI from .venv, `jq`, curl), exactly as a
reader would paste them, with the JSON line that `python -m harness serve` printed saved as
`serve.json`, so the README cannot drift from what works.
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


def readme_session(name: str = "cli-session") -> str:
    block = re.compile(rf"<!-- {name}:start -->\n```bash\n(.*?)```\n<!-- {name}:end -->", re.S)
    match = block.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, f"README.md lost its {name} block"
    return match.group(1)


def run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(  # noqa: S603 - the README's own blocks
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def served(harness_serve: dict[str, Any], tmp_path: Path) -> Path:
    """A working directory like the repository root, holding the serve.json a reader would save."""
    workdir = tmp_path / "repo"
    workdir.mkdir()
    (workdir / "serve.json").write_text(json.dumps(harness_serve) + "\n", encoding="utf-8")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    (workdir / "tests").symlink_to(ROOT / "tests")
    return workdir


def test_readme_sessions_work_as_written(served: Path) -> None:
    """The CLI session, then the entry examples in the same shell (one serve for both): the page
    view is stored; both bodies and the bus's detail go through the buffer, the click is stored
    and the micro-batch's ten events too."""
    assert shutil.which("jq"), "the README's session uses jq"
    assert shutil.which("curl"), "the README's entry examples use curl"
    result = run(readme_session() + readme_session("entry-session"), served)
    assert result.returncode == 0, result.stderr
    out, entry = result.stdout.split('{"MessageId"', 1)
    described = json.loads(out[: out.index("}\n") + 1])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["written"] == 1
    assert "2025-11-20T13:03:12.345Z#pv-0001\tpage_view\t203.0.113.0" in out
    assert re.search(r"\d+ ingest/yyyy=2025/mm=11/dd=20/hh=13/[0-9a-f]{32}\.json", out)
    assert out.rstrip().endswith("\n0"), "the DLQ should hold no message"
    lines = ('{"MessageId"' + entry).rstrip().split("\n")
    sent = [json.loads(line) for line in lines if line.startswith('{"MessageId"')]
    assert [set(answer) for answer in sent] == [{"MessageId", "MD5OfMessageBody"}] * 2
    assert lines[2] == "0"  # PutEvents' FailedEntryCount
    assert "ck-0001\tclick" in lines
    executions = int(lines[-1])
    assert 2 <= executions <= 4  # the CLI session's, and the buffer's batches (one per window)
