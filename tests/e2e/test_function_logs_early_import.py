"""Function logs reach the function's log group even when the handler was imported first.

Powertools binds ``sys.stdout`` when a handler module builds its Logger. A process that imports
the handlers before the emulator starts (a test session, the benchmarks) must still see each
invocation's logs in CloudWatch Logs, not on its own terminal. Here the process's stdout is a
buffer, and the handlers' Logger writes to it as one imported before the emulator would.
"""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

import handlers.ingest
import handlers.process
import handlers.write
from handlers.observability import logger
from harness.deploy import deploy
from harness.emulator import Emulator
from harness.tools import pipeline
from tests.e2e.conftest import load_event

IMPORTED = (handlers.ingest, handlers.process, handlers.write)  # before any emulator


def test_logs_of_handlers_imported_before_the_emulator_reach_their_log_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process_stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", process_stdout)
    bound = [h for h in logger._logger.handlers if isinstance(h, logging.StreamHandler)]
    assert bound, "the handlers' Logger writes through a StreamHandler"
    for handler in bound:  # built at import, with the stdout of then
        monkeypatch.setattr(handler, "stream", process_stdout)

    with Emulator() as emulator:
        deployment = deploy(emulator, "dev")
        report = pipeline.run(deployment, load_event("page_view.json"))
        logs = deployment.client("logs")
        found = {}
        for fn, group in deployment.outputs["log_group_names"].items():
            if fn == "workflow":
                continue
            events = logs.filter_log_events(logGroupName=group)["events"]
            found[fn] = [e["message"] for e in events if e["message"].startswith("{")]

    assert report.status == "SUCCEEDED"
    for fn in ("ingest", "process", "write"):
        records = [json.loads(m) for m in found[fn]]
        assert records, f"{fn}: no structured log line in its log group"
        assert all(r.get("service") for r in records)
    # and nothing of the functions' structured logs leaked to the process's own stdout
    assert not [x for x in process_stdout.getvalue().splitlines() if x.startswith('{"level"')]
    assert all(h.stream is process_stdout for h in bound)  # the emulator gave the stream back
