"""Erasure and suppression end to end in the emulator, `ops forget` run as an operator who holds
only the operator erasure policy (IAM enforced).

One deployment and one load for the module: users A (some events rejected, some in batches with
B's, one not JSON, one conflicting duplicate, rejected objects replayed into several versions), B
(kept), C (erased through injected interruptions) and D (dry run). The curated Iceberg table is
the emulator's (pyiceberg), erased through harness.tools.erasure with the streams flushed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.reasons import SUPPRESSED_USER
from harness.deploy import Deployment
from harness.tools.erasure import WarehouseEraser, for_deployment, referenced_files
from harness.tools.pipeline import run
from ops import forget as forget_command
from ops.cli import main
from ops.forget import forget
from ops.replay import replay
from ops.target import Target

A, B, C, D = "alice-erase-5f1c9", "bob-keeps-8e2d4", "carol-cut-3a7b1", "dave-dry-6c0e2"
SINCE, UNTIL = datetime(2025, 6, 1, 9, tzinfo=UTC), datetime(2025, 6, 1, 14, tzinfo=UTC)


def event(user: str, minute: int, hour: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user,
        "action": "page_view",
        "event_time": f"2025-06-01T{hour:02d}:{minute:02d}:00Z",
        "event_id": f"{user[:5]}-{hour}-{minute}",
        "page": f"/p/{minute}",
        **extra,
    }


BATCHES: list[Any] = [
    # A and B together; two of A's rejected (bad_event_time, schema_violation)
    {
        "events": [
            event(A, 1),
            event(B, 2),
            {**event(A, 3), "event_time": "yesterday"},
            {"user_id": A, "event_time": "2025-06-01T10:04:00Z"},
            event(B, 5),
        ]
    },
    {"events": [event(B, 6, hour=11), event(C, 7, hour=11), event(D, 8, hour=11)]},
    {"events": [event(A, 9, hour=12)]},
    # A's text that is no JSON, beside B's event, as the buffered entry's records
    {"records": [json.dumps(event(B, 10, hour=12)), '{"user_id": "' + A + '", "action": ']},
    # A's conflicting duplicate (same key, other content): Write's conflicts object
    {"events": [{**event(A, 1), "page": "/forged"}, event(C, 11, hour=13), event(D, 12, hour=13)]},
]


@dataclass
class Loaded:
    dev: Deployment
    operator: Target
    admin: Target
    b_items: list[dict[str, Any]]
    b_lines: dict[tuple[str, int], bytes]
    b_rows: list[dict[str, Any]]

    def forget(self, users: list[str], **options: Any) -> dict[str, Any]:
        return forget(self.operator, users, curated_eraser=for_deployment(self.dev), **options)


def operator_target(dev: Deployment) -> Target:
    """A principal holding only the stack's operator erasure policy."""
    iam = dev.client("iam")
    iam.create_user(UserName="erasure-operator")
    iam.attach_user_policy(
        UserName="erasure-operator", PolicyArn=dev.outputs["operator_erasure_policy_arn"]
    )
    key = iam.create_access_key(UserName="erasure-operator")["AccessKey"]
    return Target.for_emulator(
        dev.outputs,
        region=dev.emulator.region,
        access_key_id=key["AccessKeyId"],
        secret_access_key=key["SecretAccessKey"],
    )


def items(dev: Deployment, user: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = dev.client("dynamodb").query(
        TableName=dev.outputs["table_name"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user}},
    )["Items"]
    return found


def every_version(dev: Deployment) -> dict[tuple[str, str], bytes]:
    """(key, version id) -> body, for every version of every object in the raw bucket."""
    s3, bucket = dev.client("s3"), dev.outputs["raw_bucket_name"]
    bodies: dict[tuple[str, str], bytes] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])[
                "Body"
            ].read()
            bodies[(version["Key"], version["VersionId"])] = body
    return bodies


