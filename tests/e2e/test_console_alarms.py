"""Nothing arrives unnoticed: a flash message, a new conflict and a proximity warning raise the
alarm whatever tab the officer is on (banner, sound, the tab's title and icon, a desktop
notification when the officer turned them on and is in another window), and the alarms of the
session can be reviewed. Two real nodes, consoles in a real Chromium."""

from __future__ import annotations

import signal

import pytest

from openline.domain.tracks import TrackRef, approach_key
from tests.support.console import (
    Console,
    OpenConsole,
    blue_asks_red_to_cease,
    blue_notifies_over,
    red_shares_circle,
)
from tests.support.operator import get, journal_of
from tests.support.processes import Pair, RunningNode
from tests.support.tracks import post_tracks, track_report
from tests.support.unappliable import seal_unappliable, seal_unappliables
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def _alarm_signals(console: Console) -> dict[str, str | None]:
    """The sound last made, how many, the tab's title and the alarms its icon counts."""
    return dict(
        console.page.evaluate(
            """() => ({
                sound: document.getElementById("alarms").dataset.sound ?? null,
                beeps: document.getElementById("alarms").dataset.beeps ?? null,
                title: document.title,
                icon: document.querySelector("link[rel=icon]").dataset.alarms ?? null,
            })"""
        )
    )


def test_a_flash_a_new_conflict_and_a_proximity_warning_raise_the_alarm_on_another_tab(
    pair: Pair, open_console: OpenConsole
) -> None:
    red = open_console(pair.red)
    red.tab("journal")
    assert _alarm_signals(red) == {
        "sound": None,
        "beeps": None,
        "title": "Пульт Openline",
        "icon": "0",
    }

    message_id = blue_asks_red_to_cease(pair, "flash")

    banner = red.page.locator(f".alarm[data-key='message:{message_id}'][data-level=flash]")
    banner.wait_for()
    assert "МОЛНИЯ" in banner.inner_text()
    assert "BLUE" in banner.inner_text()
    assert _alarm_signals(red) == {
        "sound": "flash",
        "beeps": "1",
        "title": "⚠ 1 · Пульт Openline",
        "icon": "1",
    }
    assert red.page.locator("#tab-journal").is_visible(), "the alarm must not change the tab"
    red.screenshot("alarm-flash-ru")

    # Acknowledged from the banner: the acknowledgement is the officer's, journaled and sent.
    banner.get_by_role("button", name="Подтвердить получение").click()
    banner.wait_for(state="detached")
    with pair.blue.client() as client:
        wait_for(
            lambda: client.get(f"/api/v1/messages/{message_id}").json()["state"] == "acknowledged",
            what="RED's acknowledgement on BLUE",
        )
    with pair.red.client() as client:
        entries = client.get("/api/v1/journal?limit=1000").json()["entries"]
    assert any(
        e["kind"] == "message.acknowledged" and e["data"].get("message_id") == message_id
        for e in entries
    )
    assert _alarm_signals(red)["title"] == "Пульт Openline"

    # A new conflict: RED's convoy, then BLUE's air operation over it.
    red_shares_circle(
        pair,
        kind="ground-operation",
        title="Convoy escort",
        lat=35.95,
        lon=39.01,
        radius_m=3000,
        upper_m=500,
        hours=6,
    )
    blue_notifies_over(pair, 35.95, 39.01)
    conflict = red.page.locator(".alarm[data-key^='conflict:']")
    conflict.wait_for()
    assert "КОНФЛИКТ" in conflict.inner_text()
    assert _alarm_signals(red)["title"] == "⚠ 1 · Пульт Openline"
    assert _alarm_signals(red)["beeps"] == "2"

    # A proximity warning: two aircraft heading at each other, one of each party.
    post_tracks(pair.blue, track_report("B1", lat=36.60, lon=37.00, heading_deg=90))
    post_tracks(pair.red, track_report("R1", lat=36.63, lon=37.22, heading_deg=270, alt_m=3100))
    key = approach_key(TrackRef("BLUE", "B1"), TrackRef("RED", "R1"))
    red.page.locator(f".alarm[data-key='proximity:{key}']").wait_for()
    assert _alarm_signals(red) == {
        "sound": "warning",
        "beeps": "3",
        "title": "⚠ 2 · Пульт Openline",
        "icon": "2",
    }

    # Dismissed, the conflict's banner goes; the log keeps every alarm and what became of it.
    conflict.locator("button.dismiss").click()
    conflict.wait_for(state="detached")
    red.page.click("#alarm-log-button")
    log = red.page.locator("#alarm-log table.alarm-log")
    log.wait_for()
    states = {
        row.get_attribute("data-key"): row.get_attribute("data-state")
        for row in log.locator("tr").all()
    }
    assert states[f"message:{message_id}"] == "acknowledged"
    assert states[f"proximity:{key}"] == "active"
    assert [s for k, s in states.items() if str(k).startswith("conflict:")] == ["dismissed"]
    red.screenshot("alarm-log-ru")
    red.page.click("#alarm-log button.close")

    # A reload of the tab does not raise again what the officer already handled.
    red.page.reload()
    red.page.wait_for_selector("body[data-ready=true]", state="attached")
    red.page.locator(f".alarm[data-key='proximity:{key}']").wait_for()
    assert red.page.locator(".alarm[data-key^='conflict:']").count() == 0
    assert red.page.locator(f".alarm[data-key='message:{message_id}']").count() == 0


