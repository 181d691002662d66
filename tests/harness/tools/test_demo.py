"""`python -m harness demo` (what `make demo` runs): every sample, where it ended, and a summary.

The demo runs through the command's main in this process; the command line itself is checked
once, cheaply, as a subprocess (`--help`).
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from harness.cli import main
from harness.tools.demo import error_message
from tests.e2e.conftest import EVENTS, ROOT


@pytest.fixture
def interpreter_log_level() -> Iterator[None]:
    """main() silences moto's ASL interpreter for the process; put its level back afterwards."""
    logger = logging.getLogger("moto.stepfunctions")
    level = logger.level
    yield
    logger.setLevel(level)


@pytest.mark.usefixtures("interpreter_log_level")
def test_demo_reports_every_sample_and_a_summary_that_adds_up(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    code = main(["demo"])
    out, err = capsys.readouterr()
    assert code == 0, err
    for sample in sorted(p.name for p in EVENTS.glob("*.json")):
        assert f"== {sample}: " in out, sample
    assert "== page_view.json: SUCCEEDED" in out
    assert "rejected: #2 schema_violation: data must contain ['action']" in out
    assert "== refused_envelope.json: FAILED" in out
    assert "DLQ:      failed_state=Ingest error=BatchRejected: batch envelope has unexpected" in out
    summary = re.search(
        r"summary: (\d+) events sent, (\d+) stored, (\d+) rejected, (\d+) execution\(s\) sent "
        r"to the DLQ",
        out,
    )
    assert summary, out[-500:]
    sent, stored, rejected, dead = map(int, summary.groups())
    assert (stored, rejected, dead) == (16, 4, 1)
    assert sent == stored + rejected + 2  # the refused envelope's two events are in the DLQ
    assert sum(int(n) for n in re.findall(r"written:\s+(\d+)", out)) == stored
    # no interpreter noise: nothing on the streams, no record the logging handlers would print
    assert "Exception=" not in out + err + caplog.text


def test_the_demo_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "demo", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: python -m harness demo [-h] [--stack STACK] [FILE ...]")
    assert "run each event file as one execution" in " ".join(result.stdout.split())


def test_error_message_takes_a_lambda_errors_message_from_its_cause() -> None:
    cause = '{"errorType": "BatchRejected", "errorMessage": "too big", "stackTrace": []}'
    assert error_message(cause) == "too big"
    assert error_message("not json") == "not json"
    assert error_message(None) == "None"