def raw_lines_of(dev: Deployment, user: str) -> dict[tuple[str, int], bytes]:
    s3, bucket = dev.client("s3"), dev.outputs["raw_bucket_name"]
    lines: dict[tuple[str, int], bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="ingest/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            for index, line in enumerate(body.split(b"\n")):
                if user.encode() in line:
                    lines[(obj["Key"], index)] = line
    return lines


def curated_table(dev: Deployment) -> Any:
    return dev.emulator.warehouse.load(
        dev.outputs["glue_database"], dev.outputs["curated_table_name"]
    )


def curated_rows(
    dev: Deployment, user: str, snapshot_id: int | None = None
) -> list[dict[str, Any]]:
    """The user's curated rows now (or at a snapshot: time travel), by event_id."""
    rows = curated_table(dev).scan(snapshot_id=snapshot_id).to_arrow().to_pylist()
    return sorted((r for r in rows if r["user_id"] == user), key=lambda r: r["event_id"])


def as_record(row: dict[str, Any]) -> bytes:
    """A curated row as the Firehose record Write sends (timestamps in epoch microseconds)."""
    return json.dumps(
        {
            k: int(v.timestamp()) * 1_000_000 + v.microsecond if isinstance(v, datetime) else v
            for k, v in row.items()
        }
    ).encode()


def readable_with(dev: Deployment, user: str) -> list[int]:
    """The snapshots that still show a row of the user when read back by id."""
    table = curated_table(dev)
    return [
        s.snapshot_id for s in table.metadata.snapshots if curated_rows(dev, user, s.snapshot_id)
    ]


def holders(dev: Deployment, user: str) -> list[str]:
    return sorted(
        f"{k}@{v}" for (k, v), body in every_version(dev).items() if user.encode() in body
    )


@pytest.fixture(scope="module")
def loaded(dev: Deployment) -> Loaded:
    for batch in BATCHES:
        assert run(dev, batch).status == "SUCCEEDED"
        dev.emulator.firehose.flush()  # a snapshot per batch: several hold A's rows
    admin = dev.as_target()
    # a replay writes the rejected objects again: their keys get noncurrent versions
    assert replay(admin, SINCE, UNTIL, progress=False).as_dict()["failed"] == 0
    assert len(items(dev, A)) == 2
    dev.emulator.firehose.flush()
    return Loaded(
        dev,
        operator_target(dev),
        admin,
        items(dev, B),
        raw_lines_of(dev, B),
        curated_rows(dev, B),
    )


def test_forget_leaves_no_byte_of_the_user_in_any_version_and_keeps_the_others(
    loaded: Loaded,
) -> None:
    dev = loaded.dev
    before = holders(dev, A)
    assert any(h.startswith("rejected/") for h in before)  # A's rejected events
    assert any(".conflicts.json" in h for h in before)
    versioned = {h.split("@")[0] for h in before}
    assert len(before) > len(versioned)  # some keys hold A in more than one version
    assert len(curated_rows(dev, A)) == 2
    assert len(readable_with(dev, A)) > 1  # several snapshots hold A's rows
    # one of A's rows still buffered in Firehose: the erasure settles it before the delete
    buffered = as_record({**curated_rows(dev, A)[0], "page": "/in-the-buffer"})
    dev.emulator.firehose.put(dev.outputs["curated_stream_name"], [buffered])

    result = loaded.forget([A])

    assert curated_rows(dev, A) == []
    assert readable_with(dev, A) == []
    table = curated_table(dev)
    assert len(table.metadata.snapshots) == 1
    location = Path(table.metadata.location.removeprefix("file://"))
    on_disk = {str(f) for f in location.rglob("*") if f.is_file()}
    assert on_disk <= referenced_files(table)  # the expired snapshots' files are gone
    assert curated_rows(dev, B) == loaded.b_rows
    assert result["curated"] == "erased"
    assert result["curated_rows_deleted"] == 2
    assert result["curated_snapshots_expired"] >= 1
    assert result["curated_files_deleted"] >= 1
    assert holders(dev, A) == []
    assert items(dev, A) == []
    assert items(dev, B) == loaded.b_items
    assert raw_lines_of(dev, B) == loaded.b_lines  # byte for byte, at the same positions
    assert result["items_deleted"] == 2
    # batch 1: three; batch 3: one; the text that is no JSON; the conflicting duplicate
    assert result["raw_lines_removed"] == 6
    assert result["rejected_lines_removed"] >= 3
    receipt = json.loads(
        dev.client("s3")
        .get_object(Bucket=dev.outputs["raw_bucket_name"], Key=result["receipt"])["Body"]
        .read()
    )
    assert receipt["request_id"] == result["request_id"]
    assert receipt["layers"]["curated"] == {
        "rows_deleted": 2,
        "snapshots_expired": result["curated_snapshots_expired"],
        "files_deleted": result["curated_files_deleted"],
    }
    assert len(receipt["user_hashes"]) == 1
    assert A not in json.dumps(receipt)
    assert {o["key"] for o in receipt["objects"] if o["rewritten"]} <= versioned

    # replaying the hours brings nothing of A back, and keeps B as it was
    assert replay(loaded.admin, SINCE, UNTIL, progress=False).as_dict()["failed"] == 0
    assert holders(dev, A) == []
    assert items(dev, A) == []
    assert items(dev, B) == loaded.b_items

    # a second request finds nothing more
    again = loaded.forget([A])
    assert (again["items_deleted"], again["raw_lines_removed"]) == (0, 0)
    assert again["request_id"] != result["request_id"]


def test_with_suppress_later_events_are_rejected_and_stored_nowhere_in_clear(
    loaded: Loaded,
) -> None:
    dev = loaded.dev
    loaded.forget([A], suppress=True)
    report = run(dev, {"events": [event(A, 30, hour=13, ip="198.51.100.7"), event(B, 31, 13)]})
    assert report.status == "SUCCEEDED"
    output = report.output or {}
    assert [r["reason"] for r in output["rejected"]] == [SUPPRESSED_USER]
    assert output["written"] == 1
    assert holders(dev, A) == []
    assert items(dev, A) == []
    table = dev.client("dynamodb").scan(TableName=dev.outputs["suppression_table_name"])
    assert A not in json.dumps(table["Items"])
    logs = dev.client("logs")
    for group in (*dev.outputs["log_group_names"].values(),):
        events = logs.filter_log_events(logGroupName=group)["events"]
        assert not [e for e in events if A in e["message"]], group


def test_an_interrupted_erasure_completes_when_run_again(
    loaded: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = loaded.dev
    assert holders(dev, C)
    calls = {"n": 0}
    client = Target.client

    def failing(self: Target, service: str) -> Any:
        made = client(self, service)
        if service == "s3":

            def fault(**kwargs: Any) -> None:
                calls["n"] += 1
                if calls["n"] == 2:  # the second version deletion: mid-object
                    raise ClientError({"Error": {"Code": "InternalError"}}, "DeleteObject")

            made.meta.events.register("before-call.s3.DeleteObject", fault)
        return made

    monkeypatch.setattr(Target, "client", failing)
    with pytest.raises(ClientError):
        loaded.forget([C])
    monkeypatch.setattr(Target, "client", client)
    assert holders(dev, C)  # the interruption left some versions
    assert len(curated_rows(dev, C)) == 2

    # a second run interrupted after the curated delete, before the snapshots expire
    eraser = for_deployment(dev)(loaded.operator)
    assert isinstance(eraser, WarehouseEraser)

    def expire_fails() -> dict[str, int]:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(eraser, "expire", expire_fails)
    with pytest.raises(RuntimeError):
        forget(loaded.operator, [C], curated_eraser=lambda _target: eraser)
    assert curated_rows(dev, C) == []
    assert readable_with(dev, C)  # time travel still reads them: not done yet
    monkeypatch.undo()

    result = loaded.forget([C])
    assert result["resumed"] is True
    assert holders(dev, C) == []
    assert items(dev, C) == []
    assert readable_with(dev, C) == []
    assert result["raw_lines_removed"] == 2
    assert result["curated_rows_deleted"] == 2  # counted before the interrupted run's delete


def test_a_dry_run_changes_nothing(loaded: Loaded, tmp_path: Path, capsys: Any) -> None:
    dev = loaded.dev
    versions, suppression = (
        every_version(dev),
        dev.client("dynamodb").scan(TableName=dev.outputs["suppression_table_name"])["Items"],
    )
    d_items = items(dev, D)
    outputs = tmp_path / "outputs.json"
    credentials = loaded.operator.credentials
    d_rows, snapshots = curated_rows(dev, D), len(curated_table(dev).metadata.snapshots)
    line = {
        "outputs": dev.outputs,
        "region": dev.emulator.region,
        "iceberg_warehouse": str(dev.emulator.warehouse.root),
        **credentials,
    }
    outputs.write_text(json.dumps(line))
    code = main(["forget", D, "--suppress", "--dry-run", "--json", "--outputs", str(outputs)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["dry_run"] is True
    assert (summary["items_deleted"], summary["raw_lines_removed"]) == (2, 2)
    assert summary["raw_objects_rewritten"] == 2
    assert summary["curated_rows_deleted"] == len(d_rows) == 2
    assert summary["curated"] == "counted"
    assert curated_rows(dev, D) == d_rows
    assert len(curated_table(dev).metadata.snapshots) == snapshots
    assert every_version(dev) == versions
    assert items(dev, D) == d_items
    scan = dev.client("dynamodb").scan(TableName=dev.outputs["suppression_table_name"])
    assert scan["Items"] == suppression
    assert forget_command.COMMAND.name == "forget"


def test_the_functions_roles_gain_nothing_for_erasure(loaded: Loaded) -> None:
    dev = loaded.dev
    bucket = dev.outputs["raw_bucket_name"]
    for fn in ("ingest", "process", "write"):
        role = str(dev.find("aws:lambda/function:Function", f"workflow-{fn}").inputs["role"])
        s3 = dev.emulator.role_client(role, "s3")
        for operation, kwargs in (
            ("list_object_versions", {"Prefix": "ingest/"}),
            ("get_object", {"Key": "erasure/receipts/x.json"}),
            ("delete_object", {"Key": "ingest/x.json", "VersionId": "v"}),
        ):
            with pytest.raises(ClientError) as denied:
                getattr(s3, operation)(Bucket=bucket, **kwargs)
            assert denied.value.response["Error"]["Code"] == "AccessDenied", fn
    secrets = dev.emulator.role_client(
        str(dev.find("aws:lambda/function:Function", "workflow-process").inputs["role"]),
        "secretsmanager",
    )
    with pytest.raises(ClientError) as no_salt:
        secrets.get_secret_value(SecretId=dev.outputs["suppression_salt_secret_arn"])
    assert no_salt.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.fixture(autouse=True)
def _no_leftover_progress(loaded: Loaded) -> Iterator[None]:
    yield
    listing = loaded.dev.client("s3").list_objects_v2(
        Bucket=loaded.dev.outputs["raw_bucket_name"], Prefix="erasure/progress/"
    )
    assert listing.get("KeyCount", 0) == 0


def test_retention_is_deployed(loaded: Loaded) -> None:
    dev = loaded.dev
    ttl = dev.client("dynamodb").describe_time_to_live(TableName=dev.outputs["table_name"])
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires_at",
    }
    rules = dev.client("s3").get_bucket_lifecycle_configuration(
        Bucket=dev.outputs["raw_bucket_name"]
    )["Rules"]
    expiring = {r["ID"]: r["Expiration"] for r in rules if "Expiration" in r}
    assert expiring["expire-raw-objects"] == {"Days": 30}
    assert expiring["expire-rejected-objects"] == {"Days": 14}
    stored = items(dev, B)[0]
    received = datetime.fromisoformat(stored["received_at"]["S"].replace("Z", "+00:00"))
    assert int(stored["expires_at"]["N"]) == int(received.timestamp()) + 30 * 86_400
