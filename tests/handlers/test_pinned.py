"""The core's outcomes pinned case by case: what Process stores and rejects, the ids and content
hashes it derives, the normalized times, actions and addresses — never to change silently.

pinned/cases.json holds each case's input and its expected outcome. The outcomes were recorded from
the frozen copy of the core this one grew from (the reference of the retired differential tests),
transformed only by the rule changes made on purpose since (content_hash on items, details kept
ASCII within 256 bytes, a JSON string line is `not_json`, a later event of a key with other content
is `conflicting_duplicate`, RFC 3339 digits are ASCII, the oldest-event bound and the partition
window, integers over 4,300 digits), and the core agreed with every one of them.

Sections (each case `{"input": ..., "expected": ...}`; `json` inputs are JSON text, so NaN and
Infinity can be written):
- `batches`: the lines of a raw object, its received_at, late threshold and oldest accepted time ->
  Process's items (compared as JSON text: types, key order), the DynamoDB items Write stores
  (without the batch's lineage attributes) and the rejected records (as JSON text) with the sha256
  of the rejected object's bytes;
- `ids`: an event (JSON text) -> its event_id, content hash and the batch id of `[event]`;
- `times`: an event_time (JSON text) -> the normalized time, or the bad_event_time message;
- `actions` -> the normalized action; `addresses` -> is_ipv4, is_ipv6 and the anonymized address;
- `values` (JSON text) -> json_value_problem's detail (None: storable).

A deliberate change of a rule re-records the outcomes (the inputs stay) in the commit that makes it:
`RECORD_PINNED_CASES=1 .venv/bin/python -m pytest <this file>` rewrites the file and fails, so a
recording run is never mistaken for a check.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from handlers import keys, table
from handlers.canonical import json_value_problem, short_hash, to_ndjson
from handlers.curate import Lineage, curate_body
from handlers.normalize import anonymize_ip, is_ipv4, is_ipv6, normalize_action
from handlers.times import EventTimeError, format_time, parse_event_time

CASES = Path(__file__).with_name("pinned") / "cases.json"
RECORD = os.environ.get("RECORD_PINNED_CASES") == "1"
RAW_KEY = "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "r" * 32 + ".json"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:wf:r"


def exact(value: Any) -> str:
    """The JSON text of a value: types (1, 1.0, True), key order and NaN all show."""
    return json.dumps(value, ensure_ascii=True)


def lineage_of(case: dict[str, Any]) -> Lineage:
    received = datetime.fromisoformat(case["received_at"])
    return Lineage(
        raw_key=RAW_KEY,
        batch_id="r" * 32,
        execution_id=EXECUTION_ID,
        received_at=received,
        processed_at=received.replace(microsecond=777),  # an instant of its own
        late_threshold_hours=case["late_threshold_hours"],
        oldest_event_time=datetime.fromisoformat(case["oldest_event_time"]),
    )


def body_of(case: dict[str, Any]) -> bytes:
    return "\n".join(case["lines"]).encode("utf-8", "surrogatepass")


def batch_outcome(case: dict[str, Any]) -> dict[str, Any]:
    lineage = lineage_of(case)
    curated = curate_body(body_of(case), lineage)
    attributes = lineage.attributes()
    lineage_names = set(attributes)
    records = [rejection.record() for rejection in curated.rejected]
    return {
        "items": curated.items,
        "stored_items": [
            {
                name: value
                for name, value in table.stored_item(item, attributes).items()
                if name not in lineage_names
            }
            for item in curated.items
        ],
        "rejected": [exact(record) for record in records],
        "rejected_sha256": hashlib.sha256(to_ndjson(records)).hexdigest(),
    }


def id_outcome(text: str) -> dict[str, str]:
    event = json.loads(text)
    return {
        "event_id": keys.event_id(event),
        "content_hash": short_hash(event),
        "batch_id": keys.batch_id([event]),
    }


def time_outcome(text: str) -> str | dict[str, str]:
    try:
        return format_time(parse_event_time(json.loads(text)))
    except EventTimeError as exc:
        return {"error": str(exc)}


def address_outcome(address: str) -> list[Any]:
    ipv4, ipv6 = is_ipv4(address), is_ipv6(address)
    return [ipv4, ipv6, anonymize_ip(address) if ipv4 or ipv6 else None]


def value_outcome(text: str) -> str | None:
    return json_value_problem(json.loads(text))


OUTCOMES: dict[str, Callable[[Any], Any]] = {
    "batches": batch_outcome,
    "ids": id_outcome,
    "times": time_outcome,
    "actions": normalize_action,
    "addresses": address_outcome,
    "values": value_outcome,
}


@cache
def cases() -> dict[str, list[dict[str, Any]]]:
    loaded: dict[str, list[dict[str, Any]]] = json.loads(CASES.read_text(encoding="utf-8"))
    return loaded


def write_cases(sections: dict[str, list[dict[str, Any]]]) -> None:
    """cases.json, one case per line (a change shows as the cases it touches)."""
    parts = []
    for name, section in sections.items():
        lines = ",\n".join(exact(case) for case in section)
        parts.append(f"{json.dumps(name)}: [\n{lines}\n]")
    CASES.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")


def params(name: str) -> list[Any]:
    return [
        pytest.param(case, id=f"{name}-{index}") for index, case in enumerate(cases().get(name, []))
    ]


def test_every_section_is_pinned() -> None:
    """Each outcome has its cases; with RECORD_PINNED_CASES=1 the outcomes are re-recorded."""
    if RECORD:
        write_cases(
            {
                name: [{"input": c["input"], "expected": OUTCOMES[name](c["input"])} for c in cs]
                for name, cs in cases().items()
            }
        )
        pytest.fail(f"recorded {CASES.name}; run again without RECORD_PINNED_CASES to check it")
    assert {name: bool(section) for name, section in cases().items()} == dict.fromkeys(
        OUTCOMES, True
    )


@pytest.mark.parametrize("case", params("batches"))
def test_a_batch_is_curated_as_pinned(case: dict[str, Any]) -> None:
    got, wanted = batch_outcome(case["input"]), case["expected"]
    assert [exact(item) for item in got["items"]] == [exact(item) for item in wanted["items"]]
    assert got["stored_items"] == wanted["stored_items"]
    assert got["rejected"] == wanted["rejected"]
    assert got["rejected_sha256"] == wanted["rejected_sha256"]


@pytest.mark.parametrize("case", params("ids"))
def test_an_event_gets_the_pinned_ids(case: dict[str, Any]) -> None:
    assert id_outcome(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", params("times"))
def test_an_event_time_normalizes_as_pinned(case: dict[str, Any]) -> None:
    assert time_outcome(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", params("actions"))
def test_an_action_normalizes_as_pinned(case: dict[str, Any]) -> None:
    assert normalize_action(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", params("addresses"))
def test_an_address_is_checked_and_anonymized_as_pinned(case: dict[str, Any]) -> None:
    assert address_outcome(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", params("values"))
def test_a_value_is_storable_or_not_as_pinned(case: dict[str, Any]) -> None:
    assert value_outcome(case["input"]) == case["expected"]
