"""ops.erasure (pure): whose lines are whose, objects rewritten without them, progress, receipts."""

from __future__ import annotations

import json

import pytest

from handlers.suppression import erased_marker
from ops.erasure import Progress, Users, layer_of, progress_key, request_set_id, rewrite

A, B = "bo", "bob"


def line(**values: object) -> bytes:
    return json.dumps(values).encode()


def test_raw_lines_of_the_user_become_markers_and_the_others_stay_byte_for_byte() -> None:
    lines = [
        line(user_id=A, action="x"),
        b'{"user_id":  "bob", "action": "y", "properties": {"friend": "bo"}}',  # B's, naming A
        json.dumps(json.dumps({"user_id": A})).encode(),  # a record that was no event
        b'"{\\"user_id\\": \\"bo\\", \\"act"',  # a text that is no JSON, holding A's token
        b'"{\\"user_id\\": \\"bob\\", \\"act"',  # ... and B's, which holds "bo" only inside
        b'{"user_id":"b","user_id":"bo"}',  # A's in a repetition
    ]
    body = b"\n".join(lines) + b"\n"
    result = rewrite("raw", body, Users.of([A]))
    out = result.body.split(b"\n")
    assert result.removed == 4
    assert out[1] == lines[1]
    assert out[4] == lines[4]
    assert [out[i] for i in (0, 2, 3, 5)] == [erased_marker(i).encode() for i in (0, 2, 3, 5)]
    assert out[-1] == b""  # the final newline kept


def test_rejected_records_of_the_user_are_dropped() -> None:
    records = [
        line(index=0, event_id="e", reason="bad_event_time", detail="d", event={"user_id": A}),
        line(index=1, event_id="f", reason="not_json", detail="d", event='{"user_id": "bo", '),
        line(index=2, event_id="g", reason="schema_violation", detail="d", event={"user_id": B}),
        line(index=3, event_id="h", reason="suppressed_user", detail="d", event=None),
    ]
    body = b"\n".join(records) + b"\n"
    result = rewrite("rejected", body, Users.of([A]))
    assert result.removed == 2
    assert result.body == b"\n".join(records[2:]) + b"\n"


def test_nothing_of_theirs_leaves_the_object_as_it_was() -> None:
    body = line(user_id=B) + b"\n"
    assert rewrite("raw", body, Users.of([A])).body == body
    assert rewrite("raw", body, Users.of([A])).removed == 0


def test_layers_by_prefix() -> None:
    assert layer_of("ingest/yyyy=2025/x.json") == "raw"
    assert layer_of("rejected/yyyy=2025/x.conflicts.json") == "rejected"
    with pytest.raises(ValueError, match="no layer"):
        layer_of("erasure/receipts/x.json")


def test_a_request_is_named_by_its_users_in_any_order() -> None:
    assert request_set_id(["h2", "h1", "h1"]) == request_set_id(["h1", "h2"])
    assert request_set_id(["h1"]) != request_set_id(["h1", "h2"])
    assert progress_key(["h1"]).startswith("erasure/progress/")


def test_progress_round_trips_and_its_receipt_counts_per_layer() -> None:
    progress = Progress(
        request_id="r1",
        started_at="2025-06-01T10:00:00.000Z",
        user_hashes=["h"],
        suppressed=True,
        scanned={"versions": 9, "bytes": 900},
        lineage_keys=["ingest/a.json"],
        plan=["ingest/a.json", "rejected/a.json", "rejected/b.conflicts.json"],
        done={
            "ingest/a.json": {"rewritten": True, "lines_removed": 2, "versions_deleted": 1},
            "rejected/a.json": {"rewritten": True, "lines_removed": 1, "versions_deleted": 3},
            "rejected/b.conflicts.json": {
                "rewritten": False,
                "lines_removed": 0,
                "versions_deleted": 2,
            },
        },
        items_deleted=4,
        items_done=True,
        items_deleted_at=1_748_772_000.5,
        curated={
            "present": True,
            "settled": True,
            "rows_found": 3,
            "rows_deleted": 3,
            "deleted": True,
            "snapshots_expired": 4,
            "files_deleted": 9,
            "expired": True,
        },
    )
    assert Progress.from_dict(json.loads(json.dumps(progress.as_dict()))) == progress
    receipt = progress.receipt("2025-06-01T10:00:05.000Z")
    assert receipt["layers"] == {
        "table": {"items_deleted": 4},
        "raw": {"objects_rewritten": 1, "lines_removed": 2, "versions_deleted": 1},
        "rejected": {"objects_rewritten": 1, "lines_removed": 1, "versions_deleted": 5},
        "curated": {"rows_deleted": 3, "snapshots_expired": 4, "files_deleted": 9},
    }
    without = Progress.from_dict({**progress.as_dict(), "curated": {}})
    assert without.receipt("2025-06-01T10:00:05.000Z")["layers"]["curated"] == {"status": "absent"}
    assert [o["key"] for o in receipt["objects"] if o["rewritten"]] == [
        "ingest/a.json",
        "rejected/a.json",
    ]
    assert receipt["user_hashes"] == ["h"]
