"""Two real nodes share live tracks and raise the same proximity warnings.

BLUE and RED run as ``openline serve`` processes linked on 127.0.0.1, with a track envelope at
most every 0.2 s. Each test uses tracks in its own part of the map, so that the tests of the
module share one pair of nodes without seeing each other's warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from openline.domain.timeutil import format_utc
from openline.domain.tracks import TrackRef, approach_key, entry_key
from tests.support.processes import Pair, RunningNode, run_openline, start_pair, stop_pair
from tests.support.tracks import post_tracks, track_report
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    running = start_pair(
        tmp_path_factory.mktemp("tracks"),
        {"OPENLINE_LINE_CHECK_INTERVAL": "1", "OPENLINE_TRACK_INTERVAL": "0.2"},
    )
    try:
        yield running
    finally:
        stop_pair(running)


def listed(node: RunningNode) -> list[dict[str, Any]]:
    with node.client() as client:
        found: list[dict[str, Any]] = client.get("/api/v1/tracks").json()["tracks"]
    return found


def tracks_of(node: RunningNode) -> set[tuple[str, str]]:
    return {(t["party"], t["track_id"]) for t in listed(node)}


def warnings_of(node: RunningNode) -> dict[str, dict[str, Any]]:
    """The open warnings by key, without the time each node opened them (its own)."""
    with node.client() as client:
        listed = client.get("/api/v1/proximity").json()["warnings"]
    return {w["key"]: {k: v for k, v in w.items() if k != "opened_at"} for w in listed}


def journaled(node: RunningNode, kind: str, key: str) -> list[dict[str, Any]]:
    with node.client() as client:
        entries = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [e["data"] for e in entries if e["kind"] == kind and e["data"]["key"] == key]


def opened_on_both(pair: Pair, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``proximity.opened`` entries of ``key`` in each node's journal, once both hold one: a
    warning is shown as the track loop finds it, and journaled by the commit that follows."""
    wait_for(
        lambda: all(journaled(node, "proximity.opened", key) for node in (pair.blue, pair.red)),
        timeout=10,
        what="the warning journaled on both nodes",
    )
    return journaled(pair.blue, "proximity.opened", key), journaled(
        pair.red, "proximity.opened", key
    )


def streamed(node: RunningNode, kind: str) -> list[dict[str, Any]]:
    """The entries of ``kind`` the node's event stream replays, read up to the journal's head
    (the stream itself never ends)."""
    with node.client() as client:
        head = client.get("/api/v1/node").json()["journal"]["seq"]
        found, event = [], None
        with client.stream("GET", "/api/v1/events", params={"after": 0}) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    entry = json.loads(line.removeprefix("data: "))
                    if event == kind:
                        found.append(entry["data"])
                    if entry["seq"] >= head:
                        return found
    raise AssertionError("the event stream ended before the journal's head")


def on_both(pair: Pair, key: str) -> bool:
    return key in warnings_of(pair.blue) and key in warnings_of(pair.red)


def test_converging_tracks_give_the_same_warning_on_both_nodes_journaled_once(pair: Pair):
    post_tracks(pair.blue, track_report("B1", lat=35.0, lon=38.0, heading_deg=90))
    post_tracks(pair.red, track_report("R1", lat=35.0, lon=38.5, heading_deg=270, alt_m=3100))
    key = approach_key(TrackRef("BLUE", "B1"), TrackRef("RED", "R1"))

    wait_for(lambda: on_both(pair, key), timeout=10, what="the warning on both nodes")
    # A newer report: no new entry. Each node finds the warning again at its next track
    # interval (BLUE too: not in the POST), so both are waited for at the newer report.
    newer = track_report("B1", lat=35.0, lon=38.001, heading_deg=90)
    post_tracks(pair.blue, newer)
    newer_ref = {"party": "BLUE", "track_id": "B1", "time": newer["time"]}
    wait_for(
        lambda: all(warnings_of(n)[key]["a"] == newer_ref for n in (pair.blue, pair.red)),
        timeout=10,
        what="the warning found from B1's newer report on both nodes",
    )

    on_blue, on_red = warnings_of(pair.blue)[key], warnings_of(pair.red)[key]
    assert on_blue == on_red
    assert on_blue["rule"] == "approach"
    assert on_blue["lateral_m"] < 10
    assert on_blue["vertical_m"] == 100.0
    assert on_blue["minima"] == {"lateral_m": 9260.0, "vertical_m": 300.0, "lookahead_s": 300.0}
    opened_blue, opened_red = opened_on_both(pair, key)
    assert len(opened_blue) == len(opened_red) == 1
    assert opened_blue == opened_red
    assert [e for e in streamed(pair.red, "proximity.opened") if e["key"] == key] == opened_red
    for node in (pair.blue, pair.red):
        verified = run_openline("journal", "verify", node.directory)
        assert verified.returncode == 0, verified.stdout + verified.stderr


