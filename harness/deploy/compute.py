"""Resource creators for the application side: Lambda, SQS, Step Functions, SNS, CloudWatch."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from harness.deploy.storage import State, auto_name


def placeholder_zip() -> bytes:
    """The code package stored in the emulator: the in-process runtime imports from the repo."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "activity-pipeline harness: handlers run from the repository\n"
        )
    return buffer.getvalue()


def lambda_function(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    function_name = auto_name(name, inputs, "name")
    kwargs: dict[str, Any] = {
        "FunctionName": function_name,
        "Runtime": inputs.get("runtime", "python3.13"),
        "Role": inputs["role"],
        "Handler": inputs["handler"],
        "Code": {"ZipFile": placeholder_zip()},
        "Timeout": int(inputs.get("timeout", 3)),
        "MemorySize": int(inputs.get("memorySize", 128)),
        "Environment": {"Variables": (inputs.get("environment") or {}).get("variables") or {}},
        "Architectures": inputs.get("architectures") or ["x86_64"],
        "Publish": bool(inputs.get("publish", False)),
    }
    # Layers are not attached: the public Powertools layer lives in AWS's account, not in the
    # emulator; its content is the pinned aws-lambda-powertools the in-process runtime imports.
    if inputs.get("tags"):
        kwargs["Tags"] = inputs["tags"]
    config = emu.client("lambda").create_function(**kwargs)
    logging_config = inputs.get("loggingConfig") or {}
    emu.runtime.log_groups[function_name] = logging_config.get(
        "logGroup", f"/aws/lambda/{function_name}"
    )
    arn = config["FunctionArn"]
    return function_name, {
        **inputs,
        "name": function_name,
        "arn": arn,
        "qualifiedArn": f"{arn}:{config.get('Version', '$LATEST')}",
        "invokeArn": (
            f"arn:aws:apigateway:{emu.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        ),
        "version": config.get("Version", "$LATEST"),
        "loggingConfig": {
            **logging_config,
            "logGroup": emu.runtime.log_groups[function_name],
        },
    }


_QUEUE_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "redrivePolicy": "RedrivePolicy",
    "fifoQueue": "FifoQueue",
}


# pulumi-aws sends MaximumMessageSize 262144 when `max_message_size` is not set ("The default for
# this attribute is 262144 (256 KiB)", sqs.Queue docstring); moto's own default is 1 MiB.
PROVIDER_MAX_MESSAGE_SIZE = 262_144


def sqs_queue(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    sqs = emu.client("sqs")
    queue_name = auto_name(name, inputs, "name", "namePrefix")
    attributes = {
        attr: str(inputs[key]).lower() if isinstance(inputs[key], bool) else str(inputs[key])
        for key, attr in _QUEUE_ATTRIBUTES.items()
        if inputs.get(key) not in (None, "")
    }
    attributes.setdefault("MaximumMessageSize", str(PROVIDER_MAX_MESSAGE_SIZE))
    url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, {**inputs, "name": queue_name, "arn": arn, "url": url}


def state_machine(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    machine_name = auto_name(name, inputs, "name", "namePrefix")
    kwargs: dict[str, Any] = {
        "name": machine_name,
        "definition": inputs["definition"],
        "roleArn": inputs["roleArn"],
        "type": inputs.get("type", "STANDARD"),
    }
    logging = inputs.get("loggingConfiguration") or {}
    if logging:
        kwargs["loggingConfiguration"] = {
            "level": logging.get("level", "OFF"),
            "includeExecutionData": bool(logging.get("includeExecutionData", False)),
            "destinations": (
                [{"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}]
                if logging.get("logDestination")
                else []
            ),
        }
    if (inputs.get("tracingConfiguration") or {}).get("enabled") is not None:
        kwargs["tracingConfiguration"] = {"enabled": inputs["tracingConfiguration"]["enabled"]}
    arn = emu.client("stepfunctions").create_state_machine(**kwargs)["stateMachineArn"]
    return arn, {**inputs, "name": machine_name, "arn": arn, "status": "ACTIVE"}


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
