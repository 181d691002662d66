"""Monitoring on its own, under PipelineMocks."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.builders.log_metrics import failed_without_dead_letter_pattern
from components.monitoring import BufferMonitoring, Monitoring, MonitoringArgs

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:app-test-workflow"


def monitoring_args(**overrides: Any) -> MonitoringArgs:
    values: dict[str, Any] = {
        "name_prefix": "app-test",
        "kms_key_deletion_window_days": 7,
        "function_names": {"ingest": "app-test-ingest", "write": "app-test-write"},
        "state_machine_arn": SM,
        "workflow_log_group_name": "/aws/vendedlogs/states/app-test-workflow",
        "dlq_name": "app-test-dlq",
    }
    return MonitoringArgs(**(values | overrides))


def test_alarm_per_function_and_pipeline(mocks: Any, settle: Any) -> None:
    def check(values: list[Any]) -> None:
        topic_arn, dashboard, alarm_names = values
        assert topic_arn == "arn:aws:sns:us-east-1:123456789012:app-test-alarms"
        assert dashboard == "app-test"
        assert sorted(alarm_names) == sorted(
            [
                "app-test-ingest-errors",
                "app-test-ingest-throttles",
                "app-test-write-errors",
                "app-test-write-throttles",
                "app-test-executions-failed",
                "app-test-executions-timed-out",
                "app-test-executions-failed-no-dlq",
                "app-test-dlq-messages-visible",
            ]
        )
        flt = mocks.find(
            "aws:cloudwatch/logMetricFilter:LogMetricFilter", "mon-executions-failed-no-dlq-filter"
        ).inputs
        assert flt == {
            "name": "app-test-executions-failed-no-dlq",
            "logGroupName": "/aws/vendedlogs/states/app-test-workflow",
            "pattern": failed_without_dead_letter_pattern(),
            "metricTransformation": {
                "name": "ExecutionsFailedWithoutDeadLetter",
                "namespace": "ActivityPipeline/app-test",
                "value": "1",
                "unit": "Count",
            },
        }
        no_dlq = mocks.find(
            "aws:cloudwatch/metricAlarm:MetricAlarm", "mon-executions-failed-no-dlq"
        ).inputs
        assert (no_dlq["namespace"], no_dlq["metricName"]) == (
            "ActivityPipeline/app-test",
            "ExecutionsFailedWithoutDeadLetter",
        )
        assert "dimensions" not in no_dlq
        assert (no_dlq["statistic"], no_dlq["threshold"], no_dlq["comparisonOperator"]) == (
            "Sum",
            0,
            "GreaterThanThreshold",
        )
        assert no_dlq["alarmActions"] == [topic_arn]
        subscription = mocks.find("aws:sns/topicSubscription:TopicSubscription", "mon-email")
        assert subscription.inputs["endpoint"] == "ops@example.com"

    def create() -> pulumi.Output[list[Any]]:
        monitoring = Monitoring("mon", monitoring_args(alarm_email="ops@example.com"))
        return pulumi.Output.all(
            monitoring.alarm_topic_arn, monitoring.dashboard_name, monitoring.alarm_names
        )

    check(settle(create))


def test_buffer_alarms_on_its_oldest_message_and_its_dlq(mocks: Any, settle: Any) -> None:
    def create() -> pulumi.Output[list[Any]]:
        buffer = BufferMonitoring(
            queue_name="app-test-buffer", dlq_name="app-test-buffer-dlq", age_alarm_seconds=128
        )
        monitoring = Monitoring("mon", monitoring_args(buffer=buffer))
        return pulumi.Output.all(monitoring.alarm_topic_arn, monitoring.alarm_names)

    topic_arn, names = settle(create)
    assert {"app-test-buffer-oldest-message-age", "app-test-buffer-dlq-messages-visible"} <= set(
        names
    )
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    age = mocks.find(alarm, "mon-buffer-oldest-message-age").inputs
    assert {k: age[k] for k in ("namespace", "metricName", "dimensions", "statistic")} == {
        "namespace": "AWS/SQS",
        "metricName": "ApproximateAgeOfOldestMessage",
        "dimensions": {"QueueName": "app-test-buffer"},
        "statistic": "Maximum",
    }
    assert (age["threshold"], age["comparisonOperator"]) == (128, "GreaterThanThreshold")
    assert age["alarmActions"] == [topic_arn]
    dlq = mocks.find(alarm, "mon-buffer-dlq-messages-visible").inputs
    assert (dlq["metricName"], dlq["dimensions"], dlq["threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": "app-test-buffer-dlq"},
        0,
    )
    body = mocks.find("aws:cloudwatch/dashboard:Dashboard", "mon-dashboard").inputs
    titles = [w["properties"]["title"] for w in json.loads(body["dashboardBody"])["widgets"]]
    assert {"Entry buffer", "Batch sizes formed (events per execution)"} <= set(titles)


def test_without_the_buffer_there_are_no_buffer_alarms(mocks: Any, settle: Any) -> None:
    names = settle(lambda: Monitoring("mon", monitoring_args()).alarm_names)
    assert not [name for name in names if "buffer" in name]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name_prefix", "", "name_prefix must not be empty"),
        ("function_names", {}, "function_names must name at least one function"),
        # stack settings are checked once, by PipelineSettings (test_pipeline_settings)
    ],
)
def test_args_are_validated(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        monitoring_args(**{field: value})
