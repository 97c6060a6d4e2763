"""The console in a real headless Chromium (Debian's, driven by Playwright) against real nodes.

Every page is watched: a request to anywhere but 127.0.0.1 is refused and recorded, and so is
every JavaScript error (console errors and uncaught exceptions); the test fails on either when
it ends. ``CONSOLE_SCREENSHOTS=DIR`` keeps the screenshots the tests take in DIR (``make
screenshots`` puts them in docs/screenshots); otherwise they go to the test's tmp dir.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Route,
    sync_playwright,
)

from tests.support import REPO
from tests.support.console import Console, OpenConsole, Watch
from tests.support.processes import RunningNode

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
