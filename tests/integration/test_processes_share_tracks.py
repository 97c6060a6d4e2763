"""BLUE served by two `openline serve` processes on one PostgreSQL database, RED by one: a track
reported to the process that does not lead crosses the line as from a node of one process, and
both processes hold the same tracks and the same warnings (issue 26; docs/deployment.md,
"Tracks between processes").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openline.domain.tracks import TrackRef, approach_key
from tests.integration.test_tracks_line import journaled, listed, streamed, warnings_of
from tests.support.backend import on_postgresql
from tests.support.processes import RunningNode, answering
from tests.support.several_processes import launch_blue_processes_and_red
from tests.support.tracks import post_tracks, track_report
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not on_postgresql(), reason="PostgreSQL only: a SQLite node has one process"
    ),
]

ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "1", "OPENLINE_TRACK_INTERVAL": "0.2"}


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[list[RunningNode], RunningNode]]:
    """BLUE's two processes and RED, which knows both as BLUE's paths."""
    _, _, launched = launch_blue_processes_and_red(tmp_path, ENV, 2)
    try:
        *blue, red = [answering(process) for process in launched]
        yield blue, red
    finally:
        for process in launched:
            process.stop_surely()


def node_of(process: RunningNode) -> dict[str, Any]:
    with process.client() as client:
        node: dict[str, Any] = client.get("/api/v1/node").json()
    return node


def leads(process: RunningNode) -> bool:
    node = node_of(process)
    return bool(node["leader"] == node["process"])


def test_a_track_reported_to_a_process_that_does_not_lead_is_shared_and_held_by_every_process(
    line: tuple[list[RunningNode], RunningNode],
) -> None:
    blue, red = line
    # Each process tells the others of its reports once its heartbeat has seen them.
    wait_for(
        lambda: all(len(node_of(p)["processes"]) == len(blue) for p in blue),
        timeout=10,
        what="every BLUE process seeing the other",
    )
    wait_for(lambda: any(leads(p) for p in blue), timeout=10, what="a BLUE process leading")
    (follower,) = [process for process in blue if not leads(process)]

    post_tracks(follower, track_report("B1", lat=35.0, lon=38.0, heading_deg=90))
    post_tracks(red, track_report("R1", lat=35.0, lon=38.5, heading_deg=270, alt_m=3100))
    key = approach_key(TrackRef("BLUE", "B1"), TrackRef("RED", "R1"))

    # Every BLUE process holds both tracks, the same, and B1 crosses the line (sealed by the
    # leader) as it was reported to the other process.
    wait_for(lambda: all(len(listed(p)) == 2 for p in blue), timeout=10, what="B1 and R1 on BLUE")
    held = listed(follower)
    assert listed(blue[0]) == listed(blue[1]) == held
    wait_for(lambda: held == listed(red), timeout=10, what="B1 on RED as BLUE holds it")
    # ...and finds the same warning, as RED does.
    everywhere = [*blue, red]
    wait_for(
        lambda: all(key in warnings_of(p) for p in everywhere),
        timeout=10,
        what="the warning on every process",
    )
    found = [warnings_of(p)[key] for p in everywhere]
    assert found[0] == found[1] == found[2]
    assert found[0]["rule"] == "approach"

    # The leader alone journals it: once, streamed by every BLUE process as by RED.
    opened = journaled(follower, "proximity.opened", key)
    assert len(opened) == 1
    assert opened == journaled(red, "proximity.opened", key)
    for process in blue:
        assert [e for e in streamed(process, "proximity.opened") if e["key"] == key] == opened
