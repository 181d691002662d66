"""Execution names and ARNs: the one place each ops execution name is derived (pure).

Standard execution names are unique per state machine for 90 days, so a name says what an
execution is for and whether starting it again must be refused:

- ``b-<batch_id>``: a batch of events (``ops send``, the harness, the soak); the same batch
  started again is refused by Step Functions itself;
- ``r-<raw batch id>-<run id>``: a replay of one raw object, one name per replay run;
- ``d-<input hash>-<message id prefix>-<receive count>``: a redrive of one dead letter, one name
  per attempt, so a later redrive of the same message is not refused;
- ``s-<hash of the failed execution's ARN>``: the sweep's re-submission of a failed execution, one
  name per failed execution, so a second sweep follows the same run.

Every name is at most 80 characters, Step Functions' limit.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any

from handlers.keys import batch_id


def batch_events(payload: Any) -> list[Any]:
    """The events of one execution input: ``{"events": [...]}`` or a single event."""
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        return list(payload["events"])
    return [payload]


def batch_name(payload: Any) -> str:
    """``b-<batch_id>`` of an execution input (one event or ``{"events": [...]}``)."""
    return f"b-{batch_id(batch_events(payload))}"


def replay_name(raw_key: str, run_id: str) -> str:
    """The replay of the raw object ``raw_key`` in the replay run ``run_id``."""
    return f"r-{PurePosixPath(raw_key).stem[:32]}-{run_id}"


def redrive_name(input_text: str, message_id: str, receive_count: int) -> str:
    """The redrive of a dead letter: its input's hash, its message and this attempt."""
    digest = hashlib.sha256(input_text.encode("utf-8")).hexdigest()[:32]
    return f"d-{digest}-{message_id[:8]}-{receive_count}"


def sweep_name(failed_execution_arn: str) -> str:
    """The recovery execution that re-submits the input of the failed execution."""
    return f"s-{hashlib.sha256(failed_execution_arn.encode('utf-8')).hexdigest()[:32]}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the Standard execution ``name`` of ``state_machine_arn``."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def longest_batch_arn(state_machine_arn: str) -> str:
    """The ARN of a ``b-<batch_id>`` execution: every batch's is this long."""
    return execution_arn(state_machine_arn, "b-" + "0" * 32)
