"""`ops forget` against `harness serve`, as the README runs it: users A and B post to the served
route (a batch that mixes them, with an event of A's the schema refuses, and single events
through the entry buffer), then `python -m ops forget A --suppress --outputs serve.json`. After it
no version of any object in the raw bucket holds a byte of A's id, no item and no curated row is
A's, B's items and curated rows are as they were, and A's next event is rejected
`suppressed_user` with A's id stored nowhere in clear. (tests/e2e/test_privacy.py covers every
layer's cases in process: replays, conflicting duplicates, interrupted erasures, dry runs.)
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from harness.runtime.iceberg import Warehouse
from tests.e2e.served import cli, client, wait_for

A, B = "ann-erase-7f3a", "bob-keep-19c2"
WHEN = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def at(minutes: int) -> str:
    return (WHEN + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def post(served: dict[str, Any], body: Any) -> int:
    request = urllib.request.Request(  # noqa: S310 - the served local route
        f"{served['http_api_url']}events",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return int(response.status)


def items(served: dict[str, Any], table: str) -> list[dict[str, Any]]:
    plain = TypeDeserializer().deserialize
    pages = client(served, "dynamodb").get_paginator("scan").paginate(TableName=table)
    return [{k: plain(v) for k, v in i.items()} for p in pages for i in p["Items"]]


def every_version(served: dict[str, Any], bucket: str) -> dict[tuple[str, str], bytes]:
    """Every version of every object in the bucket, by (key, version id)."""
    s3 = client(served, "s3")
    found = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            key, version_id = version["Key"], version["VersionId"]
            body = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
            found[(key, version_id)] = body
    return found


def curated_users(served: dict[str, Any]) -> list[str]:
    outputs = served["outputs"]
    table = Warehouse(Path(served["iceberg_warehouse"])).load(
        outputs["glue_database"], outputs["curated_table_name"]
    )
    return sorted(table.scan(selected_fields=("user_id",)).to_arrow()["user_id"].to_pylist())


def test_forget_through_serve_leaves_no_byte_of_a_and_keeps_b(
    harness_serve: dict[str, Any], tmp_path: Path
) -> None:
    served, outputs = harness_serve, harness_serve["outputs"]
    serve_json = tmp_path / "serve.json"
    serve_json.write_text(json.dumps(served), encoding="utf-8")
    target = ["--outputs", str(serve_json)]

    mixed = {
        "events": [
            {"user_id": A, "action": "page_view", "event_time": at(0), "event_id": "a-1"},
            {"user_id": B, "action": "page_view", "event_time": at(1), "event_id": "b-1"},
            {"user_id": A, "event_time": at(2), "page": "/no-action"},  # schema_violation
            {"user_id": B, "action": "click", "event_time": at(3), "event_id": "b-2"},
        ]
    }
    assert post(served, mixed) == 200
    assert post(served, {"user_id": A, "action": "login", "event_time": at(4)}) == 200
    assert post(served, {"user_id": B, "action": "logout", "event_time": at(5)}) == 200
    table = outputs["table_name"]
    stored = wait_for(lambda: len(found := items(served, table)) == 5 and found, "five items")
    kept = sorted((i for i in stored if i["user_id"] == B), key=lambda i: i["event_time"])
    assert len(kept) == 3
    raw_bucket = outputs["raw_bucket_name"]
    assert any(A.encode() in body for body in every_version(served, raw_bucket).values())

    erased = cli("ops", "forget", A, "--suppress", "--json", *target)
    assert erased.returncode == 0, erased.stderr
    receipt = json.loads(erased.stdout)
    assert receipt["items_deleted"] == 2
    assert receipt["curated_rows_deleted"] == 2
    assert receipt["rejected_lines_removed"] >= 1  # the schema_violation

    versions = every_version(served, raw_bucket)
    assert [key for key, body in versions.items() if A.encode() in body] == []
    assert any(B.encode() in body for body in versions.values())
    after = items(served, table)
    assert [i for i in after if i["user_id"] == A] == []
    assert sorted((i for i in after if i["user_id"] == B), key=lambda i: i["event_time"]) == kept
    assert curated_users(served) == [B, B, B]

    # A's next event: rejected suppressed_user, and A's id nowhere in clear
    assert post(served, {"user_id": A, "action": "page_view", "event_time": at(6)}) == 200

    def suppressed() -> bool:
        bodies = every_version(served, raw_bucket).values()
        return any(b"suppressed_user" in body for body in bodies)

    wait_for(suppressed, "the rejected record of A's next event")
    assert [key for key, b in every_version(served, raw_bucket).items() if A.encode() in b] == []
    suppression = items(served, outputs["suppression_table_name"])
    assert len(suppression) == 1
    assert A not in json.dumps(suppression, default=str)
    assert len(items(served, table)) == 3
