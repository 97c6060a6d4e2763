"""A busy sky: 300 tracks of RED and 300 of BLUE in one area, 90,000 approach warnings on each
of two real nodes (issue 23). The reports are taken at once, the warnings journaled within the
bound of a cycle (docs/proximity.md), tracks gone stale and back within the grace period are
the same episodes, and the API answers the warnings in pages.

Tracks go stale after 12 s here, so that the test sees them go and come back in seconds; until
then both parties report them again every 2 s, as a live sky would, so that the warnings read
in pages stay open throughout however loaded the machine (they are found again meanwhile).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from openline.domain.proximity_episodes import (
    ENTRIES_PER_CYCLE,
    GRACE_S,
    JOURNAL_CYCLE_S,
    RECORD_BYTES_PER_CYCLE,
)
from openline.domain.tracks import TrackRef, approach_key
from openline.services.tracks import MAX_PAGE
from tests.support.operator import assert_flash_gets_through, get
from tests.support.processes import Pair, RunningNode, start_pair, stop_pair
from tests.support.tracks import in_one_area
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

TRACKS = 300  # of each party
STALE_AFTER_S = 12
# What a POST of a batch answers within (docs/proximity.md), with room for a loaded machine:
# before, BLUE's POST of its 300 tracks took 17 to 22 s.
POST_BOUND_S = 2.0 * 5
SUMMARY_BYTES = 200  # a proximity.summary entry's data: three counts
REFRESH_S = 2.0  # how often a party reports its tracks again while they must stay fresh


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    running = start_pair(
        tmp_path_factory.mktemp("busy"),
        {
            "OPENLINE_LINE_CHECK_INTERVAL": "1",
            "OPENLINE_TRACK_INTERVAL": "0.2",
            "OPENLINE_TRACK_STALE_AFTER": str(STALE_AFTER_S),
        },
    )
    try:
        yield running
    finally:
        stop_pair(running)


def post(node: RunningNode, reports: list[dict[str, Any]]) -> float:
    """Report the tracks; how long the answer took."""
    with node.client() as client:
        started = time.monotonic()
        answer = client.post("/api/v1/tracks", json=reports)
        took = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": len(reports), "superseded": 0}
    return took


def open_count(node: RunningNode) -> int:
    return int(get(node, "/api/v1/proximity", limit=1)["total"])


def proximity_entries(node: RunningNode) -> list[dict[str, Any]]:
    entries = get(node, "/api/v1/journal", limit=5000)["entries"]
    return [e for e in entries if e["kind"].startswith("proximity.")]


@contextmanager
def kept_fresh(node: RunningNode, prefix: str, seed: int) -> Iterator[None]:
    """The party's tracks of ``in_one_area(prefix, TRACKS, seed)`` reported again every
    ``REFRESH_S``, at the time of the moment, until the block ends: the same warnings then
    stay open, found again meanwhile, however long a loaded machine takes to read them all
    (more than STALE_AFTER_S in CI: the tracks went stale, the warnings lapsed, the last
    pages came empty)."""
    done, failed = threading.Event(), []

    def report_again() -> None:
        while not done.wait(REFRESH_S):
            try:
                post(node, in_one_area(prefix, TRACKS, seed))
            except Exception as exc:  # told in the test's thread, below
                failed.append(exc)
                return

    reporting = threading.Thread(target=report_again, daemon=True)
    reporting.start()
    try:
        yield
    finally:
        done.set()
        reporting.join()
    assert not failed, failed


def every_page(node: RunningNode) -> list[str]:
    """The keys of the open warnings, page after page of the largest size; each page's
    answer stays small (35 MB for them all before)."""
    keys: list[str] = []
    while True:
        with node.client() as client:
            params = {"limit": MAX_PAGE, **({"after": keys[-1]} if keys else {})}
            answer = client.get("/api/v1/proximity", params=params)
        assert answer.status_code == 200, answer.text
        assert len(answer.content) < MAX_PAGE * 600
        page = [w["key"] for w in answer.json()["warnings"]]
        keys.extend(page)
        if len(page) < MAX_PAGE:
            return keys


def test_a_busy_sky_is_taken_at_once_journaled_within_bounds_and_read_in_pages(pair: Pair):
    red, blue = in_one_area("R", TRACKS, 1), in_one_area("B", TRACKS, 2)
    every_pair = {
        approach_key(TrackRef("BLUE", b["track_id"]), TrackRef("RED", r["track_id"]))
        for b in blue
        for r in red
    }
    started = time.monotonic()
    with ExitStack() as fresh:  # the warnings read in pages stay open throughout
        assert post(pair.red, red) < POST_BOUND_S
        fresh.enter_context(kept_fresh(pair.red, "R", 1))
        wait_for(lambda: len(get(pair.blue, "/api/v1/tracks")["tracks"]) == TRACKS, what="RED's")
        assert post(pair.blue, blue) < POST_BOUND_S
        fresh.enter_context(kept_fresh(pair.blue, "B", 2))
        for node in (pair.blue, pair.red):
            wait_for(lambda n=node: open_count(n) == len(every_pair), what="all the warnings")

        assert set(every_page(pair.blue)) == every_pair
    elapsed = time.monotonic() - started
    for node in (pair.blue, pair.red):
        journaled = proximity_entries(node)
        # Each warning opened is journaled one by one or counted in a summary, once.
        listed = [e for e in journaled if e["kind"] == "proximity.opened"]
        counted = sum(e["data"]["opened"] for e in journaled if e["kind"] == "proximity.summary")
        assert len(listed) + counted == len(every_pair)
        assert {e["data"]["key"] for e in listed} <= every_pair
        # Within the bound of the cycles that passed, in entries and in bytes.
        cycles = math.ceil(elapsed / JOURNAL_CYCLE_S) + 1
        assert len(journaled) <= cycles * (ENTRIES_PER_CYCLE + 1)
        told = sum(len(json.dumps(e["data"])) for e in journaled)
        assert told <= cycles * (RECORD_BYTES_PER_CYCLE + SUMMARY_BYTES)

    # Both parties stop reporting: the tracks go stale, the warnings lapse...
    before = {node.url: len(proximity_entries(node)) for node in (pair.blue, pair.red)}
    for node in (pair.blue, pair.red):
        wait_for(lambda n=node: open_count(n) == 0, timeout=STALE_AFTER_S * 4, what="stale")
    gone = time.monotonic()
    # ... and come back within the grace period: the same episodes, nothing journaled.
    post(pair.red, in_one_area("R", TRACKS, 3))
    post(pair.blue, in_one_area("B", TRACKS, 4))
    for node in (pair.blue, pair.red):
        wait_for(lambda n=node: open_count(n) == len(every_pair), what="the warnings back")
    time.sleep(2 * JOURNAL_CYCLE_S)  # a cycle that would tell of them has passed
    assert time.monotonic() - gone < GRACE_S
    for node in (pair.blue, pair.red):
        assert len(proximity_entries(node)) == before[node.url]

    assert_flash_gets_through(pair.blue, pair.red, "RED")
