"""Headless Chromium for the browser tests, and the servers its pages talk to.

`browser` is one Chromium (Debian's `chromium` with its `chromium-driver`, headless) for the whole
run, driven through selenium with the driver's path given, so Selenium Manager never downloads
anything; `make test-browser` installs both when they are missing. Each test starts from empty
storage (`clean_browser`). `collector` is a stand-in for the route that records every request and
answers what a test scripts; the tests of `harness serve` have their own fixtures
(test_serve_browser.py).
"""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
TRACKER = ROOT / "tracker" / "tracker.js"
# A page that only loads the tracker: the tests create trackers with the options they need.
TRACKER_PAGE = b"""<!doctype html><meta charset="utf-8"><title>tracker</title>
<link rel="icon" href="data:,">
<script type="module">
import { createTracker } from "/tracker/tracker.js";
window.createTracker = createTracker;
window.trackerLoaded = true;
</script>"""
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> tuple[str, str]:
    """Paths of the browser and its driver: $CHROMIUM / $CHROMEDRIVER, else found on PATH."""
    browser = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if browser is None or driver is None:
        raise RuntimeError(
            "Chromium or its driver is missing: `make test-browser` installs Debian's chromium "
            "and chromium-driver (or set CHROMIUM and CHROMEDRIVER)"
        )
    return browser, driver


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    binary, driver = chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--no-first-run",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_script_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="session")
def origins() -> set[str]:
    """Every origin the tests' pages use: clean_browser clears their storage."""
    return set()


@pytest.fixture
def clean_browser(browser: webdriver.Chrome, origins: set[str]) -> Iterator[webdriver.Chrome]:
    """The browser on a blank page with no storage left by another test, before and after."""

    def clear() -> None:
        browser.get("about:blank")
        browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
        for origin in sorted(origins):
            browser.execute_cdp_cmd(
                "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
            )

    clear()
    yield browser
    clear()


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; its value, or AssertionError at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Post:
    body: bytes
    status: int
    origin: str | None


@dataclass
class Collector:
    """POST /events recorded and answered by `answer(body) -> status` (200 unless scripted)."""

    url: str
    posts: list[Post] = field(default_factory=list)
    answer: Callable[[bytes], int] = lambda body: 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"{self.url}/events"

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [post.body for post in self.posts]

    def statuses(self) -> list[int]:
        with self.lock:
            return [post.status for post in self.posts]


@pytest.fixture
def collector(clean_browser: webdriver.Chrome, origins: set[str]) -> Iterator[Collector]:
    state: dict[str, Collector] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/tracker/tracker.js":
                self._send(200, TRACKER.read_bytes(), "text/javascript")
            elif self.path.split("?")[0] == "/t.html":
                self._send(200, TRACKER_PAGE, "text/html")
            else:
                self._send(404, b"{}", "application/json")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            target = state["collector"]
            status = target.answer(body) if self.path == "/events" else 404
            with target.lock:
                target.posts.append(Post(body, status, self.headers.get("Origin")))
            self._send(status, b"{}", "application/json")

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    state["collector"] = Collector(url)
    origins.add(url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["collector"]
    finally:
        server.shutdown()
        server.server_close()
