"""Firehose's Iceberg delivery in the emulator: buffering by size and interval, upserts by the
unique keys, the error output, and the stream role's permissions checked at every delivery."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.emulator import Emulator
from harness.runtime.firehose import (
    DeliveryFailed,
    RecordError,
    convert,
    expand_prefix,
    to_arrow,
)
from tests.harness.curated import (
    DATABASE,
    NOV_20,
    Curated,
    data,
    deploy_curated,
    role_policy,
    row,
    rows,
)

COLUMNS = [("user_id", "string", True), ("n", "int", False), ("at", "timestamptz", True)]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(retry_time_scale=0.01) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def upserts(emu: Emulator) -> Curated:
    return deploy_curated(emu, "upserts", buffering_mb=128)


def put(emu: Emulator, curated: Curated, records: list[dict[str, bytes]]) -> dict[str, Any]:
    answer: dict[str, Any] = emu.client("firehose", curated.writer).put_record_batch(
        DeliveryStreamName=curated.stream, Records=records
    )
    return answer


def user_rows(emu: Emulator, curated: Curated, user_id: str) -> list[dict[str, Any]]:
    return [r for r in rows(emu, curated.table) if r["user_id"] == user_id]


def test_conversion_reads_the_first_level_by_the_table_schema() -> None:
    assert convert({"user_id": "u", "at": NOV_20, "extra": [1]}, COLUMNS) == {
        "user_id": "u",
        "n": None,
        "at": NOV_20,
    }
    missing = convert({"user_id": "u"}, COLUMNS)
    assert isinstance(missing, RecordError)
    assert missing.code == "Iceberg.MissingColumnWithinRecord"
    for record in (
        {"user_id": "u", "at": "2025-11-20T09:00:00Z"},  # timestamps are microseconds
        {"user_id": "u", "at": NOV_20, "n": 2**31},  # an int column is 32-bit
        {"user_id": "u", "at": NOV_20, "n": True},
        {"user_id": 7, "at": NOV_20},
    ):
        mismatch = convert(record, COLUMNS)
        assert isinstance(mismatch, RecordError), record
        assert mismatch.code == "Iceberg.TypeMismatch"
    assert isinstance(convert(["not", "an", "object"], COLUMNS), RecordError)


def test_error_prefixes_are_evaluated_as_firehose_does() -> None:
    moment = datetime(2025, 11, 20, 9, 5, 7, tzinfo=UTC)
    assert (
        expand_prefix("errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/", moment, "x")
        == "errors/x/2025/11/20/"
    )
    assert expand_prefix("errors/", moment, "x") == "errors/2025/11/20/09/"
    with pytest.raises(ValueError, match="unknown S3 prefix expression"):
        expand_prefix("!{partitionKeyFromQuery:a}/", moment, "x")


def test_update_upserts_by_the_unique_keys(emu: Emulator, upserts: Curated) -> None:
    put(emu, upserts, data(row("e1", user_id="up"), row("e2", user_id="up", page="/a")))
    assert user_rows(emu, upserts, "up") == []  # buffered, not yet delivered
    [first] = emu.firehose.flush(upserts.stream)
    assert (first.inserted, first.updated, first.failed) == (2, 0, 0)
    # a re-delivery of e1, e2 changed, e2 again later in the same delivery, a new e3
    put(
        emu,
        upserts,
        data(
            row("e1", user_id="up"),
            row("e2", user_id="up", page="/b"),
            row("e2", user_id="up", page="/c"),
            row("e3", user_id="up"),
        ),
    )
    [second] = emu.firehose.flush(upserts.stream)
    assert (second.inserted, second.updated) == (1, 1)
    found = user_rows(emu, upserts, "up")
    assert [(r["event_id"], r["page"]) for r in found] == [("e1", "/"), ("e2", "/c"), ("e3", "/")]
    assert found[0]["occurred_at"] == datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
    parameters = emu.client("glue").get_table(DatabaseName=DATABASE, Name=upserts.table)["Table"][
        "Parameters"
    ]
    assert parameters["table_type"] == "ICEBERG"
    table = emu.warehouse.load(DATABASE, upserts.table)
    assert parameters["metadata_location"].endswith(table.metadata_location.rsplit("/", 1)[-1])
    assert parameters["metadata_location"].startswith(f"s3://{upserts.bucket}/{upserts.table}/")


def test_records_that_do_not_convert_go_to_the_error_prefix(
    emu: Emulator, upserts: Curated
) -> None:
    bad = [
        {"Data": b"not json"},
        {"Data": json.dumps(row("no-time", user_id="err") | {"occurred_at": None}).encode()},
        {"Data": json.dumps(row("text-time", user_id="err", occurred_at="2025-11-20")).encode()},
    ]
    put(emu, upserts, [*bad, *data(row("good", user_id="err"))])
    [delivery] = emu.firehose.flush(upserts.stream)
    assert (delivery.inserted, delivery.failed) == (1, 3)
    assert [r["event_id"] for r in user_rows(emu, upserts, "err")] == ["good"]
    assert delivery.error_key is not None
    today = datetime.now(UTC)
    assert delivery.error_key.startswith(
        f"errors/iceberg-failed/{today:%Y/%m/%d}/{upserts.stream}-"
    )
    body = emu.client("s3").get_object(Bucket=upserts.bucket, Key=delivery.error_key)["Body"]
    documents = [json.loads(line) for line in body.read().decode().splitlines()]
    assert [base64.b64decode(d["rawData"]) for d in documents] == [b["Data"] for b in bad]
    assert [d["ErrorCode"] for d in documents] == [
        "Iceberg.InvalidRecord",
        "Iceberg.MissingColumnWithinRecord",
        "Iceberg.TypeMismatch",
    ]
    assert documents[0]["dataCatalogTable"] == {
        "catalogId": emu.account_id,
        "databaseName": DATABASE,
        "tableName": upserts.table,
        "region": emu.region,
        "catalogArn": f"arn:aws:glue:{emu.region}:{emu.account_id}:catalog",
    }
    assert {"attemptsMade", "arrivalTimestamp", "ErrorMessage", "attemptEndingTimestamp"} <= set(
        documents[0]
    )


def test_without_an_operation_records_are_inserted(emu: Emulator) -> None:
    inserts = deploy_curated(emu, "inserts", buffering_mb=128, query=None)
    put(emu, inserts, data(row("same"), row("same")))
    emu.firehose.flush(inserts.stream)
    assert [r["event_id"] for r in rows(emu, inserts.table)] == ["same", "same"]


def test_delete_and_append_only(emu: Emulator) -> None:
    deletes = deploy_curated(emu, "deletes", buffering_mb=128, query='{operation: "delete"}')
    table = emu.warehouse.load(DATABASE, deletes.table)
    table.append(to_arrow(table, [row("gone"), row("kept")]))
    put(emu, deletes, data(row("gone")))
    [delivery] = emu.firehose.flush(deletes.stream)
    assert delivery.deleted == 1
    assert [r["event_id"] for r in rows(emu, deletes.table)] == ["kept"]
    appends = deploy_curated(emu, "appends", buffering_mb=128, append_only=True)
    put(emu, appends, data(row("update-refused")))
    [refused] = emu.firehose.flush(appends.stream)
    assert (refused.inserted, refused.failed) == (0, 1)


def test_a_full_buffer_is_delivered_at_once(emu: Emulator) -> None:
    sized = deploy_curated(emu, "sized", buffering_mb=1, interval=900)
    padding = "x" * 200_000
    put(emu, sized, data(*[row(f"s{i}", page=padding) for i in range(5)]))  # ~1,000,600 bytes
    assert rows(emu, sized.table) == []
    assert emu.firehose.get(sized.stream).deliveries == []
    put(emu, sized, data(row("s5", page=padding)))  # over 1 MiB: delivered during the call
    assert len(rows(emu, sized.table)) == 6
    assert emu.firehose.get(sized.stream).size == 0


def test_the_interval_clock_delivers_on_its_scaled_interval(emu: Emulator) -> None:
    timed = deploy_curated(emu, "timed", buffering_mb=128, interval=60)
    emu.firehose.scale(0.01)  # 60 s -> 0.6 s
    emu.firehose.start()
    try:
        put(emu, timed, data(row("t1")))
        stream = emu.firehose.get(timed.stream)
        started = time.monotonic()
        while not stream.deliveries and time.monotonic() - started < 20:
            time.sleep(0.05)
        waited = time.monotonic() - started
    finally:
        emu.firehose.stop()
        emu.firehose.scale(1.0)
    assert [r["event_id"] for r in rows(emu, timed.table)] == ["t1"]
    assert waited >= 0.5  # not before the (scaled) interval


def test_every_delivery_is_checked_against_the_stream_role(emu: Emulator) -> None:
    denied = deploy_curated(emu, "denied", buffering_mb=128)
    iam = emu.client("iam")
    role = denied.role_arn.rsplit("/", 1)[-1]
    full = role_policy(
        denied.table, f"arn:aws:s3:::{denied.bucket}", denied.key_arn, emu.account_id, emu.region
    )
    cases = {  # what each statement removed leaves the role unable to do
        0: "glue:GetTable",
        1: "s3:GetObject",
        3: "kms:Decrypt",
    }
    put(emu, denied, data(row("d1")))
    for statement, refused in cases.items():
        policy = {
            **full,
            "Statement": [s for i, s in enumerate(full["Statement"]) if i != statement],
        }
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(policy))
        with pytest.raises(DeliveryFailed, match=refused):
            emu.firehose.flush(denied.stream)
        assert rows(emu, denied.table) == []
        assert len(emu.firehose.get(denied.stream).buffer) == 1  # kept for the next delivery
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(full))
    emu.firehose.flush(denied.stream)
    assert [r["event_id"] for r in rows(emu, denied.table)] == ["d1"]
