"""Property: whatever events are sent, the curated Iceberg table holds one row per item of the
DynamoDB table, with the item's values (tests/e2e/curated_figures.py `row_problems`).

One deployment (the module's `dev`) for every example; each example sends a random event set as
one execution — users, actions in every form the normalization meets, times in four notations
within the last six days (late and not), optional sessions, pages, addresses and properties with
JSON numbers, events that are rejected — and, drawn too, a random part of it again in a batch of
its own (already present: sent to Firehose again, upserted). After each example the stream is
flushed and the whole table compared with the whole snapshot.

A client `event_id` is drawn from a few values, so ids repeat: a repeat of (user, event_id) is
drawn either at the first one's time (the same item again, or the same key with other content,
rejected `conflicting_duplicate`) or at a time of its own — another item of the table, so another
row: the curated table's unique keys are the item's key (event_id, user_id, event_time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.deploy import Deployment
from harness.tools import analytics
from ops.names import batch_name
from tests.e2e import curated_figures as figures
from tests.e2e.integrity import execute
from tests.examples import examples

NOW = datetime.now(UTC).replace(microsecond=0)
WINDOW_MS = int(timedelta(days=6).total_seconds() * 1000)
ACTIONS = ("Page View", "page-view", "PageView", "click", "HTTPRequest", "Café Visit", "SIGN_IN")
PAGES = ("/", "/pricing", "/docs", "/ünïcode", "")
ADDRESSES = ("203.0.113.57", "2001:db8:85a3::8a2e:370:7334")
json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def event_time(draw: st.DrawFn) -> Any:
    moment = NOW - timedelta(hours=1, milliseconds=draw(st.integers(0, WINDOW_MS)))
    form = draw(st.sampled_from(("utc", "offset", "epoch_ms", "epoch_s")))
    if form == "utc":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if form == "offset":
        return (moment + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.%f+05:30")
    if form == "epoch_ms":
        return int(moment.timestamp() * 1000)
    return int(moment.timestamp())


@st.composite
def activity(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {
        "user_id": draw(st.sampled_from(("u0", "u1", "u2", "u3"))),
        "event_time": draw(event_time()),
    }
    if draw(st.integers(0, 9)):  # one in ten lacks its action: schema_violation
        event["action"] = draw(st.sampled_from(ACTIONS) | st.text("aB -_é", max_size=10))
    optional = {
        "event_id": st.sampled_from(("e-1", "e-2", "e-3")),
        "session_id": st.sampled_from(("s-1", "s-2")),
        "page": st.sampled_from(PAGES),
        "referrer": st.just("https://www.example.com/search?q=x"),
        "user_agent": st.just("Mozilla/5.0"),
        "ip": st.sampled_from(ADDRESSES),
        "properties": st.dictionaries(st.text(max_size=6), json_value, max_size=4),
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            event[name] = draw(values)
    return event


def pin_times(
    events: list[dict[str, Any]], first: dict[tuple[str, str], Any], pinned: list[bool]
) -> list[dict[str, Any]]:
    """Each repeat of (user, event_id), in any example, drawn `pinned` at the first one's time
    (`first`: the times drawn so far; see the module docstring), else at its own."""
    for event, pin in zip(events, pinned, strict=True):
        if "event_id" in event:
            key = (event["user_id"], event["event_id"])
            time = first.setdefault(key, event["event_time"])
            if pin:
                event["event_time"] = time
    return events


def test_the_curated_rows_are_the_tables_items_for_any_events(dev: Deployment) -> None:
    sent = []
    first: dict[tuple[str, str], Any] = {}

    @settings(
        max_examples=examples(20),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(activity(), min_size=1, max_size=12), st.data())
    def send(events: list[dict[str, Any]], data: st.DataObject) -> None:
        pinned = data.draw(st.lists(st.booleans(), min_size=len(events), max_size=len(events)))
        batches = [{"events": pin_times(events, first, pinned)}]
        again = data.draw(st.lists(st.sampled_from(events), max_size=4, unique_by=id))
        if again:
            batches.append({"events": again})
        for payload in batches:
            outcome = execute(dev, payload, batch_name(payload))
            assert outcome.status == "SUCCEEDED", outcome.error
            sent.append(outcome)
        dev.emulator.firehose.flush()
        snapshot = analytics.curated_snapshot(
            dev.emulator.warehouse, dev.outputs["glue_database"], dev.outputs["curated_table_name"]
        )
        items = figures.stored_items(dev)
        assert figures.row_problems(snapshot.to_pylist(), items) == []
        assert snapshot.num_rows == len(items)

    send()
    assert len(sent) >= examples(20)
    assert figures.stored_items(dev), "no example stored anything"
