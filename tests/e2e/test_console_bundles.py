"""Courier bundles in the console: with the network between BLUE and RED cut, BLUE's officer
downloads the bundle for RED, RED's uploads it and downloads the reply, BLUE's uploads that:
the messages are delivered on both sides; a file that is not a bundle is refused, saying so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Download

from tests.support.console import Console, OpenConsole
from tests.support.faults import ProxiedPair, start_proxied_pair
from tests.support.operator import assert_flash_gets_through, send, state
from tests.support.waiting import wait_for


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[ProxiedPair]:
    pair = start_proxied_pair(tmp_path, {"OPENLINE_LINE_CHECK_INTERVAL": "1"}, seed=4)
    try:
        yield pair
    finally:
        pair.stop()


def saved(download: Download, into: Path) -> Path:
    path = into / download.suggested_filename
    download.save_as(path)
    return path


def upload(console: Console, path: Path) -> str:
    console.page.set_input_files("input[name=bundle]", str(path))
    console.page.click("form.bundle-upload button[name=import]")
    result = console.page.locator(".bundle-result p")
    result.wait_for()
    return result.inner_text()


def test_an_officer_carries_the_line_by_bundle_download_and_upload(
    proxied: ProxiedPair, open_console: OpenConsole, tmp_path: Path
):
    blue, red = proxied.pair.blue, proxied.pair.red
    proxied.to_red.stop()
    proxied.to_blue.stop()  # every network between them cut
    message = send(blue, ["RED"], "by courier: the convoy moves at 0600Z")
    blue_console, red_console = open_console(blue), open_console(red)

    blue_console.page.click("#bundles-button")
    with blue_console.page.expect_download() as bundle:
        blue_console.page.click("[data-bundle-for=RED]")
    carried = saved(bundle.value, tmp_path)
    assert carried.name.startswith("openline-BLUE-to-RED-bdl_")
    assert "Bundle for RED:" in blue_console.page.inner_text(".bundle-result")

    red_console.page.click("#bundles-button")
    said = upload(red_console, carried)  # RED's console speaks Russian
    assert said.startswith("Пакет bdl_")
    assert "от BLUE" in said
    assert "отклонено 0" in said
    red_console.screenshot("bundles-imported")
    with red_console.page.expect_download() as answer:
        red_console.page.click("a.bundle-reply")
    reply = saved(answer.value, tmp_path)
    assert reply.name.startswith("openline-RED-to-BLUE-bdl_")
    assert state(red, message["id"]) == "delivered"

    said = upload(blue_console, reply)
    assert "from RED" in said
    wait_for(lambda: state(blue, message["id"]) == "delivered", what="the receipt, by hand")

    (tmp_path / "notes.txt").write_text("not a bundle\n", encoding="utf-8")
    said = upload(red_console, tmp_path / "notes.txt")
    assert "Пакет отклонён, ничего не применено: not an Openline bundle" in said
    red_console.page.locator("#toast.error").wait_for()
    # The browser logs the node's 422 for it: expected here, and only that one.
    refused = [e for e in red_console.watch.errors if "/api/v1/bundles" in e]
    assert len(refused) == 1
    assert "422" in refused[0]
    red_console.watch.errors.remove(refused[0])

    proxied.to_red.start()
    proxied.to_blue.start()
    assert_flash_gets_through(blue, red, "RED")
