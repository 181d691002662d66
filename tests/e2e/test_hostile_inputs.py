"""Hostile and careless inputs through StartExecution, the HTTP route and PutEvents, every event
accounted for by id (tests/e2e/hostile.py): tables of cases, then hypothesis' own.

The module's `dev` deployment and one served route take every input; the ledger sends them one
after another, so the stage's bucket (burst 50, rate 25/s) never throttles a case. Each test sends
its inputs, waits for their executions and accounts for everything the module sent so far. A case
whose ending depends on the entry goes through all three; one that only Ingest judges (the entries
hand the input over unchanged, as the other cases show) goes through one, the entries in turn.

The module is long because it is one deployment: every case shares it (a module of its own would
deploy again). Hypothesis: `HOSTILE_EXAMPLES` examples (default 3, CI-sized) of `HOSTILE_INPUTS`
inputs each (default 4); `HOSTILE_EXAMPLES=100` for a deep run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import envelope, keys, limits
from handlers.canonical import utf8_size
from handlers.ingest import read_lines
from harness.deploy import Deployment
from harness.serve.http_api import HttpApiServer
from tests.e2e.hostile import (
    ANY,
    BUS,
    COPY,
    DEAD,
    ENTRIES,
    ENTRY_DEAD,
    EXECUTED,
    HTTP,
    PRESENT,
    REFUSED,
    START,
    STORED,
    SWEPT,
    Ledger,
    Sent,
    ident,
    record_ident,
)
from tests.e2e.hostile_strategies import EMOJI, WHEN, Drawn, hostile_input, stamped
from tests.e2e.integrity import raw_keys

OLDEST = datetime(2000, 1, 1, tzinfo=UTC)  # Pulumi.dev.yaml oldestEventTime
HUGE = "9" * 4301
# Every execution of the module is named by Step Functions (HTTP route, bus) or by the ledger with
# a UUID: its ARN, which Ingest's output estimate counts, has this length.
NAME_LENGTH = 36

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "3"))
INPUTS = int(os.environ.get("HOSTILE_INPUTS", "4"))


@pytest.fixture(scope="module")
def dev(dev_direct: Deployment) -> Deployment:
    """The hostile inputs through the direct entry points (each input is an execution's): the
    dev stack with entryMode direct."""
    return dev_direct


@pytest.fixture(scope="module")
def ledger(dev: Deployment) -> Iterator[Ledger]:
    # The server's default read timeout: every request here ends its body (SHUT_WR), so none
    # waits for it, and a client thread starved on a loaded machine is not cut off before its
    # request line.
    with HttpApiServer(dev.emulator, dev.outputs["http_api_id"]) as api:
        yield Ledger(dev, api)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def event(event_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "user_id": "u-hostile",
        "action": "click",
        "event_time": WHEN,
        **fields,
    }


def event_text(event_id: str, properties: str, **fields: Any) -> str:
    """An event whose `properties` member is the JSON text given (numbers as written)."""
    return dumps(event(event_id, **fields))[:-1] + f',"properties":{properties}}}'


def batch(*texts: str) -> str:
    return '{"events":[' + ",".join(texts) + "]}"


def nested(event_id: str, depth: int) -> str:
    """An event nesting `depth` levels in all: the object, `properties`, arrays inside it."""
    return event_text(event_id, '{"x":' + "[" * (depth - 2) + "]" * (depth - 2) + "}")


def by_entry(start: str | None, http: str | None, bus: str | None) -> dict[str, str]:
    """Where the input ends through each entry; None: not sent through it."""
    ends = {START: start, HTTP: http, BUS: bus}
    return {entry: end for entry, end in ends.items() if end is not None}


EVERYWHERE = by_entry(EXECUTED, EXECUTED, EXECUTED)


def send_through(
    ledger: Ledger,
    case: str,
    build: Callable[[str], tuple[str, list[tuple[str, str]]]],
    ends: dict[str, str] = EVERYWHERE,
) -> dict[str, Sent]:
    """`build(entry)` -> (text, events) for each entry of `ends`: ids differ by entry."""
    sent = {}
    for entry, end in ends.items():
        text, events = build(entry)
        sent[entry] = ledger.send(case, entry, text, events, end)
    return sent


NOWHERE = by_entry(REFUSED, REFUSED, REFUSED)


def not_json(text: str) -> tuple[str, list[tuple[str, str]]]:
    return text, [(ident(text), REFUSED)]


def one_rejected(text: str) -> tuple[str, list[tuple[str, str]]]:
    """An input that is one event the schema refuses, identified by its content."""
    return text, [(ident(text), "schema_violation")]


def whole(event_id: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """An input whose one event is identified by its client id, ending as its whole input does."""
    return text, [(event_id, "schema_violation")]


# -- whole inputs ------------------------------------------------------------------------------

WHOLE_CASES: dict[
    str, tuple[Callable[[str], tuple[str, list[tuple[str, str]]]], dict[str, str]]
] = {
    # Step Functions refuses text that is not JSON and the non-standard tokens; so does our route;
    # EventBridge answers MalformedDetail.
    "not JSON": (lambda e: not_json('{"event_id": "nj-' + e + '", "user_id": '), NOWHERE),
    "NaN token": (
        lambda e: whole(f"nan-{e}", event_text(f"nan-{e}", '{"x":NaN}')),
        NOWHERE,
    ),
    "-Infinity token": (
        lambda e: whole(f"inf-{e}", event_text(f"inf-{e}", '{"x":-Infinity}')),
        NOWHERE,
    ),
    # Step Functions keeps one value of a repeated key (the last); our route refuses the body and
    # the bus's delivery is refused into the rule's DLQ.
    "repeated key": (
        lambda e: (
            dumps(event(f"rk-{e}"))[:-1] + ',"action":"second"}',
            [(f"rk-{e}", STORED if e == START else "-")],
        ),
        by_entry(EXECUTED, REFUSED, ENTRY_DEAD),
    ),
    # Nesting: 64 levels reach Process (an event may nest 16: schema_violation); deeper inputs are
    # refused whole: Ingest into the DLQ, our route with 400, the bus delivery into its DLQ;
    # Step Functions refuses more than 1,000 levels, EventBridge more than 1,100.
    "depth 64": (lambda e: whole(f"d64-{e}", nested(f"d64-{e}", 64)), EVERYWHERE),
    "depth 65": (
        lambda e: whole(f"d65-{e}", nested(f"d65-{e}", 65)),
        by_entry(DEAD, REFUSED, ENTRY_DEAD),
    ),
    "depth 450": (
        lambda e: whole(f"d450-{e}", nested(f"d450-{e}", 450)),
        by_entry(DEAD, REFUSED, ENTRY_DEAD),
    ),
    "depth 490": (
        lambda e: whole(f"d490-{e}", nested(f"d490-{e}", 490)),
        by_entry(DEAD, REFUSED, ENTRY_DEAD),
    ),
    "depth 1000": (
        lambda e: whole(f"d1000-{e}", nested(f"d1000-{e}", 1000)),
        by_entry(DEAD, REFUSED, ENTRY_DEAD),
    ),
    "depth 1001": (
        lambda e: whole(f"d1001-{e}", nested(f"d1001-{e}", 1001)),
        by_entry(REFUSED, REFUSED, ENTRY_DEAD),
    ),
    "depth 1101": (
        lambda e: whole(f"d1101-{e}", nested(f"d1101-{e}", 1101)),
        NOWHERE,
    ),
    # Integers outside 64 bits are MalformedDetail for EventBridge; the route accepts the body and
    # never answers with Python's int-digits text (the events of one batch store it as sent).
    "4,301-digit integer": (
        lambda e: whole(f"huge-{e}", event_text(f"huge-{e}", '{"x":' + HUGE + "}")),
        by_entry(None, EXECUTED, REFUSED),
    ),
    # Envelopes Ingest refuses before storing anything (one entry each); EventBridge refuses a
    # Detail that is not an object (MalformedDetail).
    "top-level array": (
        lambda e: whole(f"arr-{e}", "[" + dumps(event(f"arr-{e}")) + "]"),
        by_entry(DEAD, None, REFUSED),
    ),
    "top-level string": (
        lambda e: whole(f"str-{e}", json.dumps(dumps(event(f"str-{e}")))),
        by_entry(None, DEAD, REFUSED),
    ),
    "top-level null": (lambda e: ("null", []), by_entry(DEAD, None, REFUSED)),
    "events empty": (lambda e: ('{"events":[]}', []), by_entry(None, DEAD, None)),
    "events not a list": (
        lambda e: whole(f"enl-{e}", '{"events":' + dumps(event(f"enl-{e}")) + "}"),
        by_entry(None, None, DEAD),
    ),
    "events beside another key": (
        lambda e: whole(f"ebk-{e}", batch(dumps(event(f"ebk-{e}")))[:-1] + ',"extra":1}'),
        by_entry(DEAD, None, None),
    ),
    "events beside records": (
        lambda e: whole(f"ebr-{e}", batch(dumps(event(f"ebr-{e}")))[:-1] + ',"records":["x"]}'),
        by_entry(None, DEAD, None),
    ),
    "records not strings": (
        lambda e: ('{"records":[1,{"event_id":"rns-' + e + '"}]}', []),
        by_entry(None, None, DEAD),
    ),
    "501 events": (
        lambda e: (
            batch(*(dumps(event(f"many-{e}-{i}")) for i in range(501))),
            [(f"many-{e}-{i}", STORED) for i in range(501)],
        ),
        by_entry(DEAD, None, None),
    ),
    # Replay keys: ordinary data, no path to the recovery state machine (nor to a re-submission:
    # `resubmit` is the recovery state machine's input key) from any entry.
    "replay, a single event": (
        lambda e: one_rejected(dumps({"replay": {"raw_key": "ingest/x.json"}, "tag": e})),
        EVERYWHERE,
    ),
    "resubmit, a single event": (
        lambda e: one_rejected('{"resubmit":' + batch(dumps(event(f"rsb-{e}"))) + "}"),
        by_entry(None, EXECUTED, None),
    ),
    "replay beside events": (
        lambda e: whole(
            f"rpb-{e}",
            batch(dumps(event(f"rpb-{e}")))[:-1] + ',"replay":{"raw_key":"ingest/x.json"}}',
        ),
        by_entry(DEAD, DEAD, DEAD),
    ),
    "replay beside records": (
        lambda e: whole(
            f"rpr-{e}",
            '{"records":[' + json.dumps(dumps(event(f"rpr-{e}"))) + '],"replay":{"raw_key":"x"}}',
        ),
        by_entry(DEAD, DEAD, DEAD),
    ),
}


def test_whole_inputs_end_where_each_entry_puts_them(ledger: Ledger) -> None:
    for case, (build, ends) in WHOLE_CASES.items():
        send_through(ledger, case, build, ends)
    ledger.account()

    answers = {(s.case, s.entry): s.answer for s in ledger.sent}
    assert answers["depth 450", HTTP] == (
        "400: execution input refused: the JSON nests deeper than 64 levels"
    )
    assert answers["NaN token", START].startswith("InvalidExecutionInput: ")
    assert answers["depth 1101", BUS] == "MalformedDetail: Detail is malformed."
    assert answers["top-level array", BUS] == "MalformedDetail: Detail is malformed."
    # Step Functions keeps the last value of a repeated key, as its parser does.
    [item] = [i for i in ledger.stored.values() if i["event_id"]["S"] == "rk-start"]
    assert item["action"] == {"S": "second"}


# -- sizes -------------------------------------------------------------------------------------


def fit(build: Callable[[int], str], measure: Callable[[str], int], target: int) -> str:
    """`build(n)` with `n` ASCII characters of padding (1 byte in every measure) so that
    `measure` is exactly `target`."""
    text = build(target - measure(build(0)))
    assert measure(text) == target, (measure(text), target)
    return text


def held(text: str) -> int:
    return limits.input_size(text)


def ingest(text: str) -> int:
    return limits.ingest_payload_size(text)


def execution_id(deployment: Deployment) -> str:
    machine = deployment.outputs["state_machine_arn"]
    return machine.replace(":stateMachine:", ":execution:") + ":" + "x" * NAME_LENGTH


def estimate(text: str, deployment: Deployment) -> int:
    """Ingest's estimate of Process's output for `text`, as Ingest computes it."""
    lines = envelope.received_lines(text, 500)
    events, shares = read_lines(lines)
    raw = keys.raw_key(events, keys.raw_batch_id(("\n".join(lines) + "\n").encode()), OLDEST)
    return envelope.payload_base(raw, execution_id(deployment)) + sum(shares)


def padded(prefix: str, count: int, fill: str) -> Callable[[int], str]:
    """`count` events with `fill` in their properties, the first one padded with `n` x's."""

    def build(n: int) -> str:
        texts = [
            dumps(event(f"{prefix}-{i}", properties={"pad": fill + "x" * (n if i == 0 else 0)}))
            for i in range(count)
        ]
        return batch(*texts)

    return build


def stored(prefix: str, count: int) -> list[tuple[str, str]]:
    return [(f"{prefix}-{i}", STORED) for i in range(count)]


def test_inputs_at_and_around_the_limits_as_step_functions_measures_them(ledger: Ledger) -> None:
    deployment = ledger.deployment
    margin = limits.MAX_INPUT_SIZE
    cases: list[tuple[str, Callable[[str], tuple[str, list[tuple[str, str]]]], dict[str, str]]] = [
        # Emoji-heavy: 12 bytes each as Step Functions counts them, 4 of UTF-8.
        (
            "emoji, input at MAX_INPUT_SIZE",
            lambda e: (
                fit(padded(f"em0-{e}", 6, EMOJI * 2600), held, margin),
                stored(f"em0-{e}", 6),
            ),
            EVERYWHERE,
        ),
        (
            "emoji, input at MAX_INPUT_SIZE + 1",
            lambda e: (
                fit(padded(f"em1-{e}", 6, EMOJI * 2600), held, margin + 1),
                stored(f"em1-{e}", 6),
            ),
            by_entry(DEAD, REFUSED, ENTRY_DEAD),
        ),
        # Quotes: 2 bytes in the input, 4 in Ingest's payload (the input's text escaped again).
        (
            "quotes, Ingest payload at 262,144",
            lambda e: (
                fit(padded(f"q0-{e}", 5, '"' * 12900), ingest, limits.PAYLOAD_LIMIT),
                stored(f"q0-{e}", 5),
            ),
            EVERYWHERE,
        ),
        (
            "quotes, Ingest payload at 262,145",
            lambda e: (
                fit(padded(f"q1-{e}", 5, '"' * 12900), ingest, limits.PAYLOAD_LIMIT + 1),
                stored(f"q1-{e}", 5),
            ),
            by_entry(DEAD, REFUSED, ENTRY_DEAD),
        ),
        (
            "quotes, 157 KB input, Ingest payload 315 KB",
            lambda e: (padded(f"q2-{e}", 6, '"' * 13000)(0), stored(f"q2-{e}", 6)),
            by_entry(DEAD, REFUSED, ENTRY_DEAD),
        ),
        # Just under Step Functions' limit: no dead letter can hold it (raw StartExecution only).
        (
            "ASCII, 262,000 bytes",
            lambda e: (
                fit(padded(f"a262-{e}", 9, "x" * 28900), held, 262_000),
                stored(f"a262-{e}", 9),
            ),
            by_entry(SWEPT, REFUSED, ENTRY_DEAD),
        ),
        (
            "emoji, 262,145 bytes as measured, 88 KB of UTF-8",
            lambda e: (
                fit(padded(f"em2-{e}", 8, EMOJI * 2700), held, 262_145),
                stored(f"em2-{e}", 8),
            ),
            by_entry(REFUSED, REFUSED, ENTRY_DEAD),
        ),
        (
            "ASCII, 262,145 bytes",
            lambda e: (
                fit(padded(f"a263-{e}", 9, "x" * 28900), held, 262_145),
                stored(f"a263-{e}", 9),
            ),
            NOWHERE,
        ),
        # One event's canonical JSON at and over MAX_EVENT_BYTES: over it, Ingest refuses the batch
        # (Ingest's rules from here on: one entry each).
        (
            "event at 32,768 bytes",
            lambda e: (
                fit(padded(f"ev0-{e}", 1, ""), lambda t: one_event_size(t), limits.MAX_EVENT_BYTES),
                stored(f"ev0-{e}", 1),
            ),
            by_entry(None, None, EXECUTED),
        ),
        (
            "event at 32,769 bytes",
            lambda e: (
                fit(
                    padded(f"ev1-{e}", 1, ""),
                    lambda t: one_event_size(t),
                    limits.MAX_EVENT_BYTES + 1,
                ),
                stored(f"ev1-{e}", 1),
            ),
            by_entry(DEAD, None, None),
        ),
        # Process's output estimate over PROCESS_OUTPUT_LIMIT: refused before anything is stored.
        (
            "output estimate at PROCESS_OUTPUT_LIMIT + 1",
            lambda e: (
                fit(
                    many(f"po1-{e}"),
                    lambda t: estimate(t, deployment),
                    limits.PROCESS_OUTPUT_LIMIT + 1,
                ),
                [],
            ),
            by_entry(None, DEAD, None),
        ),
    ]
    for case, build, ends in cases:
        send_through(ledger, case, build, ends)
    ledger.account()

    assert all(
        s.answer.startswith("413: ") for s in ledger.sent if s.entry == HTTP and "bytes" in s.answer
    )


def one_event_size(text: str) -> int:
    [line] = envelope.received_lines(text, 500)
    return utf8_size(json.loads(line))


MANY = 300  # enough events that their items outgrow the input: 300 x ~265 bytes of enrichment


def many(prefix: str) -> Callable[[int], str]:
    """MANY events without a client id (a derived id costs more of the output estimate)."""

    def build(n: int) -> str:
        base = {"user_id": "u-many", "action": "View Page", "event_time": WHEN}
        share, rest = divmod(n, MANY)
        texts = [
            dumps(
                {
                    **base,
                    "session_id": f"{prefix}-{i}",
                    "page": "/" + "p" * (100 + share + (i < rest)),
                }
            )
            for i in range(MANY)
        ]
        return batch(*texts)

    return build


def many_ids(text: str) -> list[tuple[str, str]]:
    return [(ident(span), STORED) for span in envelope.member_spans(text)]


# -- the events of a batch ---------------------------------------------------------------------


def numbers(e: str) -> dict[str, tuple[str, str]]:
    """Number edges in `properties`, each text exactly as sent -> where the event ends.
    EventBridge refuses integers outside 64 bits (the whole-input case "4,301-digit integer")."""
    edges = {
        f"n-1e400-{e}": ('{"x":1e400}', "schema_violation"),  # infinite once read as a float
        f"n-neg0-{e}": ('{"x":-0,"y":-0.0}', STORED),
        f"n-tiny-{e}": ('{"x":1e-130}', STORED),  # DynamoDB's smallest magnitude
        f"n-tinier-{e}": ('{"x":1e-131}', "schema_violation"),
        f"n-long-{e}": ('{"x":0.12345678901234567890123}', STORED),
        f"n-38-{e}": ('{"x":' + "9" * 38 + "}", STORED),
        f"n-39-{e}": ('{"x":' + "9" * 39 + "}", "schema_violation"),
        f"n-4301-{e}": ('{"x":' + HUGE + "}", "schema_violation"),
    }
    if e == BUS:
        return {k: v for k, v in edges.items() if not k.startswith(("n-38-", "n-39-", "n-4301-"))}
    return edges


def times(e: str) -> dict[str, tuple[str, str]]:
    """event_time values -> where the event ends (RFC 3339 digits are ASCII)."""
    return {
        f"t-arabic-ms-{e}": ("2025-11-20T00:00:00.\u0663\u0664\u0665Z", "bad_event_time"),
        f"t-fullwidth-offset-{e}": (
            "2025-11-20T00:00:00+\uff10\uff15:\uff13\uff10",
            "bad_event_time",
        ),
        f"t-arabic-offset-{e}": ("2025-11-20T00:00:00+\u0660\u0665:\u0663\u0660", "bad_event_time"),
        f"t-devanagari-year-{e}": ("\u0968\u0966\u0968\u096b-11-20T00:00:00Z", "bad_event_time"),
        f"t-arabic-epoch-{e}": ("\u0661\u0667\u0664\u0666", "bad_event_time"),
        f"t-0001-{e}": ("0001-01-01T00:00:01Z", "event_too_old"),
        f"t-1966-{e}": ("1966-06-01T12:00:00+02:00", "event_too_old"),
        f"t-0001-min-{e}": ("0001-01-01T00:00:00Z", "bad_event_time"),  # datetime.min: excluded
        f"t-9999-{e}": ("9999-12-31T23:59:59.999Z", "future_event_time"),
    }


def batch_of_events(e: str) -> tuple[str, list[tuple[str, str]]]:
    texts: list[str] = []
    ends: list[tuple[str, str]] = []

    def add(text: str, end: str, event_id: str | None = None) -> None:
        texts.append(text)
        ends.append((event_id or ident(text), end))

    for event_id, (properties, end) in numbers(e).items():
        add(event_text(event_id, properties), end, event_id)
    for event_id, (moment, end) in times(e).items():
        add(dumps(event(event_id, event_time=moment)), end)
    replay = {"raw_key": "ingest/yyyy=2025/mm=01/dd=01/hh=00/0.json"}
    add(dumps(event(f"rp-props-{e}", properties={"replay": replay})), STORED)
    add(dumps(event(f"rp-event-{e}", replay=replay)), "schema_violation")
    add(
        dumps(event(f"rs-event-{e}", resubmit={"events": [event(f"rs-inner-{e}")]})),
        "schema_violation",
    )
    same = dumps(event(f"same-{e}", page="/same"))
    add(same, STORED)
    add(same, PRESENT)  # the same key and content in one batch: stored once
    add(dumps(event(f"other-{e}", page="/first")), STORED)
    add(dumps(event(f"other-{e}", page="/second")), "conflicting_duplicate")
    add(dumps(event(f"emoji-{e}", user_id=EMOJI * 64, properties={"s": EMOJI * 3000})), STORED)
    add(dumps(event(f"emoji-action-{e}", action=EMOJI * 2)), "invalid_action")
    add(dumps(event(f"emoji-page-{e}", page=EMOJI * 2049)), "schema_violation")
    add(dumps(event(f"surrogate-{e}"))[:-1] + ',"page":"\\ud800"}', "schema_violation")
    add(dumps(event(f"bad#id-{e}")), "schema_violation")  # no usable id: derived
    add(
        dumps(event(f"deep-{e}", properties={"x": [[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]})),
        "schema_violation",
    )
    add(dumps(event(f"crlf-{e}")).replace(",", ",\r\n  ", 2), STORED)
    add(json.dumps(f"a JSON string {e}"), "not_json")
    add(f'[1,"{e}"]', "schema_violation")
    add('{"events":[' + dumps(event(f"env-inner-{e}")) + "]}", "invalid_envelope")
    return batch(*texts), ends


def raw_lines(ledger: Ledger, sent: Sent) -> list[str]:
    s3 = ledger.deployment.client("s3")
    obj = s3.get_object(
        Bucket=ledger.deployment.outputs["raw_bucket_name"], Key=sent.output["raw_key"]
    )
    return str(obj["Body"].read().decode("utf-8")).removesuffix("\n").split("\n")


def test_each_event_of_a_batch_ends_with_its_reason_and_the_raw_copy_is_as_sent(
    ledger: Ledger,
) -> None:
    sent = send_through(ledger, "events of one batch", batch_of_events)
    years = ledger.send(
        "years 0001, 1966 and 9999 only",
        BUS,
        batch(
            dumps(event("y1", event_time="0001-01-01T01:00:00Z")),
            dumps(event("y1966", event_time="1966-01-01T00:00:00Z")),
            dumps(event("y9", event_time="9999-12-31T23:00:00Z")),
        ),
        [("y1", "event_too_old"), ("y1966", "event_too_old"), ("y9", "future_event_time")],
    )
    ledger.account()

    hour = datetime.fromisoformat(WHEN.replace("Z", "+00:00"))
    for entry in ENTRIES:
        lines = raw_lines(ledger, sent[entry])
        for index, (event_id, (properties, _)) in enumerate(numbers(entry).items()):
            assert lines[index] == event_text(event_id, properties), event_id  # exactly as sent
        # States.JsonToString writes the input compact: whitespace between tokens is gone
        assert dumps(event(f"crlf-{entry}")) in lines
        assert sent[entry].output["raw_key"].startswith(f"ingest/{keys.partition(hour)}/")
    # no time in the window [oldestEventTime, 2099]: the epoch partition
    assert years.output["raw_key"].startswith("ingest/yyyy=1970/mm=01/dd=01/hh=00/")
    for key in raw_keys(ledger.deployment) + raw_keys(ledger.deployment, "rejected/"):
        year = int(key.split("/")[1].removeprefix("yyyy="))
        assert 1970 <= year <= 2099, key  # inside the analytics projection


# -- the same key across batches ---------------------------------------------------------------


def test_first_write_wins_across_batches_and_entries(ledger: Ledger) -> None:
    original = event("fw-1", page="/original", properties={"amount": 100})
    second = event("fw-2", page="/kept")
    epoch_ms = int(datetime.fromisoformat(WHEN.replace("Z", "+00:00")).timestamp() * 1000)
    ledger.send(
        "first writes",
        START,
        batch(dumps(original), dumps(second)),
        [("fw-1", STORED), ("fw-2", STORED)],
    )
    ledger.account()
    stored_before = dict(ledger.stored)

    forged = {**original, "page": "/forged", "properties": {"amount": 999_999}}
    resend = dumps(dict(reversed(original.items())))  # the same content, other key order
    later = [
        (
            "re-send",
            HTTP,
            batch(resend, dumps(event("fw-3"))),
            [("fw-1", PRESENT), ("fw-3", STORED)],
        ),
        ("forgery", HTTP, dumps(forged), [("fw-1", "conflicting_duplicate")]),
        # the forgery first in its batch: the identical re-send after it is its in-batch conflict
        (
            "forgery by the bus",
            BUS,
            batch(dumps({**second, "page": "/forged"}), dumps(second)),
            [("fw-2", "conflicting_duplicate"), ("fw-2", "conflicting_duplicate")],
        ),
        # the same instant as epoch milliseconds: the same key, other content
        (
            "same key, other time form",
            START,
            dumps({**second, "event_time": epoch_ms}),
            [("fw-2", "conflicting_duplicate")],
        ),
    ]
    outputs = [ledger.send(*case) for case in later]
    ledger.account()

    after = ledger.stored
    assert {key: after[key] for key in stored_before} == stored_before  # byte-for-byte
    [kept] = [item for item in after.values() if item["event_id"] == {"S": "fw-1"}]
    assert (kept["page"], kept["properties"]["M"]["amount"]) == ({"S": "/original"}, {"N": "100"})
    counts = [
        (
            s.output["written"],
            s.output["already_present"],
            s.output["conflicting"],
            len(s.output["rejected"]),
        )
        for s in outputs
    ]
    assert counts == [(1, 1, 0, 0), (0, 0, 1, 0), (0, 0, 1, 1), (0, 0, 1, 0)]
    assert all(s.output["conflicts_key"].endswith(".conflicts.json") for s in outputs[1:])


# -- records ------------------------------------------------------------------------------------


def records(e: str) -> tuple[str, list[tuple[str, str]]]:
    texts = {
        dumps(event(f"rec-valid-{e}")): STORED,
        dumps(event(f"rec-crlf-{e}")).replace(",", ",\r\n", 1): STORED,
        f"this is not JSON {e}": "not_json",
        "": "not_json",
        "   ": "not_json",
        json.dumps(f"a JSON string {e}"): "not_json",
        "\ufeff" + dumps(event(f"rec-bom-{e}")): "not_json",
        dumps(event(f"rec-nan-{e}"))[:-1] + ',"properties":{"x":NaN}}': "not_json",
        '{"events":[' + dumps(event(f"rec-env-{e}")) + "]}": "invalid_envelope",
        dumps(event(f"rec-rk-{e}"))[:-1] + ',"action":"again"}': "duplicate_key",
        nested(f"rec-d450-{e}", 450): "schema_violation",
        nested(f"rec-d1001-{e}", 1001): "schema_violation",
        "1e400": "schema_violation",
        f'[1,"{e}"]': "schema_violation",
        event_text(f"rec-4301-{e}", '{"x":' + HUGE + "}"): "schema_violation",
        dumps({"replay": {"raw_key": "ingest/x.json"}, "tag": e}): "schema_violation",
        dumps(event(f"rec-old-{e}", event_time="0001-01-01T00:00:01Z")): "event_too_old",
    }
    return dumps({"records": list(texts)}), [(record_ident(t), end) for t, end in texts.items()]


def test_records_end_with_their_reasons(ledger: Ledger) -> None:
    sent = send_through(ledger, "records", records)
    ledger.account()

    for entry in ENTRIES:
        lines = raw_lines(ledger, sent[entry])
        assert json.loads(lines[2]) == f"this is not JSON {entry}"  # the text, as a JSON string
        assert lines[1] == dumps(event(f"rec-crlf-{entry}")).replace(",", ",  ", 1)


# -- the HTTP route: requests as sent on the wire ----------------------------------------------


def wire(path: str, body: bytes, *headers: bytes, method: str = "POST") -> bytes:
    head = [f"{method} {path} HTTP/1.1".encode(), b"Host: api.local", *headers]
    if not any(h.lower().startswith((b"content-length", b"transfer-encoding")) for h in headers):
        head.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def chunks(body: bytes) -> bytes:
    half = len(body) // 2
    return b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, body[:half], len(body) - half, body[half:])


def wire_cases() -> dict[str, tuple[bytes, str]]:
    """Requests a careless or hostile client sends -> the answer (the event it carries, `wire-<n>`,
    is stored when the answer is 200, nowhere otherwise)."""
    body = [dumps(event(f"wire-{n}")).encode() for n in range(13)]
    return {
        "chunked body": (wire("/events", chunks(body[0]), b"Transfer-Encoding: chunked"), "200"),
        "double slash": (wire("//events", body[1]), "404: Not Found"),
        "trailing slash": (wire("/events/", body[2]), "404: Not Found"),
        "PATCH": (wire("/events", body[3], method="PATCH"), "404: Not Found"),
        "PUT": (wire("/events", body[4], method="PUT"), "404: Not Found"),
        "OPTIONS": (wire("/events", body[5], method="OPTIONS"), "404: Not Found"),
        "Content-Length abc": (
            wire("/events", body[6], b"Content-Length: abc"),
            "400: Bad Request",
        ),
        "Content-Length -1": (wire("/events", body[7], b"Content-Length: -1"), "400: Bad Request"),
        "Content-Length beyond the body": (
            wire("/events", body[8], b"Content-Length: %d" % (len(body[8]) + 9)),
            "400: Bad Request",
        ),
        "Content-Length over 10 MB": (
            wire("/events", body[9], b"Content-Length: %d" % (10 * 1024 * 1024 + 1)),
            "413: Request Entity Too Large",
        ),
        "broken chunk": (
            wire("/events", b"zz\r\n" + body[10], b"Transfer-Encoding: chunked"),
            "400: Bad Request",
        ),
        "chunked and Content-Length": (
            wire("/events", chunks(body[11]), b"Transfer-Encoding: chunked", b"Content-Length: 5"),
            "400: Bad Request",
        ),
        "not UTF-8": (
            wire("/events", body[12][:-1] + b',"page":"\xff"}'),
            "400: execution input refused: the body is not UTF-8 text",
        ),
        "100,000 [": (
            wire("/events", b"[" * 100_000),
            "400: execution input refused: the JSON nests deeper than 64 levels",
        ),
    }


def test_requests_as_sent_on_the_wire(ledger: Ledger) -> None:
    cases = wire_cases()
    sent = {}
    for case, (request, _) in cases.items():
        body = request.split(b"\r\n\r\n", 1)[1]
        ids = re.findall(r"wire-\d+", body.decode("utf-8", "replace"))
        end = EXECUTED if cases[case][1] == "200" else REFUSED
        events = [(i, STORED if end == EXECUTED else REFUSED) for i in ids]
        text = body.decode("utf-8", "replace")
        sent[case] = ledger.send(case, HTTP, text, events, end, request=request)
    ledger.account()

    answers = {case: one.answer or "200" for case, one in sent.items()}
    assert answers == {case: answer for case, (_, answer) in cases.items()}
    for one in sent.values():
        assert one.headers["Content-Type"] == "application/json", one.case
        assert "Server" not in one.headers, one.case
        assert one.headers["apigw-requestid"], one.case
    # the chunked body is the execution input, byte for byte
    [chunked] = [s for s in sent.values() if s.arn]
    sfn = ledger.deployment.client("stepfunctions")
    assert sfn.describe_execution(executionArn=chunked.arn)["input"] == dumps(event("wire-0"))


# -- hypothesis: any mix of the above, through any entry (tests/e2e/hostile_strategies.py) -----


def send_drawn(ledger: Ledger, drawn: Drawn, counter: Iterator[int]) -> Sent:
    entry, form, elements, repeats = drawn
    elements = stamped(elements, counter)
    texts = elements + [
        # the same key (user_id, event_time, event_id) with other content, or the same event
        elements[i]
        if same or not elements[i].startswith("{")
        else elements[i][:-1] + ',"referrer":"/other"}'
        for i, same in repeats
    ]
    name = record_ident if form == "records" else ident
    ends = [(name(t), ANY) for t in elements]
    ends += [
        (name(text), COPY if same else ANY)
        for text, (_, same) in zip(texts[len(elements) :], repeats, strict=True)
    ]
    if form == "records":
        text = dumps({"records": texts})
    elif form == "events":
        text = batch(*texts)
    else:
        text = texts[0]
    return ledger.send(f"hypothesis {form}", entry, text, ends, ANY)


def test_any_hostile_input_through_any_entry_is_accounted_for(ledger: Ledger) -> None:
    """Each example: INPUTS inputs sent at once, their executions run side by side. The accounting
    of every event comes once, after the last example (a failed account names the inputs that
    carried the misplaced events)."""
    counter = iter(range(10**9))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(hostile_input(), min_size=1, max_size=INPUTS))
    def send(inputs: list[Drawn]) -> None:
        sent = [send_drawn(ledger, drawn, counter) for drawn in inputs]
        ledger.settle()
        for one in sent:
            if one.status == "SUCCEEDED":
                counts = one.output["counts"]
                assert counts["received"] == len(one.events), one.output
                assert counts["received"] == counts["valid"] + counts["rejected"], one.output
            elif one.answer:
                assert not one.answer.startswith("5"), one.answer

    send()
    assert sum(s.case.startswith("hypothesis") for s in ledger.sent) >= EXAMPLES
    ledger.account()


# -- last: the module's dearest execution (MANY items, which every later account would scan) ----


def test_an_input_at_the_output_estimate_limit_is_stored_whole(ledger: Ledger) -> None:
    """Ingest's estimate of Process's output at PROCESS_OUTPUT_LIMIT: accepted, and the real
    output fits the invoke wrapper and Write's input (one entry: the estimate does not depend on
    the entry)."""
    deployment = ledger.deployment
    text = fit(many("po0-start"), lambda t: estimate(t, deployment), limits.PROCESS_OUTPUT_LIMIT)
    assert limits.execution_input_problem(text) is None  # an input every entry accepts
    at_limit = ledger.send("output estimate at PROCESS_OUTPUT_LIMIT", START, text, many_ids(text))
    ledger.account()

    assert at_limit.output["written"] == MANY
