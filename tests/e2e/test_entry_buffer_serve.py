"""The buffered entry end to end through ``harness serve``: single-event POSTs from parallel
clients end as items in few executions, a poison body among them rejected with its reason and no
neighbour failed (the consumer runs inside serve, its window scaled to 1 s)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from handlers.rawlines import text_id
from tests.e2e.served import client

CLIENTS = 12
POSTS = 300
POISON = {7: '{"user_id": "u-serve-300", "action"', 150: "not json", 299: '["an", "array"'}


def body(i: int) -> str:
    if i in POISON:
        return POISON[i]
    return json.dumps(
        {
            "user_id": "u-serve-300",
            "action": "click",
            "event_time": f"2025-05-01T10:{i // 60:02d}:{i % 60:02d}Z",
            "event_id": f"serve-{i}",
        }
    )


def post(url: str, text: str) -> int:
    """POST as a client does: again after a 429 (the dev stage: burst 50, rate 25 a second)."""
    while True:
        request = urllib.request.Request(url, data=text.encode(), method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            if error.code != 429:
                return int(error.code)
        time.sleep(0.05)


def test_300_single_event_posts_end_as_items_in_at_most_30_executions(
    harness_serve: dict[str, Any],
) -> None:
    ready = harness_serve
    url = f"{ready['http_api_url']}events"
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        statuses = list(pool.map(lambda i: post(url, body(i)), range(POSTS)))
    assert statuses == [200] * POSTS
    outputs = ready["outputs"]
    ddb, s3 = client(ready, "dynamodb"), client(ready, "s3")
    bucket = outputs["raw_bucket_name"]
    deadline = time.monotonic() + 120
    while True:
        items = ddb.query(
            TableName=outputs["table_name"],
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": "u-serve-300"}},
            Select="COUNT",
        )["Count"]
        rejected: dict[str, str] = {}
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="rejected/").get("Contents", []):
            text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            rejected.update(
                (r["event_id"], r["reason"]) for r in map(json.loads, text.split("\n")[:-1])
            )
        if items == POSTS - len(POISON) and len(rejected) >= len(POISON):
            break
        assert time.monotonic() < deadline, (items, rejected)
        time.sleep(0.2)
    assert rejected == {text_id(text): "not_json" for text in POISON.values()}
    sfn = client(ready, "stepfunctions")
    executions = sfn.list_executions(stateMachineArn=outputs["state_machine_arn"])["executions"]
    assert 1 <= len(executions) <= 30
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    assert all(e["name"].startswith("b-") for e in executions)
