"""One conflict, the same on both sides, through its whole life (issue 22, item 3): BLUE and RED,
two real node processes, each revise their own notifications at the same moment, hundreds of
times (a seeded run), so that conflicts open and clear again while each other's revisions are
on the line. Every conflict opened or cleared on either owner's node is journaled on both,
under the same key; at rest both hold the same open conflicts (docs/deconfliction.md)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

SEED = 22
PER_SIDE = 12  # notifications each party owns: 144 pairs, each revised about a dozen times
REVISIONS = 150  # each party's, in its own thread, at the same time as the other's
# Latitudes 11 km apart: two circles conflict on the same spot only.
SPOTS = [35.0 + 0.1 * i for i in range(6)]
WINDOW = {"time_start": "2026-12-03T12:00:00Z", "time_end": "2026-12-03T14:00:00Z"}


def body(title: str, spot: int, share_with: str) -> dict[str, Any]:
    volume = {
        "circle": {"lat": SPOTS[spot], "lon": 38.0, "radius_m": 500},
        "altitude_lower_m": 0,
        "altitude_upper_m": 100,
        **WINDOW,
    }
    return {
        "kind": "ground-operation",
        "title": title,
        "volumes": [volume],
        "share_with": [share_with],
    }


def revise_many(node: RunningNode, ids: list[str], share_with: str, seed: int) -> None:
    rng = random.Random(seed)
    with node.client() as client:
        for n in range(REVISIONS):
            target = rng.choice(ids)
            answer = client.put(
                f"/api/v1/notifications/{target}",
                json=body(f"revision {n}", rng.randrange(len(SPOTS)), share_with),
            )
            assert answer.status_code == 200, answer.text


def journal(node: RunningNode) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    with node.client() as client:
        while True:
            after = entries[-1]["seq"] if entries else 0
            page = client.get(
                "/api/v1/journal", params={"after": after, "limit": 5000, "kind": "conflict."}
            ).json()["entries"]
            entries += page
            if len(page) < 5000:
                return entries


def versions(node: RunningNode) -> dict[str, int]:
    with node.client() as client:
        found = client.get("/api/v1/notifications").json()["notifications"]
    return {n["id"]: n["version"] for n in found}


def open_keys(node: RunningNode) -> list[str]:
    with node.client() as client:
        return sorted(c["key"] for c in client.get("/api/v1/conflicts").json()["conflicts"])


def keys_journaled(entries: list[dict[str, Any]], kind: str) -> set[str]:
    return {e["data"]["key"] for e in entries if e["kind"] == kind}


def test_every_conflict_opened_and_cleared_is_journaled_on_both_nodes(pair: Pair):
    ids: dict[str, list[str]] = {}
    for node, other in ((pair.blue, "RED"), (pair.red, "BLUE")):
        with node.client() as client:
            made = [
                client.post(
                    "/api/v1/notifications", json=body(f"op {i}", i % len(SPOTS), other)
                ).json()["id"]
                for i in range(PER_SIDE)
            ]
        ids[other] = made
    wait_for(
        lambda: (
            versions(pair.blue) == versions(pair.red) and len(versions(pair.red)) == 2 * PER_SIDE
        ),
        timeout=30,
        what="every notification on both nodes",
    )

    threads = [
        threading.Thread(target=revise_many, args=(pair.blue, ids["RED"], "RED", SEED)),
        threading.Thread(target=revise_many, args=(pair.red, ids["BLUE"], "BLUE", SEED + 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(
        lambda: versions(pair.blue) == versions(pair.red),
        timeout=60,
        what="every revision on both nodes",
    )
    wait_for(
        lambda: open_keys(pair.blue) == open_keys(pair.red),
        timeout=30,
        what="the same open conflicts on both nodes",
    )

    def one_sided() -> dict[str, set[str]]:
        on_blue, on_red = journal(pair.blue), journal(pair.red)
        return {
            kind: keys_journaled(on_blue, kind) ^ keys_journaled(on_red, kind)
            for kind in ("conflict.opened", "conflict.cleared")
        }

    wait_for(
        lambda: not any(one_sided().values()),
        timeout=30,
        what=f"the same conflicts journaled on both nodes (one-sided as it began: {one_sided()})",
    )
    on_blue = journal(pair.blue)
    opened = keys_journaled(on_blue, "conflict.opened")
    # the run did what it is for: many conflicts opened, and cleared again
    assert len(opened) > PER_SIDE * PER_SIDE // 3, len(opened)
    assert len(keys_journaled(on_blue, "conflict.cleared") & opened) > len(opened) // 2
