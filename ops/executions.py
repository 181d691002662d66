"""Start Step Functions executions under deterministic names and follow them to the end.

Shared by the ops commands and the harness: a Standard execution is named from its batch id
(``b-<batch_id>``), so starting the same batch twice is refused by Step Functions itself.
"""

from __future__ import annotations

import json
import time
from typing import Any

from handlers.keys import batch_id

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def batch_events(payload: Any) -> list[Any]:
    """The events of one execution input: ``{"events": [...]}`` or a single event."""
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        return list(payload["events"])
    return [payload]


def execution_name(payload: Any, prefix: str = "b") -> str:
    """``<prefix>-<batch_id>``: deterministic, so a duplicate Standard start is refused."""
    return f"{prefix}-{batch_id(batch_events(payload))}"


def start(
    sfn: Any, state_machine_arn: str, payload: Any, name: str, text: str | None = None
) -> str:
    """Start ``name`` with input ``text``, or ``payload`` serialised when there is no text."""
    response = sfn.start_execution(
        stateMachineArn=state_machine_arn,
        name=name,
        input=json.dumps(payload) if text is None else text,
    )
    return str(response["executionArn"])


def wait(sfn: Any, arn: str, timeout: float, poll: float = 0.05) -> dict[str, Any]:
    """Describe ``arn`` until it reaches a terminal status; TimeoutError after ``timeout`` s.

    Polls after 50 ms first, doubling up to every ``poll`` s: a short execution is seen ending
    at once, a long one costs at most one DescribeExecution per ``poll``.
    """
    deadline = time.monotonic() + timeout
    delay = min(0.05, poll)
    while True:
        description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if description["status"] in TERMINAL:
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(f"{arn} still {description['status']} after {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, poll)


def states_entered(sfn: Any, arn: str) -> list[str]:
    """The names of the states the execution entered, in order (all history pages)."""
    names: list[str] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        names += [
            e["stateEnteredEventDetails"]["name"]
            for e in page["events"]
            if "stateEnteredEventDetails" in e
        ]
        if not page.get("nextToken"):
            return names
        kwargs["nextToken"] = page["nextToken"]
