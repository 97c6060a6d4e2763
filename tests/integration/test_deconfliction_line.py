"""Two real nodes: notifications cross the line and both sides find the same conflict.

BLUE and RED run as ``openline serve`` processes linked on 127.0.0.1. BLUE notifies an air
operation, RED a ground operation overlapping it in space and time, each shared with the other;
both nodes then list the same conflict, under the same key, and both journals record it. The
CLI (`openline notify`, `openline conflicts`) is used for RED's side.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from openline.domain.conflicts import RECORD_MEMBERS, conflict_key
from tests.support.faults import assert_journals_verify_and_agree
from tests.support.processes import Pair, RunningNode, run_openline
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

WINDOW = {"time_start": "2026-12-03T12:00:00Z", "time_end": "2026-12-03T14:00:00Z"}


def air_operation() -> dict[str, Any]:
    ring = [[38.0, 35.0], [38.2, 35.0], [38.2, 35.2], [38.0, 35.2], [38.0, 35.0]]
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 500,
        "altitude_upper_m": 6000,
        **WINDOW,
    }
    return {
        "kind": "air-operation",
        "title": "CAS north of the river",
        "volumes": [volume],
        "share_with": ["RED"],
    }


def ground_operation_file(path: Path) -> Path:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [38.1, 35.1]},
        "properties": {
            "kind": "ground-operation",
            "title": "Колонна",
            "radius_m": 3000,
            "altitude_lower_m": 0,
            "altitude_upper_m": 50,
            "time_start": "2026-12-03T13:00:00Z",
            "time_end": "2026-12-03T18:00:00Z",
        },
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    return path


def open_conflicts(node: RunningNode) -> list[dict[str, Any]]:
    with node.client() as client:
        found: list[dict[str, Any]] = client.get("/api/v1/conflicts").json()["conflicts"]
    return found


def journaled(node: RunningNode, kind: str) -> list[dict[str, Any]]:
    with node.client() as client:
        entries = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [e["data"] for e in entries if e["kind"] == kind]


def test_both_nodes_find_the_same_conflict_and_journal_it(pair: Pair, tmp_path: Path):
    with pair.blue.client() as blue:
        made = blue.post("/api/v1/notifications", json=air_operation())
    assert made.status_code == 201, made.text
    ours = made.json()

    notified = run_openline(
        "notify",
        "--node",
        pair.red.directory,
        ground_operation_file(tmp_path / "convoy.geojson"),
        "--share-with",
        "BLUE",
        "--json",
    )
    assert notified.returncode == 0, notified.stderr
    theirs = json.loads(notified.stdout)
    started = time.monotonic()
    key = conflict_key(ours["id"], theirs["id"])

    wait_for(
        lambda: open_conflicts(pair.blue) and open_conflicts(pair.red),
        timeout=10,
        what="the conflict on both nodes",
    )
    print(f"both nodes listed the conflict {time.monotonic() - started:.3f} s after RED's notify")

    on_blue, on_red = open_conflicts(pair.blue), open_conflicts(pair.red)
    assert [c["key"] for c in on_blue] == [c["key"] for c in on_red] == [key]
    assert {k: on_blue[0][k] for k in RECORD_MEMBERS} == {k: on_red[0][k] for k in RECORD_MEMBERS}
    assert on_blue[0]["rule"] == "separation"
    assert on_blue[0]["distance_m"] == 0
    assert on_blue[0]["time_window"] == {
        "start": "2026-12-03T13:00:00.000Z",
        "end": "2026-12-03T14:00:00.000Z",
    }
    assert journaled(pair.blue, "conflict.opened") == journaled(pair.red, "conflict.opened")

    listed = run_openline("conflicts", "--node", pair.red.directory)
    assert listed.returncode == 0, listed.stderr
    assert key in listed.stdout

    # Cancelling on BLUE clears the conflict on both sides.
    with pair.blue.client() as blue:
        blue.post(f"/api/v1/notifications/{ours['id']}/status", json={"status": "cancelled"})
    wait_for(
        lambda: not open_conflicts(pair.blue) and not open_conflicts(pair.red),
        timeout=10,
        what="the conflict cleared on both nodes",
    )
    assert len(journaled(pair.red, "conflict.cleared")) == 1

    assert_journals_verify_and_agree(pair, tmp_path)


def test_notify_shares_with_every_peer_unless_told_otherwise_and_says_with_whom(
    pair: Pair, tmp_path: Path
):
    convoy = ground_operation_file(tmp_path / "convoy.geojson")

    def notify(*options: str) -> subprocess.CompletedProcess[str]:
        return run_openline("notify", "--node", pair.red.directory, convoy, *options)

    by_default, kept, both = (
        notify(),
        notify("--share-with-nobody"),
        notify("--share-with", "BLUE", "--share-with-nobody"),
    )

    assert by_default.returncode == 0, by_default.stderr
    assert by_default.stdout.splitlines()[1] == "shared with BLUE"  # as the console's form does
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.splitlines()[1] == "shared with nobody"
    assert both.returncode == 2
    assert "give --share-with CODE or --share-with-nobody, not both" in both.stderr
    shared = [n.get("share_with") for n in journaled(pair.red, "notification.created")]
    assert shared == [["BLUE"], []]
