"""Suppressed users: the salted hashes, the user ids a line names, the markers Ingest writes and
Process rejects `suppressed_user` without content; the BatchGetItem lookups Ingest makes."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import boto3
import pytest

from handlers import ingest, process, suppression, suppression_list
from handlers.curate import Lineage, curate_body
from handlers.errors import TransientAwsError
from handlers.rawlines import LineRejected, read_line
from handlers.reasons import ERASED_USER, SUPPRESSED_USER
from tests.handlers.conftest import BUCKET, REGION, SALT, SUPPRESSION_TABLE, SuppressionList

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
A, B = "user-alice-7f3a", "user-bob-2c9d"


def event(user: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user,
        "action": "page_view",
        "event_time": f"2024-05-01T10:{n:02d}:00Z",
        "event_id": f"e-{user[-4:]}-{n}",
        **extra,
    }


def test_user_hash_is_hmac_sha256_of_the_id_under_the_salt() -> None:
    expected = hmac.new(b"salt", A.encode(), hashlib.sha256).hexdigest()
    assert suppression.user_hash(b"salt", A) == expected
    assert suppression.user_hash(b"other", A) != expected
    assert len(expected) == 64
    assert A not in expected


@pytest.mark.parametrize(
    ("line", "names"),
    [
        (json.dumps(event(A, 1)), {A}),
        ('{"user_id":"a","user_id":"b"}', {"a", "b"}),  # every repetition, not only the last
        (json.dumps({"properties": {"user_id": "c"}, "user_id": "d"}), {"c", "d"}),
        (json.dumps(json.dumps(event(A, 1))), {A}),  # a record stored as a string line
        (json.dumps({"user_id": 7}), set()),
        ('{"user_id": "a"', set()),  # not JSON: Ingest cannot see it (ops forget finds it)
        ("[" * 65 + "]" * 65, set()),
        ('{"user_id":"\\u0041"}', {"A"}),  # escapes read as JSON reads them
    ],
)
def test_the_user_ids_a_line_names(line: str, names: set[str]) -> None:
    assert suppression.user_ids(line) == names


def test_markers_hold_no_content_and_process_rejects_them_without_it() -> None:
    line = json.dumps(event(A, 1, ip="203.0.113.9"))
    marker = suppression.suppressed_marker(line, 4)
    assert json.loads(marker) == {SUPPRESSED_USER: suppression.line_hash(line), "index": 4}
    assert A not in marker
    assert "203.0.113" not in marker
    with pytest.raises(LineRejected) as rejected:
        read_line(marker)
    assert (rejected.value.reason, rejected.value.event, rejected.value.event_id) == (
        SUPPRESSED_USER,
        None,
        suppression.line_hash(line),
    )
    with pytest.raises(LineRejected) as erased:
        read_line(suppression.erased_marker(2))
    assert (erased.value.reason, erased.value.event) == (ERASED_USER, None)


@pytest.mark.parametrize(
    "line",
    ['{"suppressed_user":"x"}', '{"suppressed_user":"x","index":"1"}', '{"erased_user":1,"a":2}'],
)
def test_a_line_shaped_otherwise_is_no_marker(line: str, lineage: Lineage) -> None:
    (rejection,) = curate_body(line.encode(), lineage).rejected  # an object with no user_id
    assert rejection.reason == "schema_violation"


def test_suppress_marks_every_line_naming_a_listed_hash() -> None:
    lines = [
        json.dumps(event(A, 1)),
        json.dumps(event(B, 2)),
        '{"user_id":"B","user_id":"' + A + '"}',
    ]
    names = [suppression.user_ids(line) for line in lines]
    hashes = {u: suppression.user_hash(b"s", u) for u in set().union(*names)}
    marked, count = suppression.suppress(lines, names, hashes, [hashes[A]])
    assert count == 2
    assert marked[1] == lines[1]
    assert [json.loads(marked[i])["index"] for i in (0, 2)] == [0, 2]
    assert all(A not in line for line in marked)


def payload(events: list[Any]) -> dict[str, Any]:
    return {"input": json.dumps({"events": events}), "execution_id": "e"}


def test_ingest_stores_a_suppressed_users_events_as_markers_and_process_rejects_them(
    s3: Any, suppression: SuppressionList, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    suppression.suppress(A)
    events = [event(A, 1), event(B, 2), event(A, 3, page="/secret")]
    ingested = ingest.handler(payload(events), lambda_context)
    body = s3.get_object(Bucket=BUCKET, Key=ingested["raw_key"])["Body"].read()
    lines = body.decode().splitlines()
    assert lines[1] == json.dumps(events[1])  # B's line exactly as received
    assert [json.loads(lines[i]) for i in (0, 2)] == [
        {SUPPRESSED_USER: suppression_line_hash(events[0]), "index": 0},
        {SUPPRESSED_USER: suppression_line_hash(events[2]), "index": 2},
    ]
    # the partition is B's event's hour: a suppressed event's time is not kept either
    assert "/hh=10/" in ingested["raw_key"]
    out = process.handler({"raw_key": ingested["raw_key"], "execution_id": "e"}, lambda_context)
    assert [item["user_id"] for item in out["items"]] == [B]
    assert [(r["index"], r["reason"]) for r in out["rejected"]] == [
        (0, SUPPRESSED_USER),
        (2, SUPPRESSED_USER),
    ]
    rejected = s3.get_object(Bucket=BUCKET, Key=out["rejected_key"])["Body"].read()
    assert all(json.loads(line)["event"] is None for line in rejected.decode().splitlines())
    stored = body + rejected + json.dumps(out).encode() + capsys.readouterr().out.encode()
    assert A.encode() not in stored
    assert b"/secret" not in stored


def suppression_line_hash(value: Any) -> str:
    return suppression.line_hash(json.dumps(value))


def test_ingest_without_suppressed_users_stores_every_line_as_received(
    s3: Any, suppression: SuppressionList, lambda_context: Any
) -> None:
    events = [event(A, 1), event(B, 2)]
    ingested = ingest.handler(payload(events), lambda_context)
    body = s3.get_object(Bucket=BUCKET, Key=ingested["raw_key"])["Body"].read()
    assert body.decode().splitlines() == [json.dumps(e) for e in events]


def test_lookups_are_one_request_per_100_distinct_users(
    suppression: SuppressionList, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = boto3.client("dynamodb", region_name=REGION)

    class Counting:
        def batch_get_item(self, **kwargs: Any) -> Any:
            calls.append(len(kwargs["RequestItems"][SUPPRESSION_TABLE]["Keys"]))
            assert kwargs["RequestItems"][SUPPRESSION_TABLE]["ConsistentRead"] is True
            return real.batch_get_item(**kwargs)

    secrets = boto3.client("secretsmanager", region_name=REGION)
    monkeypatch.setattr(
        suppression_list,
        "client",
        lambda service: Counting() if service == "dynamodb" else secrets,
    )
    suppression.suppress("u-150")
    lines = [json.dumps(event(f"u-{i}", i % 60)) for i in range(250)] * 2  # 250 distinct users
    _marked, count, requests = ingest.suppressed_lines(
        lines, SUPPRESSION_TABLE, suppression.secret_arn
    )
    assert (calls, requests, count) == ([100, 100, 50], 3, 2)
    assert ingest.suppressed_lines(['"not an event"'], SUPPRESSION_TABLE, "arn:unused") == (
        ['"not an event"'],
        0,
        0,
    )  # no user id: no request, not even for the salt


def test_unprocessed_keys_are_asked_again_then_transient(
    suppression: SuppressionList, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unprocessed:
        def __init__(self, times: int) -> None:
            self.times = times
            self.calls = 0

        def batch_get_item(self, **kwargs: Any) -> Any:
            self.calls += 1
            keys = kwargs["RequestItems"][SUPPRESSION_TABLE]["Keys"]
            if self.calls <= self.times:
                return {"Responses": {}, "UnprocessedKeys": {SUPPRESSION_TABLE: {"Keys": keys}}}
            return {"Responses": {SUPPRESSION_TABLE: keys}}

    fake = Unprocessed(2)
    monkeypatch.setattr(suppression_list, "client", lambda service: fake)
    found = suppression_list.suppressed(SUPPRESSION_TABLE, ["h1"], sleep=lambda s: None)
    assert (found.suppressed, found.requests) == (frozenset({"h1"}), 3)
    assert fake.calls == 3
    monkeypatch.setattr(suppression_list, "client", lambda service: Unprocessed(99))
    with pytest.raises(TransientAwsError, match="unprocessed"):
        suppression_list.suppressed(SUPPRESSION_TABLE, ["h1"], sleep=lambda s: None)


def test_the_salt_is_read_once(suppression: SuppressionList) -> None:
    assert suppression_list.salt(suppression.secret_arn) == SALT.encode()
    boto3.client("secretsmanager", region_name=REGION).update_secret(
        SecretId=suppression.secret_arn, SecretString="changed"
    )
    assert suppression_list.salt(suppression.secret_arn) == SALT.encode()
