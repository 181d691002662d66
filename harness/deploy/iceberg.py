"""Resource creators for the Iceberg family: Glue Iceberg tables, Firehose streams delivering into
them, and Glue table optimizers.

- A Glue table with ``open_table_format_input.iceberg_input`` is moto's Glue table (``table_type``
  ``ICEBERG``, ``metadata_location`` naming the current metadata file under the table's S3
  location, as Glue sets them) plus its Iceberg twin in the emulator's warehouse
  (``harness.runtime.iceberg``: the declared schema, identifier fields, partition spec and
  properties, format version 2 unless declared; an S3 location mapped to a local directory, a
  documented deviation). Any other Glue table is ``analytics.glue_table``'s.
- A Firehose stream (``destination`` ``iceberg`` only: the harness delivers into nothing else) is
  moto's stream, plus its delivery (``harness.runtime.firehose``). As at CreateDeliveryStream on
  AWS, every destination table must exist in the Glue catalog. The stream's ``MetadataExtraction``
  processor query is evaluated when it is a constant JQ object (``{operation: "update"}``,
  string values only); any other query, or another processor type, is refused here rather than
  ignored: the harness runs no JQ and no transformation Lambda.
- A table optimizer (compaction, snapshot retention, orphan-file deletion) is stored as declared,
  after checking its table and role exist; it does not run (moto has no optimizers, and a
  delivery here writes few enough files that compaction would change nothing a test can see).
"""

from __future__ import annotations

import re
from typing import Any

from harness.deploy import analytics
from harness.deploy.inputs import State, auto_name, tags
from harness.runtime.firehose import MIB, StreamConfig, TableDestination

# pulumi-aws's defaults for the Iceberg destination (FirehoseDeliveryStreamIcebergConfiguration):
# "The default value is 5" (MB) and "The default value is 300" (seconds).
DEFAULT_BUFFER_MB = 5
DEFAULT_INTERVAL_SECONDS = 300
METADATA_KEYS = frozenset({"destinationDatabaseName", "destinationTableName", "operation"})
OPTIMIZER_TYPES = frozenset({"compaction", "retention", "orphan_file_deletion"})
_ENTRY = re.compile(r'^\s*"?([A-Za-z]+)"?\s*:\s*"([^"\\]*)"\s*$')


class UnsupportedResource(ValueError):
    """A resource input the harness cannot reproduce faithfully (a deploy error, never ignored)."""


def glue_table(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    """A Glue table: an Iceberg one here, any other by ``analytics.glue_table``."""
    iceberg = (inputs.get("openTableFormatInput") or {}).get("icebergInput")
    if not iceberg:
        return analytics.glue_table(emu, name, inputs)
    if iceberg.get("metadataOperation") != "CREATE":
        raise UnsupportedResource(f"{name}: iceberg_input.metadata_operation must be CREATE")
    table_input = iceberg.get("icebergTableInput") or {}
    if not table_input.get("location") or not (table_input.get("schema") or {}).get("fields"):
        raise UnsupportedResource(f"{name}: iceberg_table_input needs a location and a schema")
    database, table = inputs["databaseName"], auto_name(name, inputs, "name")
    schema = table_input["schema"]
    emu.warehouse.create_table(
        database,
        table,
        table_input["location"],
        schema["fields"],
        (table_input.get("partitionSpec") or {}).get("fields") or [],
        schema.get("identifierFieldIds") or [],
        table_input.get("properties") or {},
        str(iceberg.get("version") or "2"),
    )
    parameters = {
        **(inputs.get("parameters") or {}),
        "table_type": "ICEBERG",
        "metadata_location": emu.warehouse.metadata_location(database, table),
    }
    emu.client("glue").create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "Description": inputs.get("description", ""),
            "TableType": "EXTERNAL_TABLE",
            "Parameters": parameters,
            "StorageDescriptor": {"Location": table_input["location"]},
        },
        OpenTableFormatInput={
            "IcebergInput": {
                "MetadataOperation": "CREATE",
                "Version": str(iceberg.get("version") or "2"),
            }
        },
    )
    arn = f"arn:aws:glue:{emu.region}:{emu.account_id}:table/{database}/{table}"
    return f"{emu.account_id}:{database}:{table}", {
        **inputs,
        "name": table,
        "arn": arn,
        "catalogId": emu.account_id,
        "parameters": parameters,
    }


def constant_metadata(query: str) -> dict[str, str]:
    """A MetadataExtraction JQ query that is a constant object, as the values it extracts."""
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise UnsupportedResource(f"the harness evaluates constant JQ objects only, not {query!r}")
    metadata: dict[str, str] = {}
    for entry in filter(str.strip, body[1:-1].split(",")):
        match = _ENTRY.match(entry)
        if match is None or match.group(1) not in METADATA_KEYS:
            raise UnsupportedResource(
                f"the harness evaluates constant JQ objects of {sorted(METADATA_KEYS)} with "
                f"string values only, not {entry.strip()!r} in {query!r}"
            )
        metadata[match.group(1)] = match.group(2)
    return metadata


