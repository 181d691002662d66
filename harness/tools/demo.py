"""``harness demo``: deploy a stack into the emulator, run sample events, say where each ended.

With the curated table, the Firehose streams are flushed at the end (as their buffering interval
would) and the rows of the Iceberg table's current snapshot are counted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness.deploy import Deployment, deploy
from harness.emulator import REPO_ROOT, Emulator
from harness.tools import pipeline

DEFAULT_EVENTS = REPO_ROOT / "tests" / "events"


def demo(stack: str, files: list[Path]) -> int:
    started = time.monotonic()
    paths = files or sorted(DEFAULT_EVENTS.glob("*.json"))
    sent = stored = rejected = dead = 0
    with Emulator() as emulator:
        deployment = deploy(emulator, stack)
        print(f"deployed stack {stack}: {len(deployment.records)} resources registered")
        for path in paths:
            payload = pipeline.load_events(path)
            events = payload.get("events") if isinstance(payload, dict) else None
            sent += len(events) if isinstance(events, list) else 1
            report = pipeline.run(deployment, payload)
            stored += report.written
            rejected += len(report.rejected)
            dead += len(report.dlq_messages)
            print(f"\n== {path.name}: {report.status} in {report.seconds:.2f}s ({report.name})")
            print(f"   states:   {' -> '.join(report.states)}")
            if report.raw_key:
                print(f"   raw key:  {report.raw_key}")
            print(f"   written:  {report.written}")
            for item in report.rejected:
                print(
                    f"   rejected: #{item.get('index')} {item.get('reason')}: {item.get('detail')}"
                )
            for message in report.dlq_messages:
                error = message.get("error") or {}
                print(
                    f"   DLQ:      failed_state={message.get('failed_state')} "
                    f"error={error.get('Error')}: {error_message(error.get('Cause'))}"
                )
        curated = curated_rows(deployment)
    print(
        f"\nsummary: {sent} events sent, {stored} stored, {rejected} rejected, "
        f"{dead} execution(s) sent to the DLQ ({time.monotonic() - started:.1f}s)"
    )
    if curated is not None:
        print(f"curated: {curated[1]} row(s) in the Iceberg table {curated[0]}")
    return 0


def curated_rows(deployment: Deployment) -> tuple[str, int] | None:
    """(table, rows at its current snapshot) once every stream is flushed; None without one."""
    table = deployment.outputs.get("curated_table_name")
    if not table:
        return None
    emulator = deployment.emulator
    emulator.firehose.flush()
    snapshot = emulator.warehouse.load(str(deployment.outputs["glue_database"]), str(table))
    return str(table), int(snapshot.scan().count())


def error_message(cause: Any, limit: int = 200) -> str:
    """A Lambda error's message from a Step Functions ``Cause`` (a JSON string), else the cause."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    text = parsed.get("errorMessage") if isinstance(parsed, dict) else None
    return str(text if text is not None else cause)[:limit]
