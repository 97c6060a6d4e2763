"""A movement on a timetable against another party's operation, on two real nodes: BLUE's
convoy, given as a route with a time at each waypoint, conflicts with RED's firing only on the
leg and in the hour they meet, on both nodes alike, and both consoles (Chromium) show the
conflict naming that leg and draw the route with its times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.console import OpenConsole
from tests.support.processes import Pair
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

LAT = 35.90  # the convoy drives east along this parallel, a leg an hour
LONS = [38.70, 38.90, 39.10, 39.30]
TOLERANCE = timedelta(minutes=5)


def _at(start: datetime, hours: float) -> str:
    return (start + timedelta(hours=hours)).isoformat()


def _convoy(start: datetime) -> dict[str, Any]:
    waypoints = [{"lon": lon, "lat": LAT, "time": _at(start, k)} for k, lon in enumerate(LONS)]
    return {
        "kind": "movement",
        "title": "Convoy 7",
        "route": {
            "waypoints": waypoints,
            "half_width_m": 300,
            "time_tolerance_s": TOLERANCE.total_seconds(),
            "altitude_lower_m": 0,
            "altitude_upper_m": 10,
        },
        "share_with": ["RED"],
    }


def _firing(start: datetime) -> dict[str, Any]:
    """RED's artillery along the whole road, 2 to 4 km north of it (inside the 5 km minimum of
    every leg), but only from 1 h 25 to 1 h 35 after the convoy sets off: the middle of its
    second leg, 20 minutes from the windows of the first and third (over the 15 minute
    minimum)."""
    ring = [[38.65, 35.92], [39.35, 35.92], [39.35, 35.94], [38.65, 35.94], [38.65, 35.92]]
    return {
        "kind": "artillery",
        "title": "Fire mission",
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 0,
                "altitude_upper_m": 8000,
                "time_start": _at(start, 1 + 25 / 60),
                "time_end": _at(start, 1 + 35 / 60),
            }
        ],
        "share_with": ["BLUE"],
    }


def test_a_convoy_conflicts_only_on_the_leg_and_in_the_hour_it_meets_a_firing(
    pair: Pair, open_console: OpenConsole
) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    with pair.blue.client() as blue, pair.red.client() as red:
        convoy = blue.post("/api/v1/notifications", json=_convoy(start))
        assert convoy.status_code == 201, convoy.text
        assert len(convoy.json()["volumes"]) == 3
        firing = red.post("/api/v1/notifications", json=_firing(start))
        assert firing.status_code == 201, firing.text

        def conflicts_on(client: Any) -> list[dict[str, Any]]:
            return list(client.get("/api/v1/conflicts?state=open").json()["conflicts"])

        wait_for(lambda: conflicts_on(blue) and conflicts_on(red), what="the conflict on both")
        (on_blue,), (on_red,) = conflicts_on(blue), conflicts_on(red)

    assert on_blue["key"] == on_red["key"]
    assert on_blue["clashes"] == on_red["clashes"]
    convoy_side = 0 if on_blue["a"]["notification"] == convoy.json()["id"] else 1
    assert [clash["volumes"][convoy_side] for clash in on_blue["clashes"]] == [1]  # leg 2 only
    assert on_blue["time_window"] == {
        "start": _at(start, 1 + 25 / 60).replace("+00:00", ".000Z"),
        "end": _at(start, 1 + 35 / 60).replace("+00:00", ".000Z"),
    }

    for party, node in (("blue", pair.blue), ("red", pair.red)):
        console = open_console(node)
        console.tab("conflicts")
        card = console.page.locator(f"#tab-conflicts li.conflict[data-key='{on_blue['key']}']")
        card.wait_for()
        legs = card.locator("li.leg")
        assert legs.count() == 1
        assert legs.get_attribute("data-owner") == "BLUE"
        assert legs.get_attribute("data-leg") == "2"
        # The route on the map: its path and each waypoint with the time it is due there.
        times = console.page.locator(".route-time")
        times.first.wait_for()
        assert times.count() == len(LONS)
        assert times.nth(2).inner_text() == f"2 · {_at(start, 2)[8:10]} {_at(start, 2)[11:16]}Z"
        assert console.page.locator("path.corridor").count() == 3  # a band per leg
        console.screenshot(f"movement-conflict-{party}")
