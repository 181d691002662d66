"""The dashboard body builder (no Pulumi)."""

from __future__ import annotations

from typing import Any

import pytest

from components.builders.dashboard import BATCH_EVENTS_METRIC, build_dashboard

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:activity-pipeline-dev-workflow"
NAMES = {fn: f"activity-pipeline-dev-{fn}" for fn in ("ingest", "process", "write")}


@pytest.fixture
def metrics() -> list[list[Any]]:
    body = build_dashboard(
        service_name="activity-pipeline-dev",
        region="us-east-1",
        state_machine_arn=SM,
        function_names=NAMES,
        dlq_name="activity-pipeline-dev-dlq",
    )
    for widget in body["widgets"]:
        assert widget["properties"]["region"] == "us-east-1"
        assert widget["width"] + widget["x"] <= 24
    return [m for w in body["widgets"] for m in w["properties"]["metrics"]]


def rows(metrics: list[list[Any]], namespace: str, name: str) -> list[list[Any]]:
    return [m for m in metrics if m[0] == namespace and m[1] == name]


@pytest.mark.parametrize(
    "metric", ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"]
)
def test_executions(metrics: list[list[Any]], metric: str) -> None:
    assert rows(metrics, "AWS/States", metric) == [["AWS/States", metric, "StateMachineArn", SM]]


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_per_function_metrics(metrics: list[list[Any]], metric: str) -> None:
    assert [m[3] for m in rows(metrics, "AWS/Lambda", metric)] == list(NAMES.values())


def test_duration_percentiles(metrics: list[list[Any]]) -> None:
    stats = sorted((m[3], m[4]["stat"]) for m in rows(metrics, "AWS/Lambda", "Duration"))
    assert stats == sorted((name, stat) for name in NAMES.values() for stat in ("p50", "p99"))


@pytest.mark.parametrize(
    "metric", ["EventsReceived", "EventsValid", "EventsRejected", "EventsWritten"]
)
def test_emf_metrics(metrics: list[list[Any]], metric: str) -> None:
    assert rows(metrics, "ActivityPipeline", metric) == [
        ["ActivityPipeline", metric, "service", "activity-pipeline-dev"]
    ]


@pytest.mark.parametrize(
    "metric", ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"]
)
def test_dlq_metrics(metrics: list[list[Any]], metric: str) -> None:
    assert [m[:4] for m in rows(metrics, "AWS/SQS", metric)] == [
        ["AWS/SQS", metric, "QueueName", "activity-pipeline-dev-dlq"]
    ]


def test_refuses_missing_inputs() -> None:
    with pytest.raises(ValueError, match="function_names"):
        build_dashboard(
            service_name="s",
            region="us-east-1",
            state_machine_arn=SM,
            function_names={},
            dlq_name="q",
        )
    with pytest.raises(ValueError, match="state_machine_arn"):
        build_dashboard(
            service_name="s",
            region="us-east-1",
            state_machine_arn="sm",
            function_names=NAMES,
            dlq_name="q",
        )


BUFFER = {"queue": "activity-pipeline-dev-buffer", "dlq": "activity-pipeline-dev-buffer-dlq"}


def buffered() -> dict[str, Any]:
    return build_dashboard(
        service_name="activity-pipeline-dev",
        region="us-east-1",
        state_machine_arn=SM,
        function_names={**NAMES, "batch": "activity-pipeline-dev-batch"},
        dlq_name="activity-pipeline-dev-dlq",
        buffer_queue_names=BUFFER,
    )


def test_buffer_depth_age_and_its_dlq() -> None:
    widgets = {w["properties"]["title"]: w for w in buffered()["widgets"]}
    buffer = widgets["Entry buffer"]["properties"]
    assert buffer["stat"] == "Maximum"
    assert buffer["metrics"] == [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", BUFFER["queue"]],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", BUFFER["queue"]],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", BUFFER["dlq"]],
        [
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "QueueName",
            BUFFER["queue"],
            {"yAxis": "right"},
        ],
    ]


def test_batch_sizes_formed() -> None:
    widgets = {w["properties"]["title"]: w for w in buffered()["widgets"]}
    sizes = widgets["Batch sizes formed (events per execution)"]["properties"]["metrics"]
    assert [row[:4] for row in sizes] == [
        ["ActivityPipeline", BATCH_EVENTS_METRIC, "service", "activity-pipeline-dev"]
    ] * 4
    assert [row[4]["stat"] for row in sizes] == ["Average", "Maximum", "Minimum", "SampleCount"]


def test_without_the_buffer_there_are_no_buffer_widgets() -> None:
    body = build_dashboard(
        service_name="activity-pipeline-dev",
        region="us-east-1",
        state_machine_arn=SM,
        function_names=NAMES,
        dlq_name="activity-pipeline-dev-dlq",
    )
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert "Entry buffer" not in titles
    assert len(buffered()["widgets"]) == len(titles) + 2
    for widget in buffered()["widgets"]:
        assert widget["width"] + widget["x"] <= 24
