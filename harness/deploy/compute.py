"""Compute creators: Lambda functions (run by the in-process runtime), state machines."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from harness.deploy.inputs import State, auto_name


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


def event_source_mapping(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    """An event-source mapping; an SQS one is then run by a poller of the emulator's
    (harness.emulator.patches.lambda_.sqs_event_sources)."""
    kwargs: dict[str, Any] = {
        "EventSourceArn": inputs["eventSourceArn"],
        "FunctionName": inputs["functionName"],
        "Enabled": bool(inputs.get("enabled", True)),
    }
    for key, api in (
        ("batchSize", "BatchSize"),
        ("maximumBatchingWindowInSeconds", "MaximumBatchingWindowInSeconds"),
        ("functionResponseTypes", "FunctionResponseTypes"),
    ):
        if inputs.get(key) not in (None, []):
            kwargs[api] = inputs[key]
    mapping = emu.client("lambda").create_event_source_mapping(**kwargs)
    return str(mapping["UUID"]), {
        **inputs,
        "uuid": mapping["UUID"],
        "arn": mapping.get(
            "EventSourceMappingArn",
            f"arn:aws:lambda:{emu.region}:{emu.account_id}:event-source-mapping:{mapping['UUID']}",
        ),
        "functionArn": mapping["FunctionArn"],
        "state": mapping.get("State", "Enabled"),
    }
