"""The console answers what peers ask of its people (issue 22, item 5): RED's officer
acknowledges BLUE's air operation in one click, with its countdown, from the list atop the
inbox of what waits for RED's acknowledgement; then proposes a delay of it on the conflict's
card, which BLUE's officer accepts on BLUE's console; both consoles show the thread agreed, and
BLUE's reminds it to revise its operation. And a protected site left unacknowledged past its
deadline raises the alarm on both consoles, until RED acknowledges it from the banner. Two real
nodes (BLUE in English, RED in Russian), Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.catalogues import catalogue
from tests.support.console import OpenConsole, blue_notifies_over, red_shares_circle
from tests.support.operator import journal_of
from tests.support.processes import Pair, start_pair, stop_pair
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

LAT, LON = 35.95, 39.01  # as in test_console_conflicts.py: the footprints about 1 km apart


def test_red_acknowledges_in_one_click_and_a_delay_it_proposes_is_accepted_on_blues_console(
    pair: Pair, open_console: OpenConsole
) -> None:
    red_shares_circle(
        pair,
        kind="ground-operation",
        title="Convoy escort",
        lat=LAT,
        lon=LON,
        radius_m=3000,
        upper_m=500,
        hours=6,
    )
    blue_notifies_over(pair, LAT, LON + 0.0888)
    with pair.blue.client() as client:
        (conflict,) = client.get("/api/v1/conflicts").json()["conflicts"]
    key = conflict["key"]
    ours = conflict["a"] if conflict["a"]["owner"] == "BLUE" else conflict["b"]
    wait_for(
        lambda: any(e["data"]["key"] == key for e in journal_of(pair.red, "conflict.opened")),
        what="the conflict on RED",
    )
    red, blue = open_console(pair.red), open_console(pair.blue)

    # RED: BLUE's air operation waits for an acknowledgement, counting down; one click.
    red.tab("inbox")
    waiting = red.page.locator(
        f"#tab-inbox #acks li.awaited[data-notification='{ours['notification']}']"
    )
    waiting.wait_for()
    assert "Close air support" in waiting.inner_text()
    countdown = waiting.locator(".countdown")
    first = countdown.inner_text()
    red.page.wait_for_timeout(1100)
    assert countdown.inner_text() != first  # the countdown moves
    red.screenshot("acknowledge-ru")
    waiting.locator("button.acknowledge").click()
    red.page.locator("#acks li.awaited").wait_for(state="detached")
    assert red.page.locator("#acks").is_hidden()
    wait_for(
        lambda: (
            [e["data"]["party"] for e in journal_of(pair.blue, "notification.acknowledged")]
            == ["RED"]
        ),
        what="RED's acknowledgement on BLUE",
    )

    # RED proposes a delay on the conflict's card.
    red.tab("conflicts")
    card = red.page.locator(f"#tab-conflicts li.conflict[data-key='{key}']")
    card.locator(".propose-view summary").click()
    form = card.locator("form.propose")
    form.locator("select[name=outcome]").select_option("delay")
    form.locator("input[name=text]").fill("Hold until our convoy has passed")
    form.locator("button[type=submit]").click()
    red.page.locator(f"li.conflict[data-key='{key}'] .resolution[data-state=proposed]").wait_for()

    # BLUE sees it waiting, and accepts it in one click.
    blue.tab("conflicts")
    blue_card = blue.page.locator(f"#tab-conflicts li.conflict[data-key='{key}']")
    proposal = blue_card.locator(".resolution[data-state=proposed]")
    proposal.wait_for()
    assert "Hold until our convoy has passed" in proposal.inner_text()
    assert "delay" in proposal.inner_text()
    proposal.locator("button.accept").click()

    for console in (blue, red):
        agreed = console.page.locator(
            f"li.conflict[data-key='{key}'] .resolution[data-state=agreed]"
        )
        agreed.wait_for()
        agreed.locator(".thread-view summary").click()
        thread = agreed.locator("ol.thread li")
        thread.first.wait_for()
        assert thread.count() == 1
        assert "Hold until our convoy has passed" in thread.first.inner_text()
    assert blue_card.locator(".revise").inner_text() == (
        f"Agreed: revise our notification {ours['notification']}"
    )
    assert red.page.locator(f"li.conflict[data-key='{key}'] .revise").count() == 0
    blue.page.locator(f"#alarms [data-key='revise:{key}']").wait_for()
    blue.screenshot("conflict-agreed")


@pytest.fixture
def hurried_pair(tmp_path: Path) -> Iterator[Pair]:
    """BLUE and RED where a protected site is overdue for acknowledgement after 2 s."""
    deadlines = json.dumps({"protected-site": 2})
    env = {"OPENLINE_LINE_CHECK_INTERVAL": "1", "OPENLINE_NOTIFICATION_ACK_DEADLINES": deadlines}
    running = start_pair(tmp_path, env)
    try:
        yield running
    finally:
        stop_pair(running)


def test_a_protected_site_left_unacknowledged_alarms_on_both_consoles_until_acknowledged(
    hurried_pair: Pair, open_console: OpenConsole
) -> None:
    blue, red = open_console(hurried_pair.blue), open_console(hurried_pair.red)
    with hurried_pair.blue.client() as client:
        made = client.post(
            "/api/v1/notifications",
            json={
                "kind": "protected-site",
                "title": "Field hospital",
                "volumes": [
                    {
                        "circle": {"lat": LAT, "lon": LON, "radius_m": 500},
                        "altitude_lower_m": 0,
                        "altitude_upper_m": 100,
                        "time_start": "2026-12-01T00:00:00Z",
                        "time_end": "2027-01-01T00:00:00Z",
                    }
                ],
                "share_with": ["RED"],
            },
        )
    assert made.status_code == 201, made.text
    site = made.json()["id"]

    theirs = red.page.locator(f".alarm[data-key='ack:{site}:1']")
    ours = blue.page.locator(f".alarm[data-key='ack-out:{site}:1:RED']")
    theirs.wait_for()
    ours.wait_for()
    assert "Field hospital" in theirs.inner_text()
    assert site in ours.inner_text()
    theirs.get_by_role("button", name=catalogue("ru")["ack"]).click()  # RED's is in Russian
    theirs.wait_for(state="detached")
    ours.wait_for(state="detached")  # BLUE heard RED's acknowledgement
    (acknowledged,) = journal_of(hurried_pair.blue, "notification.acknowledged")
    assert (acknowledged["data"]["party"], acknowledged["data"]["version"]) == ("RED", 1)