# The browser's Notification, wrapped so that the page records each one it raises (the
# browser's own API, outside Openline: what reached it is what the test reads). Headless
# Chromium shows no notification, but creates it once the permission is granted.
RECORD_NOTIFICATIONS = """
(() => {
  const Browser = window.Notification;
  if (!Browser) return;
  window.notificationsRaised = [];
  function Recorded(title, options = {}) {
    window.notificationsRaised.push({ title, body: options.body, tag: options.tag });
    return new Browser(title, options);
  }
  Object.defineProperty(Recorded, "permission", { get: () => Browser.permission });
  Recorded.requestPermission = (...args) => Browser.requestPermission(...args);
  window.Notification = Recorded;
})();
"""


def _raised(console: Console) -> list[dict[str, str]]:
    return list(console.page.evaluate("() => window.notificationsRaised"))


def test_a_flash_raises_a_desktop_notification_when_the_officer_is_in_another_window(
    pair: Pair, open_console: OpenConsole
) -> None:
    red = open_console(pair.red)
    page = red.page
    page.context.grant_permissions(["notifications"], origin=pair.red.url)
    page.add_init_script(RECORD_NOTIFICATIONS)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", state="attached")

    # The officer turns desktop notifications on, in the alarm log.
    page.click("#alarm-log-button")
    page.get_by_role("button", name="Включить уведомления на рабочем столе").click()
    page.get_by_role("button", name="Выключить уведомления на рабочем столе").wait_for()
    page.click("#alarm-log button.close")

    # Playwright tells every page it has the focus; with its emulation off, the console has the
    # focus only while it is the front page, as a real window has.
    session = page.context.new_cdp_session(page)
    session.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    elsewhere = page.context.new_page()
    elsewhere.bring_to_front()
    wait_for(lambda: not page.evaluate("() => document.hasFocus()"), what="the focus elsewhere")

    message_id = blue_asks_red_to_cease(pair, "flash")

    page.locator(f".alarm[data-key='message:{message_id}']").wait_for()
    wait_for(lambda: _raised(red), what="a desktop notification")
    [raised] = _raised(red)
    assert raised["title"] == "Пульт Openline"
    assert raised["tag"] == f"message:{message_id}"
    assert "МОЛНИЯ" in raised["body"]
    assert "BLUE" in raised["body"]

    # Back in the console's window, the next flash raises the banner but no desktop notification.
    page.bring_to_front()
    wait_for(lambda: page.evaluate("() => document.hasFocus()"), what="the focus back")
    second = blue_asks_red_to_cease(pair, "flash")
    page.locator(f".alarm[data-key='message:{second}']").wait_for()
    assert [r["tag"] for r in _raised(red)] == [f"message:{message_id}"]


