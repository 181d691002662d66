"""Resource creators for monitoring: log groups, streams and metric filters, alarms, SNS,
dashboards."""

from __future__ import annotations

from typing import Any

from harness.deploy.inputs import State, auto_name, tags


def log_group(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    logs = emu.client("logs")
    group = auto_name(name, inputs, "name", "namePrefix")
    logs.create_log_group(logGroupName=group, tags=tags(inputs))
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=group, retentionInDays=inputs["retentionInDays"])
    arn = f"arn:aws:logs:{emu.region}:{emu.account_id}:log-group:{group}"
    return group, {**inputs, "name": group, "arn": arn}


def log_stream(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    group, stream = inputs["logGroupName"], auto_name(name, inputs, "name")
    emu.client("logs").create_log_stream(logGroupName=group, logStreamName=stream)
    arn = f"arn:aws:logs:{emu.region}:{emu.account_id}:log-group:{group}:log-stream:{stream}"
    return stream, {**inputs, "name": stream, "arn": arn}


def log_metric_filter(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    transformation = inputs["metricTransformation"]
    metric: dict[str, Any] = {
        "metricName": transformation["name"],
        "metricNamespace": transformation["namespace"],
        "metricValue": transformation["value"],
    }
    if transformation.get("defaultValue") is not None:
        metric["defaultValue"] = float(transformation["defaultValue"])
    if transformation.get("unit"):
        metric["unit"] = transformation["unit"]
    emu.client("logs").put_metric_filter(
        logGroupName=inputs["logGroupName"],
        filterName=inputs["name"],
        filterPattern=inputs["pattern"],
        metricTransformations=[metric],
    )
    return inputs["name"], dict(inputs)


def metric_alarm(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    alarm_name = auto_name(name, inputs, "name")
    kwargs: dict[str, Any] = {
        "AlarmName": alarm_name,
        "ComparisonOperator": inputs["comparisonOperator"],
        "EvaluationPeriods": int(inputs["evaluationPeriods"]),
        "AlarmActions": inputs.get("alarmActions") or [],
        "OKActions": inputs.get("okActions") or [],
        "TreatMissingData": inputs.get("treatMissingData", "missing"),
        "AlarmDescription": inputs.get("alarmDescription", ""),
    }
    simple = {
        "metricName": "MetricName",
        "namespace": "Namespace",
        "period": "Period",
        "statistic": "Statistic",
        "threshold": "Threshold",
        "datapointsToAlarm": "DatapointsToAlarm",
    }
    kwargs.update({api: inputs[key] for key, api in simple.items() if inputs.get(key) is not None})
    if inputs.get("dimensions"):
        kwargs["Dimensions"] = [{"Name": k, "Value": v} for k, v in inputs["dimensions"].items()]
    if inputs.get("metricQueries"):
        kwargs["Metrics"] = [_metric_query(q) for q in inputs["metricQueries"]]
    emu.client("cloudwatch").put_metric_alarm(**kwargs)
    arn = f"arn:aws:cloudwatch:{emu.region}:{emu.account_id}:alarm:{alarm_name}"
    return alarm_name, {**inputs, "name": alarm_name, "arn": arn}


def _metric_query(query: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData", False))}
    if query.get("expression"):
        out["Expression"] = query["expression"]
    if query.get("label"):
        out["Label"] = query["label"]
    metric = query.get("metric")
    if metric:
        out["MetricStat"] = {
            "Metric": {
                "Namespace": metric.get("namespace"),
                "MetricName": metric["metricName"],
                "Dimensions": [
                    {"Name": k, "Value": v} for k, v in (metric.get("dimensions") or {}).items()
                ],
            },
            "Period": int(metric["period"]),
            "Stat": metric["stat"],
        }
    return out


def dashboard(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    dashboard_name = inputs["dashboardName"]
    emu.client("cloudwatch").put_dashboard(
        DashboardName=dashboard_name, DashboardBody=inputs["dashboardBody"]
    )
    arn = f"arn:aws:cloudwatch::{emu.account_id}:dashboard/{dashboard_name}"
    return dashboard_name, {**inputs, "dashboardArn": arn}


def sns_topic(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    topic_name = auto_name(name, inputs, "name", "namePrefix")
    attributes = (
        {"KmsMasterKeyId": inputs["kmsMasterKeyId"]} if inputs.get("kmsMasterKeyId") else {}
    )
    arn = emu.client("sns").create_topic(Name=topic_name, Attributes=attributes)["TopicArn"]
    return arn, {**inputs, "name": topic_name, "arn": arn}


def sns_subscription(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    arn = emu.client("sns").subscribe(
        TopicArn=inputs["topic"], Protocol=inputs["protocol"], Endpoint=inputs["endpoint"]
    )["SubscriptionArn"]
    return arn, {**inputs, "arn": arn}
