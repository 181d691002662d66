"""CloudWatch dashboard body for the pipeline, built from plain names (pure, no Pulumi)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from components.builders.arns import require_arn

METRICS_NAMESPACE: Final = "ActivityPipeline"
EMF_METRICS: Final = ("EventsReceived", "EventsValid", "EventsRejected", "EventsWritten")
# The Batch function's EMF metric: one value per execution it starts, its number of records.
BATCH_EVENTS_METRIC: Final = "BatchEvents"

Widget = dict[str, Any]

_WIDTH: Final = 12
_HEIGHT: Final = 6


def _metric_widget(
    title: str,
    region: str,
    metrics: list[list[Any]],
    *,
    stat: str = "Sum",
    period: int = 300,
) -> Widget:
    return {
        "type": "metric",
        "width": _WIDTH,
        "height": _HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "stat": stat,
            "period": period,
            "metrics": metrics,
        },
    }


def build_dashboard(
    *,
    service_name: str,
    region: str,
    state_machine_arn: str,
    function_names: Mapping[str, str],
    dlq_name: str,
    buffer_queue_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Executions, per-function errors/duration/throttles, EMF event counts and DLQ depth/age;
    with the entry buffer (``buffer_queue_names`` {"queue", "dlq"}) its depth and age, its DLQ's
    depth and the batch sizes its consumer formed."""
    if not function_names:
        raise ValueError("function_names must not be empty")
    require_arn(state_machine_arn, "state_machine_arn", service="states", resource="stateMachine:")
    executions: list[list[Any]] = [
        ["AWS/States", metric, "StateMachineArn", state_machine_arn]
        for metric in (
            "ExecutionsStarted",
            "ExecutionsSucceeded",
            "ExecutionsFailed",
            "ExecutionsTimedOut",
        )
    ]

    def per_function(metric: str, stat: str | None = None) -> list[list[Any]]:
        rows: list[list[Any]] = []
        for key, name in function_names.items():
            options: dict[str, Any] = {"label": f"{key} {stat}" if stat else key}
            if stat:
                options["stat"] = stat
            rows.append(["AWS/Lambda", metric, "FunctionName", name, options])
        return rows

    widgets: list[Widget] = [
        _metric_widget("Executions", region, executions),
        _metric_widget("Function errors", region, per_function("Errors")),
        _metric_widget(
            "Function duration p50 / p99 (ms)",
            region,
            per_function("Duration", "p50") + per_function("Duration", "p99"),
            stat="p50",
        ),
        _metric_widget("Function throttles", region, per_function("Throttles")),
        _metric_widget(
            "Events (EMF)",
            region,
            [[METRICS_NAMESPACE, metric, "service", service_name] for metric in EMF_METRICS],
        ),
        _metric_widget(
            "Dead-letter queue",
            region,
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq_name],
                [
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    "QueueName",
                    dlq_name,
                    {"yAxis": "right"},
                ],
            ],
            stat="Maximum",
        ),
    ]
    if buffer_queue_names is not None:
        widgets += _buffer_widgets(service_name, region, buffer_queue_names)
    for index, widget in enumerate(widgets):
        widget["x"] = (index % 2) * _WIDTH
        widget["y"] = (index // 2) * _HEIGHT
    return {"widgets": widgets}


def _buffer_widgets(service_name: str, region: str, names: Mapping[str, str]) -> list[Widget]:
    queue, dlq = names["queue"], names["dlq"]
    batch = [METRICS_NAMESPACE, BATCH_EVENTS_METRIC, "service", service_name]
    return [
        _metric_widget(
            "Entry buffer",
            region,
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue],
                ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", queue],
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq],
                [
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    "QueueName",
                    queue,
                    {"yAxis": "right"},
                ],
            ],
            stat="Maximum",
        ),
        _metric_widget(
            "Batch sizes formed (events per execution)",
            region,
            [
                [*batch, {"stat": "Average", "label": "average"}],
                [*batch, {"stat": "Maximum", "label": "maximum"}],
                [*batch, {"stat": "Minimum", "label": "minimum"}],
                [*batch, {"stat": "SampleCount", "label": "executions started"}],
            ],
            stat="Average",
        ),
    ]
