"""Function logs reach the function's log group even when the handler was imported first.

Powertools binds ``sys.stdout`` when a handler module builds its Logger. A process that imports
the handlers before the emulator starts (a test session, the benchmarks) must still see each
invocation's logs in CloudWatch Logs, not on its own terminal.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.conftest import ROOT

SCRIPT = """
import json, sys
import handlers.ingest, handlers.process, handlers.write  # Loggers bound to the real stdout
from harness.tools import pipeline
from harness.deploy import deploy
from harness.emulator import Emulator

with Emulator() as emulator:
    deployment = deploy(emulator, "dev")
    report = pipeline.run(deployment, json.load(open("tests/events/page_view.json")))
    logs = deployment.client("logs")
    found = {}
    for fn, group in deployment.outputs["log_group_names"].items():
        if fn == "workflow":
            continue
        events = logs.filter_log_events(logGroupName=group)["events"]
        found[fn] = [e["message"] for e in events if e["message"].startswith("{")]
    print("RESULT " + json.dumps({"status": report.status, "found": found}))
"""


def test_logs_of_handlers_imported_before_the_emulator_reach_their_log_groups() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    [line] = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")]
    outcome = json.loads(line.removeprefix("RESULT "))
    assert outcome["status"] == "SUCCEEDED"
    for fn in ("ingest", "process", "write"):
        records = [json.loads(m) for m in outcome["found"][fn]]
        assert records, f"{fn}: no structured log line in its log group"
        assert all(r.get("service") for r in records)
    # and nothing of the functions' structured logs leaked to the process's own stdout
    assert not [x for x in result.stdout.splitlines() if x.startswith('{"level"')]