def test_diverging_tracks_give_no_warning(pair: Pair):
    post_tracks(pair.blue, track_report("B2", lat=-20.0, lon=10.0, heading_deg=270))
    post_tracks(pair.red, track_report("R2", lat=-20.0, lon=10.2, heading_deg=90))
    both = {("BLUE", "B2"), ("RED", "R2")}

    wait_for(
        lambda: both <= tracks_of(pair.blue) and both <= tracks_of(pair.red),
        timeout=10,
        what="both tracks on both nodes",
    )

    key = approach_key(TrackRef("BLUE", "B2"), TrackRef("RED", "R2"))
    assert key not in warnings_of(pair.blue)
    assert key not in warnings_of(pair.red)


def test_an_own_track_entering_reds_notified_volume_warns_on_both(pair: Pair):
    now = datetime.now(UTC)
    ring = [[45.2, 39.9], [45.3, 39.9], [45.3, 40.1], [45.2, 40.1], [45.2, 39.9]]
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 6000,
        "time_start": format_utc(now - timedelta(minutes=10)),
        "time_end": format_utc(now + timedelta(hours=2)),
    }
    with pair.red.client() as red:
        made = red.post(
            "/api/v1/notifications",
            json={
                "kind": "air-operation",
                "title": "Патруль",
                "volumes": [volume],
                "share_with": ["BLUE"],
            },
        )
    assert made.status_code == 201, made.text
    notification_id = made.json()["id"]
    with pair.blue.client() as blue:
        wait_for(
            lambda: blue.get(f"/api/v1/notifications/{notification_id}").status_code == 200,
            timeout=10,
            what="RED's notification on BLUE",
        )

    # 17 km west of it, flying east.
    post_tracks(pair.blue, track_report("B3", lat=40.0, lon=45.0, heading_deg=90))
    key = entry_key(TrackRef("BLUE", "B3"), notification_id)

    wait_for(lambda: on_both(pair, key), timeout=10, what="the entry warning on both nodes")
    on_blue, on_red = warnings_of(pair.blue)[key], warnings_of(pair.red)[key]
    assert on_blue == on_red
    assert on_blue["rule"] == "volume"
    assert on_blue["notification"]["owner"] == "RED"
    assert on_blue["inside"] is False
    opened_blue, opened_red = opened_on_both(pair, key)
    assert opened_blue == opened_red


def test_simulate_replays_a_scenario_of_its_partys_tracks_and_stops_at_its_end(
    pair: Pair, tmp_path: Path
):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "duration_s: 4\n"
        "report_every_s: 1\n"
        "tracks:\n"
        "  - {track_id: RED-9, party: RED, kind: ground, lat: 60, lon: 100, speed_mps: 10,"
        " heading_deg: 0}\n"
        "  - {track_id: BLUE-9, party: BLUE, lat: 60, lon: 101}\n",
        encoding="utf-8",
    )

    replayed = run_openline("simulate", "--node", pair.red.directory, scenario, "--speed", "4")

    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.splitlines() == [f"t+{s} s: 1 report(s)" for s in range(5)]
    assert ("RED", "RED-9") in tracks_of(pair.red)
    assert ("RED", "BLUE-9") not in tracks_of(pair.red)
    (red9,) = [t for t in listed(pair.red) if t["track_id"] == "RED-9"]
    wait_for(lambda: red9 in listed(pair.blue), timeout=10, what="RED-9's last report on BLUE")
    assert red9["speed_mps"] == 40.0  # 10 m/s at four times real time
    assert red9["lat"] == pytest.approx(60 + 40 / 111_400, abs=2e-5)  # 4 s of scenario at 10 m/s