def _metadata(processing: dict[str, Any]) -> dict[str, str]:
    if not processing.get("enabled"):
        return {}
    metadata: dict[str, str] = {}
    for processor in processing.get("processors") or []:
        if processor.get("type") != "MetadataExtraction":
            raise UnsupportedResource(
                f"the harness runs no {processor.get('type')} processor (MetadataExtraction only)"
            )
        for parameter in processor.get("parameters") or []:
            if parameter.get("parameterName") == "MetadataExtractionQuery":
                metadata.update(constant_metadata(str(parameter["parameterValue"])))
            elif parameter.get("parameterName") != "JsonParsingEngine":
                raise UnsupportedResource(f"unknown processor parameter {parameter}")
    return metadata


def _pascal_destination(config: dict[str, Any], tables: list[TableDestination]) -> dict[str, Any]:
    s3 = config["s3Configuration"]
    destination: dict[str, Any] = {
        "RoleARN": config["roleArn"],
        "CatalogConfiguration": {"CatalogARN": config["catalogArn"]},
        "S3Configuration": {
            "RoleARN": s3["roleArn"],
            "BucketARN": s3["bucketArn"],
            **(
                {"ErrorOutputPrefix": s3["errorOutputPrefix"]}
                if s3.get("errorOutputPrefix")
                else {}
            ),
        },
        "BufferingHints": {
            "SizeInMBs": int(config.get("bufferingSize", DEFAULT_BUFFER_MB)),
            "IntervalInSeconds": int(config.get("bufferingInterval", DEFAULT_INTERVAL_SECONDS)),
        },
        "AppendOnly": bool(config.get("appendOnly", False)),
        "DestinationTableConfigurationList": [
            {
                "DestinationDatabaseName": t.database,
                "DestinationTableName": t.table,
                **({"UniqueKeys": list(t.unique_keys)} if t.unique_keys else {}),
                **({"S3ErrorOutputPrefix": t.error_prefix} if t.error_prefix else {}),
            }
            for t in tables
        ],
    }
    logging = config.get("cloudwatchLoggingOptions") or {}
    if logging:
        destination["CloudWatchLoggingOptions"] = {
            "Enabled": bool(logging.get("enabled", False)),
            **({"LogGroupName": logging["logGroupName"]} if logging.get("logGroupName") else {}),
            **({"LogStreamName": logging["logStreamName"]} if logging.get("logStreamName") else {}),
        }
    return destination


def firehose_stream(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    if inputs.get("destination") != "iceberg":
        raise UnsupportedResource(
            f"{name}: the harness delivers Firehose streams into Iceberg tables only, not "
            f"{inputs.get('destination')!r}"
        )
    config = inputs.get("icebergConfiguration") or {}
    stream_name = auto_name(name, inputs, "name")
    tables = [
        TableDestination(
            t["databaseName"],
            t["tableName"],
            tuple(t.get("uniqueKeys") or ()),
            t.get("s3ErrorOutputPrefix") or None,
        )
        for t in config.get("destinationTableConfigurations") or []
    ]
    for table in tables:  # CreateDeliveryStream validates its tables against the catalog
        if not emu.warehouse.has(table.database, table.table):
            raise UnsupportedResource(
                f"{name}: destination table {table.database}.{table.table} is not an Iceberg "
                "table of the Glue catalog (create the table first: depends_on)"
            )
    metadata = _metadata(config.get("processingConfiguration") or {})
    destination = _pascal_destination(config, tables)
    firehose = emu.client("firehose")
    kwargs: dict[str, Any] = {
        "DeliveryStreamName": stream_name,
        "DeliveryStreamType": "DirectPut",
        "IcebergDestinationConfiguration": destination,
    }
    if tags(inputs):
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
    arn = firehose.create_delivery_stream(**kwargs)["DeliveryStreamARN"]
    bucket = str(config["s3Configuration"]["bucketArn"]).rsplit(":", 1)[-1]
    hints = destination["BufferingHints"]
    emu.firehose.add(
        StreamConfig(
            name=stream_name,
            arn=arn,
            role_arn=config["roleArn"],
            catalog_arn=config["catalogArn"],
            tables=tuple(tables),
            bucket=bucket,
            error_prefix=config["s3Configuration"].get("errorOutputPrefix") or "",
            buffer_bytes=hints["SizeInMBs"] * MIB,
            interval_seconds=float(hints["IntervalInSeconds"]),
            metadata=metadata,
            append_only=destination["AppendOnly"],
        )
    )
    return arn, {
        **inputs,
        "name": stream_name,
        "arn": arn,
        "destinationId": "destinationId-000000000001",
        "versionId": "1",
    }


def table_optimizer(emu: Any, name: str, inputs: dict[str, Any]) -> tuple[str, State]:
    """Stored as declared; never run (module docstring)."""
    if inputs.get("type") not in OPTIMIZER_TYPES:
        raise UnsupportedResource(
            f"{name}: optimizer type must be one of {sorted(OPTIMIZER_TYPES)}"
        )
    database, table = inputs["databaseName"], inputs["tableName"]
    emu.client("glue").get_table(DatabaseName=database, Name=table)  # EntityNotFoundException
    role = (inputs.get("configuration") or {}).get("roleArn")
    if not role:
        raise UnsupportedResource(f"{name}: an optimizer needs configuration.role_arn")
    emu.client("iam").get_role(RoleName=str(role).rsplit("/", 1)[-1])  # NoSuchEntity
    optimizer_id = f"{inputs['catalogId']},{database},{table},{inputs['type']}"
    return optimizer_id, dict(inputs)
