"""Tracks and proximity warnings on the console: two real nodes, both consoles open."""

from __future__ import annotations

import pytest

from openline.domain.tracks import TrackRef, approach_key, entry_key
from tests.support.console import OpenConsole, blue_asks_red_to_cease, red_shares_circle
from tests.support.processes import Pair
from tests.support.tracks import in_one_area, post_tracks, track_report

pytestmark = pytest.mark.slow


def test_converging_tracks_of_blue_and_red_show_on_both_maps_with_the_same_warning_and_alarm(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    red = open_console(pair.red)
    # A message to acknowledge, so that RED's countdown shows its units in Russian.
    blue_asks_red_to_cease(pair, "routine")

    # 20 km apart (0.22° of longitude at 36.6°N), heading at each other on paths 3.3 km apart
    # (0.03° of latitude), 100 m apart in altitude: each reported by its own party's node.
    post_tracks(pair.blue, track_report("B1", lat=36.60, lon=37.00, heading_deg=90))
    post_tracks(pair.red, track_report("R1", lat=36.63, lon=37.22, heading_deg=270, alt_m=3100))
    key = approach_key(TrackRef("BLUE", "B1"), TrackRef("RED", "R1"))

    for console in (blue, red):
        page = console.page
        for name in ("BLUE/B1", "RED/R1"):
            page.locator(f".leaflet-marker-icon.track[data-track='{name}'] svg").wait_for()
            page.locator(f"path.track-line[data-track='{name}']").wait_for(state="attached")
        warning = page.locator(f"#tab-proximity li.warning[data-key='{key}']")
        warning.wait_for(state="attached")
        assert page.locator("#tab-proximity li.warning").count() == 1
        assert page.locator("#proximity-count").inner_text() == "1"
        alarm = page.locator(f".alarm[data-key='proximity:{key}']")
        alarm.wait_for()
        assert "BLUE/B1" in alarm.inner_text()
        assert "RED/R1" in alarm.inner_text()
        # Own tracks are friends, the peer's neutral; both predicted lines are in the warning's red.
        own, peer = ("BLUE/B1", "RED/R1") if console is blue else ("RED/R1", "BLUE/B1")
        assert page.locator(f".track.own[data-track='{own}']").count() == 1
        assert page.locator(f".track.peer[data-track='{peer}']").count() == 1
        assert page.locator("path.track-line.warned").count() == 2
        assert page.locator("#alarms").get_attribute("data-beeps") == "1"

    red_alarm = red.page.locator(f".alarm[data-key='proximity:{key}']")
    assert "ОПАСНОЕ СБЛИЖЕНИЕ" in red_alarm.inner_text()
    # The unit in Russian. The newest label: a redraw's old labels fade out for 200 ms (Leaflet).
    assert "R1 · 3100 м" in red.page.locator(".track-label.own").last.inner_text()
    assert " мин " in red.page.locator("#tab-inbox .countdown").first.inner_text()

    for console in (blue, red):
        console.tab("proximity")
        console.page.locator(f"#tab-proximity li.warning[data-key='{key}'] button").click()
        # Both tracks where they are predicted at the closest approach, and the line between them.
        console.page.locator("path.cpa-point.focused").nth(1).wait_for()
        assert console.page.locator("path.cpa-line.focused").count() == 1
        # The zoom to the warning is animated: what follows waits for its end.
        console.page.locator(f"#map[data-focused='{key}']").wait_for(state="attached")
    blue.screenshot("tracks")


def test_a_track_inside_a_peers_notified_volume_is_warned_on_both_consoles_and_shown_on_the_map(
    pair: Pair, open_console: OpenConsole
) -> None:
    notification_id = red_shares_circle(
        pair,
        kind="danger-area",
        title="Range 4",
        lat=36.2,
        lon=37.5,
        radius_m=5000,
        upper_m=2000,
        hours=2,
    )
    blue = open_console(pair.blue)
    red = open_console(pair.red)

    # A BLUE ground unit parked inside RED's danger area.
    parked = track_report(
        "B2", lat=36.2, lon=37.5, heading_deg=0, alt_m=100, kind="ground", speed_mps=0
    )
    post_tracks(pair.blue, parked)
    key = entry_key(TrackRef("BLUE", "B2"), notification_id)

    for console in (blue, red):
        page = console.page
        warning = page.locator(f"#tab-proximity li.warning.rule-volume[data-key='{key}']")
        warning.wait_for(state="attached")
        page.locator(f".alarm[data-key='proximity:{key}']").wait_for()
        page.locator(".leaflet-marker-icon.track[data-track='BLUE/B2'] svg").wait_for()
        console.tab("proximity")
        assert notification_id in warning.inner_text()
        warning.locator("button").click()
        page.locator("path.entry-point.focused").wait_for()
        page.locator(f"#map[data-focused='{key}']").wait_for(state="attached")


def test_a_busy_sky_shows_the_first_thousand_warnings_with_their_total_and_one_alarm(
    pair: Pair, open_console: OpenConsole
) -> None:
    post_tracks(pair.red, *in_one_area("R", 30, 1))
    post_tracks(pair.blue, *in_one_area("B", 40, 2))  # 1,200 warnings on each node
    blue = open_console(pair.blue)
    page = blue.page

    page.locator("#proximity-count:text-is('1200')").wait_for(state="attached")
    page.locator(".alarm[data-key='proximity:many']").wait_for()
    assert "1200" in page.locator(".alarm[data-key='proximity:many']").inner_text()
    assert page.locator(".alarm[data-key^='proximity:prx-']").count() == 0
    assert page.locator("#alarms").get_attribute("data-beeps") == "1"
    blue.tab("proximity")
    assert page.locator("#tab-proximity li.warning").count() == 1000
    assert page.locator("#tab-proximity p.more").inner_text() == (
        "The first 1000 of 1200 open warnings, by key."
    )
