"""Resource creators for analytics: the Glue catalog, the Athena workgroup and named queries.

Athena's engine is not in the emulator: the workgroup and named queries are stored (so their
settings and SQL can be read back), and the harness runs that SQL on DuckDB
(``harness.tools.analytics``).
"""

from __future__ import annotations

from typing import Any

from harness.deploy.inputs import State, auto_name


def glue_database(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    database = auto_name(name, inputs, "name")
    database_input: dict[str, Any] = {"Name": database}
    if inputs.get("description"):
        database_input["Description"] = inputs["description"]
    if inputs.get("parameters"):
        database_input["Parameters"] = inputs["parameters"]
    emu.client("glue").create_database(DatabaseInput=database_input)
    arn = f"arn:aws:glue:{emu.region}:{emu.account_id}:database/{database}"
    return f"{emu.account_id}:{database}", {
        **inputs,
        "name": database,
        "arn": arn,
        "catalogId": emu.account_id,
    }


def _columns(columns: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return [{"Name": c["name"], "Type": c.get("type", "string")} for c in columns or []]


def glue_table(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    database, table = inputs["databaseName"], auto_name(name, inputs, "name")
    storage = inputs.get("storageDescriptor") or {}
    serde = storage.get("serDeInfo") or {}
    table_input: dict[str, Any] = {
        "Name": table,
        "Description": inputs.get("description", ""),
        "TableType": inputs.get("tableType", "EXTERNAL_TABLE"),
        "Parameters": inputs.get("parameters") or {},
        "PartitionKeys": _columns(inputs.get("partitionKeys")),
        "StorageDescriptor": {
            "Columns": _columns(storage.get("columns")),
            "Location": storage.get("location", ""),
            "InputFormat": storage.get("inputFormat", ""),
            "OutputFormat": storage.get("outputFormat", ""),
            "SerdeInfo": {
                "SerializationLibrary": serde.get("serializationLibrary", ""),
                "Parameters": serde.get("parameters") or {},
            },
        },
    }
    emu.client("glue").create_table(DatabaseName=database, TableInput=table_input)
    arn = f"arn:aws:glue:{emu.region}:{emu.account_id}:table/{database}/{table}"
    return f"{emu.account_id}:{database}:{table}", {
        **inputs,
        "name": table,
        "arn": arn,
        "catalogId": emu.account_id,
    }


def athena_workgroup(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    workgroup = auto_name(name, inputs, "name")
    config = inputs.get("configuration") or {}
    result = config.get("resultConfiguration") or {}
    encryption = result.get("encryptionConfiguration") or {}
    configuration: dict[str, Any] = {
        "EnforceWorkGroupConfiguration": bool(config.get("enforceWorkgroupConfiguration", True)),
        "PublishCloudWatchMetricsEnabled": bool(
            config.get("publishCloudwatchMetricsEnabled", True)
        ),
        "ResultConfiguration": {"OutputLocation": result.get("outputLocation", "")},
    }
    if encryption:
        configuration["ResultConfiguration"]["EncryptionConfiguration"] = {
            "EncryptionOption": encryption["encryptionOption"],
            **({"KmsKey": encryption["kmsKeyArn"]} if encryption.get("kmsKeyArn") else {}),
        }
    if config.get("bytesScannedCutoffPerQuery"):
        configuration["BytesScannedCutoffPerQuery"] = int(config["bytesScannedCutoffPerQuery"])
    if (config.get("engineVersion") or {}).get("selectedEngineVersion"):
        configuration["EngineVersion"] = {
            "SelectedEngineVersion": config["engineVersion"]["selectedEngineVersion"]
        }
    emu.client("athena").create_work_group(
        Name=workgroup, Description=inputs.get("description", ""), Configuration=configuration
    )
    arn = f"arn:aws:athena:{emu.region}:{emu.account_id}:workgroup/{workgroup}"
    return workgroup, {**inputs, "name": workgroup, "arn": arn}


def athena_named_query(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    query_id = emu.client("athena").create_named_query(
        Name=inputs.get("name") or name,
        Description=inputs.get("description", ""),
        Database=inputs["database"],
        QueryString=inputs["query"],
        WorkGroup=inputs.get("workgroup", "primary"),
    )["NamedQueryId"]
    return str(query_id), {**inputs, "name": inputs.get("name") or name}
