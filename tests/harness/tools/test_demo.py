"""`python -m harness demo` (what `make demo` runs): every sample, where it ended, and a summary."""

from __future__ import annotations

import re
import subprocess
import sys

from harness.tools.demo import error_message
from tests.e2e.conftest import EVENTS, ROOT


def test_demo_reports_every_sample_and_a_summary_that_adds_up() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
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
    assert "Exception=" not in result.stdout + result.stderr  # no interpreter noise


def test_error_message_takes_a_lambda_errors_message_from_its_cause() -> None:
    cause = '{"errorType": "BatchRejected", "errorMessage": "too big", "stackTrace": []}'
    assert error_message(cause) == "too big"
    assert error_message("not json") == "not json"
    assert error_message(None) == "None"
