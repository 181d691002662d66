"""The demo shop and the console in headless Chromium against `harness serve`: tracked clicks and
page changes land as items, a lost answer is retried and stored once, a page from an origin the
stack's CORS settings do not name is refused, and the console shows it all (its screenshot is
docs/console.png: RECORD_CONSOLE_SCREENSHOT=1 writes it).

`harness serve` runs the dev stack with a public route and CORS for the shop's origin
(`--config`), and the shop is served from another origin (`site`), as a real site would be.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from selenium import webdriver

from tests.browser.conftest import ROOT, wait_for

P = "activity-pipeline:"
SCREENSHOT = ROOT / "docs" / "console.png"


@dataclass
class Served:
    ready: dict[str, Any]
    site: str  # the shop's origin, allowed by the stack's CORS settings
    other_site: str  # the same pages from an origin it does not name

    @property
    def route(self) -> str:
        return f"{self.ready['http_api_url']}events"

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.ready["endpoint_url"],
            verify=self.ready["ca_bundle"],
            region_name=self.ready["region"],
            aws_access_key_id=self.ready["aws_access_key_id"],
            aws_secret_access_key=self.ready["aws_secret_access_key"],
        )

    def items(self, session_id: str) -> list[dict[str, Any]]:
        """The stored items of one visit."""
        table = self.ready["outputs"]["table_name"]
        pages = self.client("dynamodb").get_paginator("scan").paginate(TableName=table)
        plain = TypeDeserializer().deserialize
        items = [{k: plain(v) for k, v in i.items()} for p in pages for i in p["Items"]]
        return [item for item in items if item.get("session_id") == session_id]

    def executions(self) -> dict[str, dict[str, Any]]:
        """Every succeeded execution's output, by ARN."""
        sfn = self.client("stepfunctions")
        arn = self.ready["outputs"]["state_machine_arn"]
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=arn, statusFilter="SUCCEEDED"
        )
        return {
            x["executionArn"]: json.loads(
                sfn.describe_execution(executionArn=x["executionArn"])["output"]
            )
            for page in pages
            for x in page["executions"]
        }

    def arm(self, status: int, count: int, when: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own local server
            f"{self.ready['http_api_url']}console/api/faults",
            data=json.dumps({"status": status, "count": count, "when": when}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Site(http.server.SimpleHTTPRequestHandler):
    """The repository's console/ and tracker/ folders, and nothing else."""

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(("/console/", "/tracker/")) or ".." in clean:
            return str(ROOT / "missing")
        return str(ROOT / clean.lstrip("/"))

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(origins: set[str]) -> Iterator[Served]:
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Site))
    port = site.server_address[1]
    threading.Thread(target=site.serve_forever, daemon=True).start()
    allowed, other = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    config = {
        "httpApiAuth": "NONE",
        "httpApiAllowUnauthenticated": "true",
        "httpApiCorsAllowOrigins": allowed,
    }
    command = [sys.executable, "-m", "harness", "serve"]
    command += ["--port", str(free_port()), "--http-port", str(free_port())]
    for key, value in config.items():
        command += ["--config", f"{P}{key}={value}"]
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        served = Served(ready, allowed, other)
        origins.update({allowed, other, ready["http_api_url"].rstrip("/")})
        yield served
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        site.shutdown()
        site.server_close()


def shop(browser: webdriver.Chrome, origin: str, served: Served, page: str = "") -> None:
    """The demo shop from `origin`, its events to the served route, sent only when due or when
    the page is hidden or left (a 10-minute flush interval)."""
    browser.get(f"{origin}/console/demo.html{page}#collector={served.route}&flush=600000")
    wait_for(lambda: browser.execute_script("return Boolean(window.activityTracker)"), what="shop")


def tracker(browser: webdriver.Chrome, expression: str) -> Any:
    return browser.execute_script(f"return window.activityTracker.{expression}")


