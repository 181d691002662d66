"""tracker/tracker.js in headless Chromium against a recording collector: what it sends, how it
batches, retries, splits, drops and hands events on — each claim of tracker/README.md."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import JavascriptException

from handlers.curate import Lineage, curate_events
from tests.browser.conftest import Collector, wait_for

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
QUIET = {"flushIntervalMs": 600_000, "retryBaseMs": 40, "retryMaxMs": 200}


def open_tracker(browser: webdriver.Chrome, collector: Collector, **options: Any) -> None:
    browser.get(f"{collector.url}/t.html")
    wait_for(lambda: browser.execute_script("return window.trackerLoaded === true"), what="tracker")
    browser.execute_script(
        "window.errors = [];"
        "window.t = createTracker(Object.assign("
        "{endpoint: arguments[0], onError: (e) => window.errors.push(e)}, arguments[1]));",
        collector.endpoint,
        {**QUIET, **options},
    )


def stats(browser: webdriver.Chrome) -> dict[str, Any]:
    result: dict[str, Any] = browser.execute_script("return t.stats()")
    return result


def events_of(bodies: list[bytes]) -> list[dict[str, Any]]:
    return [event for body in bodies for event in json.loads(body)["events"]]


def accepted(collector: Collector) -> list[dict[str, Any]]:
    with collector.lock:
        return events_of([p.body for p in collector.posts if p.status == 200])


def curated(events: list[dict[str, Any]]) -> Any:
    now = datetime.now(UTC)
    lineage = Lineage("ingest/x.json", "b", "e", now, now, 72, datetime(2000, 1, 1, tzinfo=UTC))
    return curate_events(events, lineage)


def test_events_follow_the_contract_in_batches_within_the_limits(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    open_tracker(clean_browser, collector, maxBatchEvents=4)
    clean_browser.execute_script("for (let i = 0; i < 9; i++) t.track('step_' + i, {n: i});")
    wait_for(lambda: len(accepted(collector)) == 10, what="10 events accepted")
    bodies = collector.bodies()
    assert [len(json.loads(b)["events"]) for b in bodies] == [4, 4, 2]
    assert all(b.startswith(b'{"events":[') and len(b) <= 32_000 for b in bodies)
    events = events_of(bodies)
    assert [e["action"] for e in events] == ["page_view"] + [f"step_{i}" for i in range(9)]
    assert len({e["event_id"] for e in events}) == 10
    assert all(UUID.match(e["event_id"]) for e in events)
    assert all(EVENT_TIME.match(e["event_time"]) for e in events)
    assert len({e["session_id"] for e in events}) == 1
    assert {e["user_id"] for e in events} == {
        f"anon-{clean_browser.execute_script('return t.anonymousId()')}"
    }
    assert {e["page"] for e in events} == {"/t.html"}
    assert all(e["user_agent"].startswith("Mozilla/5.0") for e in events)
    assert events[1]["properties"] == {"n": 0}
    result = curated(events)
    assert result.rejected == []
    assert len(result.items) == 10


def test_clicks_on_tracked_elements_carry_their_data_attributes(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    open_tracker(clean_browser, collector, autoPageView=False)
    clean_browser.execute_script(
        "document.body.insertAdjacentHTML('beforeend',"
        '\'<button id="add" data-track="Add To Cart" data-track-product-id="A-1"'
        ' data-track-list="home"><span id="label">Add</span></button>'
        '<button id="plain">no tracking</button>\');'
    )
    clean_browser.find_element("id", "label").click()  # inside the tracked element
    clean_browser.find_element("id", "plain").click()
    clean_browser.execute_script("t.flush()")
    events = wait_for(lambda: accepted(collector), what="the click")
    assert [(e["action"], e["properties"]) for e in events] == [
        ("Add To Cart", {"product_id": "A-1", "list": "home"})
    ]
    assert curated(events).items[0]["action"] == "add_to_cart"


def test_a_retry_sends_the_same_bytes_until_it_is_accepted(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    answers = iter([503, 429, 500, 408])
    collector.answer = lambda body: next(answers, 200)
    open_tracker(clean_browser, collector)
    clean_browser.execute_script("t.track('checkout', {total: 12.5}); t.flush()")
    wait_for(lambda: collector.statuses() == [503, 429, 500, 408, 200], what="four retries")
    bodies = collector.bodies()
    assert len(set(bodies)) == 1  # the same events in the same bytes, every time
    assert [e["action"] for e in events_of(bodies[:1])] == ["page_view", "checkout"]
    wait_for(lambda: stats(clean_browser)["queued"] == 0, what="an empty queue")
    assert stats(clean_browser) | {"lastError": None} == {
        "sent": 2,
        "retries": 4,
        "dropped": 0,
        "refused": 0,
        "lastStatus": 200,
        "lastError": None,
        "queued": 0,
        "inFlight": 0,
    }


def test_a_refused_body_is_split_until_the_refused_event_is_alone(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    collector.answer = lambda body: 400 if b"poison" in body else 200
    open_tracker(clean_browser, collector, autoPageView=False)
    clean_browser.execute_script(
        "for (let i = 0; i < 7; i++) t.track('e' + i, i === 3 ? {x: 'poison'} : {}); t.flush();"
    )
    wait_for(lambda: stats(clean_browser)["queued"] == 0, what="the queue to empty")
    assert sorted(e["action"] for e in accepted(collector)) == ["e0", "e1", "e2", "e4", "e5", "e6"]
    assert stats(clean_browser)["refused"] == 1
    errors = clean_browser.execute_script("return window.errors")
    assert errors == [
        {"message": "the route refused 1 event(s) with HTTP 400; dropped", "status": 400}
    ]
    refused = [p for p in collector.posts if p.status == 400]
    assert [len(json.loads(p.body)["events"]) for p in refused] == [7, 4, 2, 1]


def test_a_full_queue_drops_new_events_and_reports_how_many(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    open_tracker(clean_browser, collector, autoPageView=False, maxQueueEvents=3)
    clean_browser.execute_script("for (let i = 1; i <= 5; i++) t.track('e' + i);")
    assert (stats(clean_browser)["queued"], stats(clean_browser)["dropped"]) == (3, 2)
    assert clean_browser.execute_script("return localStorage.getItem('ap:drop')") == "2"
    clean_browser.execute_script("t.flush()")
    wait_for(lambda: len(accepted(collector)) == 4, what="the events and the overflow report")
    events = accepted(collector)
    assert [e["action"] for e in events] == ["e1", "e2", "e3", "tracker_queue_overflow"]
    assert events[3]["properties"] == {"dropped": 2}
    assert clean_browser.execute_script("return localStorage.getItem('ap:drop')") is None


def test_a_session_ends_after_30_minutes_without_events(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    open_tracker(clean_browser, collector, autoPageView=False)
    idle = (
        "const s = JSON.parse(localStorage.getItem('ap:sid'));"
        "s.last = Date.now() - arguments[0] * 60 * 1000;"
        "localStorage.setItem('ap:sid', JSON.stringify(s));"
    )
    clean_browser.execute_script("t.track('a')")
    clean_browser.execute_script(idle, 29)
    clean_browser.execute_script("t.track('b')")  # 29 minutes later: the same session
    clean_browser.execute_script(idle, 30.01)
    clean_browser.execute_script("t.track('c')")  # over 30 minutes: a new one
    clean_browser.execute_script("t.track('d'); t.flush()")
    events = wait_for(lambda: len(accepted(collector)) == 4 and accepted(collector), what="4")
    sessions = [e["session_id"] for e in events]
    assert sessions[0] == sessions[1] != sessions[2] == sessions[3]
    assert clean_browser.execute_script("return t.sessionId()") == sessions[3]


def test_identify_and_reset_set_the_user(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    open_tracker(clean_browser, collector, autoPageView=False)
    anonymous = clean_browser.execute_script("return t.anonymousId()")
    clean_browser.execute_script("t.track('browse'); t.identify('user-42'); t.track('sign_in')")
    clean_browser.execute_script("t.reset(); t.track('after_sign_out'); t.flush()")
    events = wait_for(lambda: len(accepted(collector)) == 3 and accepted(collector), what="3")
    assert [(e["action"], e["user_id"], e.get("properties")) for e in events[:2]] == [
        ("browse", f"anon-{anonymous}", None),
        ("sign_in", "user-42", {"anonymous_id": anonymous}),
    ]
    assert events[2]["user_id"].startswith("anon-")
    assert events[2]["user_id"] != f"anon-{anonymous}"
    assert events[2]["session_id"] != events[1]["session_id"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("t.identify('')", "identify: userId must be a string of 1 to 256 characters"),
        ("t.identify('x'.repeat(257))", "identify: userId must be a string of 1 to 256"),
        ("t.track(42)", "track: action must be a non-empty string"),
        ("t.track('a', [1])", "track: properties must be a plain object"),
        ("const o = {}; o.self = o; t.track('a', o)", "circular"),
    ],
)
def test_bad_calls_throw_at_once(
    clean_browser: webdriver.Chrome, collector: Collector, script: str, message: str
) -> None:
    open_tracker(clean_browser, collector, autoPageView=False)
    with pytest.raises(JavascriptException, match=message):
        clean_browser.execute_script(script)
    assert stats(clean_browser)["queued"] == 0


def test_events_a_page_left_unsent_are_sent_by_the_next_page(
    clean_browser: webdriver.Chrome, collector: Collector
) -> None:
    collector.answer = lambda body: 503
    open_tracker(clean_browser, collector, autoPageView=False)
    clean_browser.execute_script("t.track('x'); t.track('y'); t.flush()")
    wait_for(lambda: 503 in collector.statuses(), what="a refused send")
    clean_browser.get("about:blank")  # pagehide: the page's queue is stored as left
    first = {e["action"]: e for e in events_of(collector.bodies()[:1])}
    collector.answer = lambda body: 200
    open_tracker(clean_browser, collector)  # the next page of the site
    clean_browser.execute_script("t.flush()")
    wait_for(lambda: len(accepted(collector)) >= 3, what="the adopted events")
    events = accepted(collector)
    assert sorted(e["action"] for e in events) == ["page_view", "x", "y"]
    assert {
        e["action"]: e for e in events if e["action"] in "xy"
    } == first  # same ids, same content
    assert (
        clean_browser.execute_script(
            "return Object.keys(localStorage).filter((k) => k.startsWith('ap:q:')).length"
        )
        == 0
    )
