"""The Iceberg family's creators: the Glue Iceberg table and its pyiceberg twin, the Firehose
stream (Iceberg destination only, its tables checked, its JQ constant), the stored optimizer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.deploy import iceberg
from harness.emulator import Emulator
from harness.runtime.iceberg import UnsupportedTable
from tests.harness.curated import DATABASE, Curated, deploy_curated


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(retry_time_scale=0.01) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def curated(emu: Emulator) -> Curated:
    return deploy_curated(emu, "creators")


def test_the_iceberg_table_is_created_from_the_declared_schema(
    emu: Emulator, curated: Curated
) -> None:
    table = emu.warehouse.load(DATABASE, curated.table)
    schema = table.schema()
    assert [(f.field_id, f.name, str(f.field_type), f.required) for f in schema.fields] == [
        (1, "user_id", "string", True),
        (2, "event_id", "string", True),
        (3, "occurred_at", "timestamptz", True),
        (4, "page", "string", False),
        (5, "late", "boolean", True),
        (6, "raw_index", "int", True),
    ]
    assert schema.identifier_field_ids == [1, 2]
    [partition] = table.spec().fields
    assert (partition.source_id, str(partition.transform), partition.name) == (
        3,
        "day",
        "occurred_at_day",
    )
    assert table.format_version == 2
    assert table.location().startswith((emu.work_dir / "iceberg" / "warehouse").as_uri())
    glue = emu.client("glue").get_table(DatabaseName=DATABASE, Name=curated.table)["Table"]
    assert glue["Parameters"]["table_type"] == "ICEBERG"
    assert glue["Parameters"]["metadata_location"].startswith(
        f"s3://{curated.bucket}/{curated.table}/metadata/"
    )
    assert glue["StorageDescriptor"]["Location"] == f"s3://{curated.bucket}/{curated.table}/"


def _table_inputs(**changes: Any) -> dict[str, Any]:
    table = {
        "location": "s3://b/t/",
        "schema": {"fields": [{"id": 1, "name": "a", "type": "string", "required": True}]},
    }
    return {
        "databaseName": DATABASE,
        "name": "refused",
        "openTableFormatInput": {
            "icebergInput": {"metadataOperation": "CREATE", "icebergTableInput": table | changes}
        },
    }


def test_tables_the_harness_cannot_hold_are_refused(emu: Emulator, curated: Curated) -> None:
    with pytest.raises(UnsupportedTable, match="type 'struct"):
        iceberg.glue_table(
            emu,
            "t",
            _table_inputs(
                schema={"fields": [{"id": 1, "name": "a", "type": "struct<x:int>", "required": 1}]}
            ),
        )
    with pytest.raises(UnsupportedTable, match="s3://bucket/path"):
        iceberg.glue_table(emu, "t", _table_inputs(location="/tmp/t"))
    replace = _table_inputs()
    replace["openTableFormatInput"]["icebergInput"]["metadataOperation"] = "REPLACE"
    with pytest.raises(iceberg.UnsupportedResource, match="CREATE"):
        iceberg.glue_table(emu, "t", replace)
    plain = iceberg.glue_table(  # no open table format: the analytics creator's plain table
        emu,
        "plain",
        {
            "databaseName": DATABASE,
            "name": "plain_table",
            "storageDescriptor": {"serDeInfo": {"serializationLibrary": "JsonSerDe"}},
        },
    )
    assert plain[1]["name"] == "plain_table"
    assert not emu.warehouse.has(DATABASE, "plain_table")


def _stream_inputs(emu: Emulator, curated: Curated) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "name": "another",
        "destination": "iceberg",
        "icebergConfiguration": {
            "catalogArn": f"arn:aws:glue:{emu.region}:{emu.account_id}:catalog",
            "roleArn": curated.role_arn,
            "destinationTableConfigurations": [
                {"databaseName": DATABASE, "tableName": curated.table}
            ],
            "s3Configuration": {
                "bucketArn": f"arn:aws:s3:::{curated.bucket}",
                "roleArn": curated.role_arn,
            },
        },
    }
    return inputs


def test_streams_are_created_as_declared_or_refused(emu: Emulator, curated: Curated) -> None:
    description = emu.client("firehose").describe_delivery_stream(
        DeliveryStreamName=curated.stream
    )["DeliveryStreamDescription"]
    assert description["DeliveryStreamARN"] == curated.stream_arn
    config = emu.firehose.get(curated.stream).config
    assert (config.buffer_bytes, config.interval_seconds) == (1024 * 1024, 60.0)
    assert config.metadata == {"operation": "update"}
    assert config.tables[0].unique_keys == ("event_id", "user_id")
    defaults = iceberg.firehose_stream(emu, "defaults", _stream_inputs(emu, curated))
    config = emu.firehose.get(defaults[1]["name"]).config
    assert (config.buffer_bytes, config.interval_seconds) == (5 * 1024 * 1024, 300.0)
    s3 = _stream_inputs(emu, curated) | {"destination": "extended_s3", "name": "s3"}
    with pytest.raises(iceberg.UnsupportedResource, match="Iceberg tables only"):
        iceberg.firehose_stream(emu, "s3", s3)
    missing = _stream_inputs(emu, curated) | {"name": "missing"}
    missing["icebergConfiguration"] = copy.deepcopy(missing["icebergConfiguration"])
    missing["icebergConfiguration"]["destinationTableConfigurations"][0]["tableName"] = "nope"
    with pytest.raises(iceberg.UnsupportedResource, match="not an Iceberg table"):
        iceberg.firehose_stream(emu, "missing", missing)
    for processor, problem in (
        ({"type": "Lambda", "parameters": []}, "no Lambda processor"),
        (
            {
                "type": "MetadataExtraction",
                "parameters": [
                    {"parameterName": "MetadataExtractionQuery", "parameterValue": ".op"}
                ],
            },
            "constant JQ objects",
        ),
    ):
        jq = _stream_inputs(emu, curated) | {"name": "jq"}
        jq["icebergConfiguration"] = jq["icebergConfiguration"] | {
            "processingConfiguration": {"enabled": True, "processors": [processor]}
        }
        with pytest.raises(iceberg.UnsupportedResource, match=problem):
            iceberg.firehose_stream(emu, "jq", jq)


def test_constant_jq_objects_are_evaluated() -> None:
    assert iceberg.constant_metadata(
        '{destinationDatabaseName: "db", "destinationTableName": "t", operation: "update"}'
    ) == {"destinationDatabaseName": "db", "destinationTableName": "t", "operation": "update"}
    for query in ("{operation: .op}", '{other: "x"}', '{operation: "a,b"}', "[1]"):
        with pytest.raises(iceberg.UnsupportedResource):
            iceberg.constant_metadata(query)


def test_optimizers_are_stored_after_their_table_and_role_are_checked(
    emu: Emulator, curated: Curated
) -> None:
    inputs = {
        "catalogId": emu.account_id,
        "databaseName": DATABASE,
        "tableName": curated.table,
        "type": "compaction",
        "configuration": {"roleArn": curated.role_arn, "enabled": True},
    }
    optimizer_id, state = iceberg.table_optimizer(emu, "compaction", inputs)
    assert optimizer_id == f"{emu.account_id},{DATABASE},{curated.table},compaction"
    assert state == inputs
    with pytest.raises(iceberg.UnsupportedResource, match="optimizer type"):
        iceberg.table_optimizer(emu, "x", inputs | {"type": "vacuum"})
    with pytest.raises(ClientError, match="EntityNotFound"):
        iceberg.table_optimizer(emu, "x", inputs | {"tableName": "nope"})
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iceberg.table_optimizer(
            emu,
            "x",
            inputs | {"configuration": {"roleArn": f"arn:aws:iam::{emu.account_id}:role/nope"}},
        )