def test_the_console_says_it_lost_its_own_node_within_5_s_and_recovers_without_a_reload(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    blue.page.locator(".peer[data-peer=RED][data-status=up]").wait_for()
    blue.page.evaluate("window.sameConsole = true")  # gone if the page reloads
    # Every status the indicator shows from now on, to prove it never turned green while lost.
    blue.page.evaluate(
        """() => {
            window.shownStatuses = [];
            new MutationObserver(() => {
                const peer = document.querySelector(".peer[data-peer=RED]");
                if (peer) window.shownStatuses.push(peer.dataset.status);
            }).observe(document.getElementById("line"), { childList: true, subtree: true });
        }"""
    )

    pair.blue.stop(signal.SIGKILL)
    lost = blue.page.locator(".peer[data-peer=RED][data-status=unknown]")
    lost.wait_for(timeout=5000)
    assert "lost its node since" in lost.inner_text()
    blue.page.locator(".alarm[data-key=node-lost]").wait_for()
    blue.screenshot("node-lost")
    # A full 5-second poll later, still unknown: the last status heard is never shown again.
    blue.page.wait_for_timeout(6000)
    assert blue.page.locator(".peer[data-peer=RED]").get_attribute("data-status") == "unknown"
    statuses = blue.page.evaluate("window.shownStatuses")
    assert statuses, "the indicator was never redrawn"
    assert set(statuses) == {"unknown"}, statuses

    pair.restart("blue")
    blue.page.locator(".peer[data-peer=RED][data-status=up]").wait_for()
    blue.page.locator(".alarm[data-key=node-lost]").wait_for(state="detached")
    assert blue.page.evaluate("window.sameConsole") is True
    assert blue.page.locator("#live").inner_text() == "live"
    # The browser logs each request the dead node did not answer: expected here, and only those.
    refused = [
        error
        for error in blue.watch.errors
        if "Failed to load resource: net::ERR_" in error and f"'url': '{pair.blue.url}/" in error
    ]
    assert refused
    blue.watch.errors[:] = [error for error in blue.watch.errors if error not in refused]


def test_an_envelope_received_but_not_applied_raises_the_alarm_on_both_consoles_naming_it(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue, red = open_console(pair.blue), open_console(pair.red)

    envelope = seal_unappliable(pair.red.directory, "BLUE")  # RED running: it sends it soon

    for console in (blue, red):
        banner = console.page.locator(f".alarm[data-key='not-applied:{envelope.hash}']")
        banner.wait_for()
        assert envelope.id in banner.inner_text()
        assert "msg_never_sent" in banner.inner_text()
    assert "NOT APPLIED" in blue.page.locator(".alarm[data-key^=not-applied]").inner_text()
    in_russian = red.page.locator(".alarm[data-key^=not-applied]").inner_text()
    assert "НЕ ПРИМЕНЁН" in in_russian  # noqa: RUF001 - Cyrillic on purpose


def _not_applied_on(node: RunningNode) -> list[str]:
    """The hashes of the envelopes not applied that wait for an officer of ``node``."""
    return [e["hash"] for e in get(node, "/api/v1/line/not-applied")["envelopes"]]


def test_an_envelope_not_applied_while_no_console_was_open_alarms_at_sign_in_until_acknowledged(
    pair: Pair, open_console: OpenConsole
) -> None:
    envelope = seal_unappliable(pair.red.directory, "BLUE")  # RED running: it sends it soon
    wait_for(
        lambda: [_not_applied_on(node) for node in (pair.blue, pair.red)] == [[envelope.hash]] * 2,
        what="the envelope not applied, on both nodes",
    )

    key = f".alarm[data-key='not-applied:{envelope.hash}']"
    blue, other_blue, red = (open_console(node) for node in (pair.blue, pair.blue, pair.red))
    for console in (blue, other_blue, red):
        console.page.locator(key).wait_for()
        assert envelope.id in console.page.locator(key).inner_text()
        assert "msg_never_sent" in console.page.locator(key).inner_text()
    assert f"Envelope {envelope.link_seq} ({envelope.id}) from RED" in blue.page.inner_text(key)
    assert "НЕ ПРИМЕНЁН" in red.page.inner_text(key)  # noqa: RUF001 - Cyrillic on purpose

    # Acknowledged on one of BLUE's consoles: journaled as the officer's, ended on both.
    blue.page.locator(key).get_by_role("button", name="Acknowledge", exact=True).click()
    for console in (blue, other_blue):
        console.page.locator(key).wait_for(state="detached")
    assert _not_applied_on(pair.blue) == []
    (acknowledged,) = journal_of(pair.blue, "envelope.not_applied_acknowledged")
    assert acknowledged["data"]["hash"] == envelope.hash
    assert acknowledged["data"]["acknowledged_by"] == "admin"

    # It stays ended after a reload, and on a console opened afresh; RED's own goes on.
    blue.page.reload()
    blue.page.wait_for_selector("body[data-ready=true]", state="attached")
    fresh = open_console(pair.blue)
    assert blue.page.locator(key).count() == fresh.page.locator(key).count() == 0
    red.page.reload()
    red.page.locator(key).wait_for()
    assert _not_applied_on(pair.red) == [envelope.hash]


def test_many_envelopes_not_applied_raise_one_alarm_that_acknowledges_them_all(
    pair: Pair, open_console: OpenConsole
) -> None:
    envelopes = seal_unappliables(pair.red.directory, "BLUE", 8)  # a peer of another version
    hashes = [envelope.hash for envelope in envelopes]
    wait_for(lambda: _not_applied_on(pair.blue) == hashes, what="the 8 not applied on BLUE")

    blue = open_console(pair.blue)
    page = blue.page
    many = page.locator(f".alarm[data-key='not-applied:many:{hashes[0]}']")
    many.wait_for()
    assert page.locator(".alarm[data-key^='not-applied:']").count() == 1
    assert page.locator("#alarms").get_attribute("data-beeps") == "1"
    text = many.inner_text()
    assert "8 envelopes received but NOT APPLIED" in text
    for first in envelopes[:3]:
        assert f"Envelope {first.link_seq} ({first.id}) from RED" in text
    assert "msg_never_sent" in text
    assert envelopes[3].id not in text

    many.get_by_role("button", name="Acknowledge all", exact=True).click()
    many.wait_for(state="detached")
    assert _not_applied_on(pair.blue) == []
    acknowledged = journal_of(pair.blue, "envelope.not_applied_acknowledged")
    assert sorted(entry["data"]["hash"] for entry in acknowledged) == sorted(hashes)
    assert {entry["data"]["acknowledged_by"] for entry in acknowledged} == {"admin"}

    page.reload()
    page.wait_for_selector("body[data-ready=true]", state="attached")
    assert page.locator(".alarm[data-key^='not-applied:']").count() == 0
    # RED's officers acknowledge for RED: there they still wait.
    wait_for(lambda: _not_applied_on(pair.red) == hashes, what="the 8 still waiting on RED")
