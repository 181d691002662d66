"""CloudWatch Logs metric filters on the state machine's log group (pure, no Pulumi).

The main state machine logs at ERROR level with execution data (at least), so every
``ExecutionFailed``, ``ExecutionTimedOut`` and ``ExecutionAborted`` history event reaches its log
group as one JSON line: ``{"id", "type", "details": {"error", "cause"}, "previous_event_id",
"event_timestamp", "execution_arn", "redrive_count"}`` (Step Functions developer guide, "Log levels
for Step Functions" and "Log event format"). An execution that sent its dead letter ends in the
``Failed`` state with the pipeline's own error ``PipelineFailed``; any other end left its events
nowhere — that is what ``ops sweep`` re-runs and what this filter counts.

JSON filter patterns (CloudWatch Logs, "Filter pattern syntax for metric filters"): ``{ ... }``
with ``$.field`` selectors, ``=`` / ``!=`` on quoted strings, ``&&``, ``||`` and parentheses. The
pattern never depends on a missing field: timed-out and aborted executions match by type alone.
"""

from __future__ import annotations

from typing import Final

from components.builders.definition import FAILURE_ERROR

FAILED_WITHOUT_DEAD_LETTER_METRIC: Final = "ExecutionsFailedWithoutDeadLetter"
UNCAUGHT_END_TYPES: Final = ("ExecutionTimedOut", "ExecutionAborted")


def failed_without_dead_letter_pattern(pipeline_error: str = FAILURE_ERROR) -> str:
    """Executions that ended without the pipeline's own ``pipeline_error`` (no dead letter)."""
    if not pipeline_error or '"' in pipeline_error:
        raise ValueError(f"pipeline_error must be a plain error name, got {pipeline_error!r}")
    clauses = [f'($.type = "ExecutionFailed" && $.details.error != "{pipeline_error}")']
    clauses += [f'$.type = "{end}"' for end in UNCAUGHT_END_TYPES]
    return "{ " + " || ".join(clauses) + " }"
