"""The console in a real headless Chromium (Debian's, driven by Playwright) against real nodes.

Every page is watched: a request to anywhere but 127.0.0.1 is refused and recorded, and so is
every JavaScript error (console errors and uncaught exceptions); the test fails on either when
it ends. ``CONSOLE_SCREENSHOTS=DIR`` keeps the screenshots the tests take in DIR (``make
screenshots`` puts them in docs/screenshots); otherwise they go to the test's tmp dir.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)

from tests.support import REPO
from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1"}
# How long a step may wait for the console: Playwright's default, as the nodes share two cores
# with the rest of the suite (waits end as soon as the page is there).
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Playwright's sync API runs an asyncio event loop in this
    thread for as long as it is open: scoped to the module, it ends before the worker moves on
    to another file, whose tests may run their own loop (asyncio.run refuses inside another)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make system-packages)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watch:
    """What the pages of one test did that they must not."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Console:
    """One operator's console: a signed-in page on one node."""

    page: Page
    node: RunningNode
    shots: Path
    watch: Watch

    def tab(self, name: str) -> None:
        self.page.click(f"[data-tab={name}]")

    def state(self) -> str:
        """What the console shows, for a failing test's message."""
        return str(
            self.page.evaluate(
                """() => [
                    `alarms: ${document.getElementById("alarms").innerText}`,
                    `stream: ${document.getElementById("live").innerText}`,
                    ...[...document.querySelectorAll("tr.msg")].map(
                        (row) => `message ${row.dataset.id}: ${row.dataset.state}`),
                ].join("; ")"""
            )
        )

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))


OpenConsole = Callable[[RunningNode], Console]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("CONSOLE_SCREENSHOTS")
    target = (REPO / chosen) if chosen else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def open_console(browser: Browser, screenshots: Path) -> Iterator[OpenConsole]:
    """Open a signed-in console on a node; after the test, assert that no page sent a request
    beyond 127.0.0.1 and that none logged a JavaScript error."""
    watch = Watch()
    contexts: list[BrowserContext] = []

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.outside.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.errors.append(f"console: {message.text} at {message.location}")

    def open_one(node: RunningNode) -> Console:
        context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="en-GB")
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", guard)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: watch.errors.append(f"pageerror: {error}"))
        page.on(
            "request",
            lambda request: (
                None
                if urlsplit(request.url).hostname in LOCAL_HOSTS
                or request.url.startswith(("data:", "blob:"))
                else watch.outside.append(request.url)
            ),
        )
        page.goto(node.url)
        page.fill("#token", node.token)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#console:not([hidden])")
        page.wait_for_selector("body[data-ready=true]", state="attached")
        return Console(page, node, screenshots, watch)

    yield open_one
    for context in contexts:
        for page in context.pages:
            # Playwright hands over a page's events while it is called: let the last ones in.
            page.wait_for_timeout(200)
        context.close()
    assert watch.outside == [], "requests left 127.0.0.1"
    assert watch.errors == [], "the console logged JavaScript errors"


def red_shares_circle(
    pair: Pair,
    *,
    kind: str,
    title: str,
    lat: float,
    lon: float,
    radius_m: float,
    upper_m: float,
    hours: float,
) -> str:
    """RED notifies a circle from the ground to ``upper_m``, from five minutes ago for
    ``hours``, shared with BLUE; returns its id once BLUE holds it."""
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "kind": kind,
        "title": title,
        "volumes": [
            {
                "circle": {"lat": lat, "lon": lon, "radius_m": radius_m},
                "altitude_lower_m": 0,
                "altitude_upper_m": upper_m,
                "time_start": (now - timedelta(minutes=5)).isoformat(),
                "time_end": (now + timedelta(hours=hours)).isoformat(),
            }
        ],
        "share_with": ["BLUE"],
    }
    with pair.red.client() as red:
        created = red.post("/api/v1/notifications", json=body)
    assert created.status_code == 201, created.text
    notification_id = str(created.json()["id"])
    with pair.blue.client() as blue:
        wait_for(
            lambda: blue.get(f"/api/v1/notifications/{notification_id}").status_code == 200,
            what=f"RED's {kind} on BLUE",
        )
    return notification_id


def blue_asks_red_to_cease(pair: Pair, precedence: str) -> str:
    """BLUE sends RED a request to cease mortar fire through its API; returns the message id."""
    body = {
        "to": ["RED"],
        "precedence": precedence,
        "template": "request-cease-activity",
        "fields": {"location": {"lat": 35.95, "lon": 39.01}, "activity": "Mortar fire"},
    }
    with pair.blue.client() as client:
        sent = client.post("/api/v1/messages", json=body)
    assert sent.status_code == 201, sent.text
    return str(sent.json()["id"])


def notify_over(node: RunningNode, lat: float, lon: float, share_with: list[str]) -> None:
    """The node notifies an air operation over the point, 4 km round, for the next three hours."""
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "kind": "air-operation",
        "title": "Close air support",
        "volumes": [
            {
                "circle": {"lat": lat, "lon": lon, "radius_m": 4000},
                "altitude_lower_m": 0,
                "altitude_upper_m": 3000,
                "time_start": now.isoformat(),
                "time_end": (now + timedelta(hours=3)).isoformat(),
            }
        ],
        "share_with": share_with,
    }
    with node.client() as client:
        created = client.post("/api/v1/notifications", json=body)
    assert created.status_code == 201, created.text


def blue_notifies_over(pair: Pair, lat: float, lon: float) -> None:
    """BLUE notifies an air operation over the point, shared with RED."""
    notify_over(pair.blue, lat, lon, ["RED"])