def test_clicks_and_page_changes_land_as_items(
    clean_browser: webdriver.Chrome, served: Served
) -> None:
    shop(clean_browser, served.site, served)
    anonymous = tracker(clean_browser, "anonymousId()")
    session = tracker(clean_browser, "sessionId()")
    clean_browser.find_element("id", "add-shoes").click()
    clean_browser.find_element("id", "add-jacket").click()
    clean_browser.find_element("id", "checkout").click()  # to demo.html?view=checkout
    wait_for(lambda: "view=checkout" in clean_browser.current_url, what="the checkout page")
    wait_for(lambda: clean_browser.execute_script("return Boolean(window.activityTracker)"))
    clean_browser.find_element("id", "add-bottle").click()
    clean_browser.find_element("id", "sign-in").click()  # identify("demo-user"), then sign_in
    clean_browser.get("about:blank")  # leave: only the unload flush can send these
    mine = wait_for(
        lambda: len(found := served.items(session)) == 7 and found,
        timeout=60,
        what="the visit's 7 items",
    )
    shop_page, checkout, anon = (
        "/console/demo.html",
        "/console/demo.html?view=checkout",
        f"anon-{anonymous}",
    )
    assert sorted(
        ((i["action"], i["page"], i["user_id"], i.get("properties")) for i in mine), key=repr
    ) == sorted(
        [
            ("page_view", shop_page, anon, None),
            ("add_to_cart", shop_page, anon, {"sku": "SHOE-1", "price": "89"}),
            ("add_to_cart", shop_page, anon, {"sku": "JACKET-2", "price": "129"}),
            ("checkout_started", shop_page, anon, None),
            ("page_view", checkout, anon, None),
            ("add_to_cart", checkout, anon, {"sku": "BOTTLE-3", "price": "15"}),
            ("sign_in", checkout, "demo-user", {"anonymous_id": anonymous}),
        ],
        key=repr,
    )


def test_a_first_post_answered_503_is_retried_and_stored_once(
    clean_browser: webdriver.Chrome, served: Served
) -> None:
    before = set(served.executions())
    served.arm(503, 1, "after")  # the execution starts, its answer is lost
    shop(clean_browser, served.site, served)
    session = tracker(clean_browser, "sessionId()")
    clean_browser.find_element("id", "add-jacket").click()
    clean_browser.execute_script("window.activityTracker.flush()")
    wait_for(lambda: tracker(clean_browser, "stats().sent") == 2, what="the retried batch")
    assert tracker(clean_browser, "stats().retries") == 1

    def copies() -> tuple[int, int]:
        """(written, copies dropped) over the new executions: the buffer may pack the first
        POST and its retry into one batch (dropped inside it) or two (already present)."""
        runs = [o for a, o in served.executions().items() if a not in before]
        written = sum(o["written"] for o in runs)
        return written, sum(o["already_present"] + o["duplicates_removed"] for o in runs)

    wait_for(lambda: copies() == (2, 2), timeout=60, what="both copies to be processed")
    assert sorted(i["action"] for i in served.items(session)) == ["add_to_cart", "page_view"]


def test_a_page_from_an_origin_cors_does_not_name_is_refused(
    clean_browser: webdriver.Chrome, served: Served
) -> None:
    shop(clean_browser, served.other_site, served)
    session = tracker(clean_browser, "sessionId()")
    clean_browser.find_element("id", "add-shoes").click()
    clean_browser.execute_script("window.activityTracker.flush()")
    wait_for(lambda: tracker(clean_browser, "stats().retries") >= 2, what="refused sends")
    stats = tracker(clean_browser, "stats()")
    assert (stats["sent"], stats["lastStatus"], stats["queued"]) == (0, 0, 2)
    assert "Failed to fetch" in stats["lastError"]
    console = " ".join(entry["message"] for entry in clean_browser.get_log("browser"))
    assert "has been blocked by CORS policy" in console
    assert served.items(session) == []


def test_the_console_shows_the_pipeline(clean_browser: webdriver.Chrome, served: Served) -> None:
    shop(clean_browser, served.site, served)
    clean_browser.find_element("id", "add-bottle").click()
    tracker(clean_browser, "track('---')")  # no action once normalized: rejected invalid_action
    clean_browser.get("about:blank")
    clean_browser.get(f"{served.ready['http_api_url']}console/")
    wait_for(
        lambda: "add_to_cart" in clean_browser.find_element("id", "items").text,
        timeout=60,
        what="items in the live view",
    )
    wait_for(
        lambda: "invalid_action" in clean_browser.find_element("id", "rejected").text,
        timeout=60,
        what="the rejected event",
    )
    executions = clean_browser.find_element("id", "executions").text
    assert "SUCCEEDED" in executions
    dlqs = clean_browser.find_element("id", "dlqs").text
    assert "activity-pipeline-dev-dlq" in dlqs
    target = SCREENSHOT if os.environ.get("RECORD_CONSOLE_SCREENSHOT") == "1" else None
    path = target or Path(os.environ.get("TMPDIR", "/tmp")) / "activity-pipeline-console.png"
    assert clean_browser.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
