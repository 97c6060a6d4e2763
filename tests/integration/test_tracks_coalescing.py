"""A node's tracks: coalesced into track envelopes, warnings journaled once when they open and
once when they clear, and POST /api/v1/tracks refusing bad reports with a clear 422.

A real node directory (SQLite) on a fake clock, started (its conflict finder loaded); each write
returns once committed, so each step is done when its call returns.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from openline.domain.envelopes import Envelope, first_prev, seal
from openline.domain.errors import Unavailable
from openline.domain.proximity_episodes import GRACE_S
from openline.domain.timeutil import format_utc
from openline.domain.tracks import parse_reports
from openline.line.tracks import TrackLoop
from openline.node.assembly import Node
from openline.services import tracks
from openline.services.setup import NewNode
from openline.store import journal as journal_store
from openline.store import line as line_store
from openline.store.writer import UnitOfWork
from tests.support.boxes import ANY_BOX, opened
from tests.support.nodes import FakeClock, InProcess, link, silent_card
from tests.support.tracks import track_report

STOP_BOUND_S = 5.0  # a node stops within this, whatever its finding is doing (loaded machine)


@contextmanager
def started(node_dir: NewNode, clock: FakeClock, **environ: str) -> Iterator[Node]:
    """BLUE, linked to a RED that never answers, started on the fake clock."""
    link(node_dir.directory, silent_card("RED"))
    opened = Node.open(node_dir.directory, environ=environ, clock=clock)
    opened.start()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def node(node_dir: NewNode, clock: FakeClock) -> Iterator[Node]:
    with started(node_dir, clock) as opened:
        yield opened


def report(clock: FakeClock, track_id: str = "B1", *, after_s: float = 0, **changes: Any) -> Any:
    time = format_utc(clock.now + timedelta(seconds=after_s))
    return track_report(track_id, **{"time": time, **changes})


def post(node: Node, *items: dict[str, Any]) -> tracks.Taken:
    return node.write(tracks.report(node, tracks.parse(node, list(items))))


def from_red(node: Node, *items: dict[str, Any]) -> None:
    """RED's track envelope arrives (the receiver has checked its signature and place)."""
    envelope: Envelope = seal(
        envelope_id="env_RED1",
        sender="RED",
        to="BLUE",
        link_seq=1,
        prev=first_prev(),
        sent_at=format_utc(node.clock()),
        kind="track",
        body={"tracks": list(items)},
        sign=lambda _data: b"\0" * 64,
        box=ANY_BOX,
    )
    node.write(lambda uow: tracks.apply_incoming(uow, node, envelope))


def sealed_tracks(node: Node) -> list[list[dict[str, Any]]]:
    """The bodies' tracks of every track envelope waiting for RED."""
    waiting = node.read(lambda conn: line_store.waiting(conn, "RED", limit=1000))
    red = node.read(lambda conn: line_store.get_peer(conn, "RED"))
    assert red is not None
    envelopes = [json.loads(w.envelope) for w in waiting]
    return [
        opened(e, node.key, red.card.public_key)["tracks"]
        for e in envelopes
        if e["kind"] == "track"
    ]


def journaled(node: Node, kind: str) -> list[dict[str, Any]]:
    entries = node.read(lambda conn: journal_store.read_entries(conn, limit=5000))
    return [json.loads(e.data) for e in entries if e.kind == kind]


def tick(node: Node) -> None:
    tracks.tick(node)


def test_only_the_latest_report_of_each_changed_track_crosses_once_per_interval(
    node: Node, clock: FakeClock
):
    post(node, report(clock, "B1"), report(clock, "B2"))
    post(node, report(clock, "B1", after_s=1, lon=38.002))
    tick(node)
    tick(node)  # nothing changed since: nothing sealed

    (crossed,) = sealed_tracks(node)
    assert [(t["track_id"], t["lon"]) for t in crossed] == [("B1", 38.002), ("B2", 38.0)]
    assert crossed[0]["time"] == format_utc(clock.now + timedelta(seconds=1))


def test_reports_too_many_for_one_envelope_are_split_to_fit_the_size_limit(
    node_dir: NewNode, clock: FakeClock
):
    with started(node_dir, clock, OPENLINE_MAX_ENVELOPE_BYTES="4096") as node:  # 10 reports each
        post(node, *(report(clock, f"B{i:02}") for i in range(25)))
        tick(node)

        assert [len(tracks) for tracks in sealed_tracks(node)] == [10, 10, 5]


def test_an_older_report_than_the_one_held_is_superseded(node: Node, clock: FakeClock):
    post(node, report(clock, after_s=5))

    assert post(node, report(clock, after_s=1)) == tracks.Taken(accepted=0, superseded=1)
    assert node.write(tracks.current_tracks(node))[0].to_json()["time"] == format_utc(
        clock.now + timedelta(seconds=5)
    )


def test_tracks_shared_with_none_never_cross(node_dir: NewNode, clock: FakeClock):
    with started(node_dir, clock, OPENLINE_TRACK_SHARE_WITH="none") as node:
        post(node, report(clock))
        tick(node)

        assert sealed_tracks(node) == []


def test_a_warning_is_journaled_once_when_it_opens_and_once_when_it_clears(
    node: Node, clock: FakeClock
):
    from_red(node, report(clock, "R1", lon=38.5, heading_deg=270, alt_m=3100))
    for step in range(5):  # BLUE's track reports every second: the warning stays open
        post(node, report(clock, "B1", lon=38.0 + step * 0.002))
        clock.advance(seconds=1)
        tick(node)

    (opened,) = journaled(node, "proximity.opened")
    (listed,) = (w.to_json() for w in node.write(tracks.current_warnings(node)).warnings)
    assert listed["key"] == opened["key"]
    assert listed["a"]["time"] > opened["a"]["time"]  # the listing has the latest figures
    assert journaled(node, "proximity.cleared") == []

    clock.advance(seconds=node.settings.track_stale_after)
    tick(node)  # both tracks are stale now: the warning lapses, no longer listed

    assert node.write(tracks.current_warnings(node)).warnings == []
    assert node.write(tracks.current_tracks(node)) == []
    assert journaled(node, "proximity.cleared") == []
    clock.advance(seconds=GRACE_S)
    tick(node)  # its grace is over: it clears

    (cleared,) = journaled(node, "proximity.cleared")
    assert cleared["key"] == opened["key"]


def test_a_slow_finding_of_the_warnings_puts_the_next_one_off(
    node: Node, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(tracks, "FINDING_FREE_S", 0.0)  # every finding counts as slow
    monkeypatch.setattr(tracks, "FINDING_SHARE", 1e-9)  # and puts the next off for long
    from_red(node, report(clock, "R1", lon=38.5, heading_deg=270, alt_m=3100))
    post(node, report(clock, "B1"))
    tick(node)
    (opened,) = node.write(tracks.current_warnings(node)).warnings

    post(node, report(clock, "B1", after_s=1, heading_deg=270))  # B1 turns away
    clock.advance(seconds=1)
    tick(node)

    assert node.write(tracks.current_warnings(node)).warnings == [opened]  # not found again yet
    assert node.tracker.tracks_changed


def test_the_warnings_are_found_outside_the_writer_which_goes_on_meanwhile(
    node: Node, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    go_on = threading.Event()
    find = tracks.find_warnings

    def slow_find(*args: Any) -> Any:  # a saturated sky: the finding takes a while
        go_on.wait(timeout=10)
        return find(*args)

    monkeypatch.setattr(tracks, "find_warnings", slow_find)
    from_red(node, report(clock, "R1", lon=38.5, heading_deg=270, alt_m=3100))
    post(node, report(clock, "B1"))
    ticking = threading.Thread(target=tracks.tick, args=(node,))
    ticking.start()
    try:
        post(node, report(clock, "B2", lat=10.0))  # the writer takes a batch meanwhile
        assert ticking.is_alive()
    finally:
        go_on.set()
        ticking.join()

    assert len(node.write(tracks.current_warnings(node)).warnings) == 1


def test_a_node_stops_at_once_while_a_finding_runs_and_holds_nothing_after_its_stop(
    node_dir: NewNode, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    finding, go_on = threading.Event(), threading.Event()
    find = tracks.find_warnings

    def endless_find(*args: Any) -> Any:  # a saturated sky on a loaded machine
        finding.set()
        go_on.wait(timeout=STOP_BOUND_S * 4)
        return find(*args)

    monkeypatch.setattr(tracks, "find_warnings", endless_find)

    async def run_until_a_finding_then_stop(node: Node) -> None:
        loop = TrackLoop(node)
        loop.start()
        while not finding.is_set():
            await asyncio.sleep(0.01)
        await loop.stop()

    with started(node_dir, clock, OPENLINE_TRACK_INTERVAL="0.05") as node:
        from_red(node, report(clock, "R1", lon=38.5, heading_deg=270, alt_m=3100))
        post(node, report(clock, "B1"))
        began = time.monotonic()
        asyncio.run(run_until_a_finding_then_stop(node))  # as the API's lifespan ends
        node.stop()
        took = time.monotonic() - began
        go_on.set()  # the finding ends after the stop: what it found is held nowhere
        for thread in threading.enumerate():
            if thread.name == "openline-track-interval":
                thread.join(timeout=STOP_BOUND_S)

        assert took < STOP_BOUND_S
        with pytest.raises(Unavailable, match="the node is stopping"):
            node.write(tracks.current_warnings(node))
        entries = node.read(lambda conn: journal_store.read_entries(conn, limit=5000))
        assert entries[-1].kind == "node.stopped"
        assert not [e for e in entries if e.kind.startswith("proximity.")]


def test_a_peers_report_already_stale_is_dropped_and_a_malformed_one_refused(
    node: Node, clock: FakeClock
):
    from openline.domain.errors import InvalidInput

    from_red(node, report(clock, "R1", after_s=-node.settings.track_stale_after - 1))
    assert node.write(tracks.current_tracks(node)) == []

    with pytest.raises(InvalidInput, match=r"track: \[0\].lat: 95 is outside -90 to 90"):
        from_red(node, report(clock, "R1", lat=95))


def test_a_rolled_back_operation_leaves_the_tracks_as_they_were(node: Node, clock: FakeClock):
    reports = parse_reports([report(clock)], party="BLUE")

    def fails(uow: UnitOfWork) -> None:
        tracks.report(node, reports)(uow)
        raise RuntimeError("the transaction fails after the tracks changed")

    with pytest.raises(RuntimeError):
        node.write(fails)

    assert node.write(tracks.current_tracks(node)) == []


# --- the API -----------------------------------------------------------------------------------


def test_the_api_takes_reports_and_lists_them_with_the_party(api: InProcess):
    answer = api.client.post("/api/v1/tracks", json=[report(api.clock)])

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "superseded": 0}
    listed = api.client.get("/api/v1/tracks").json()["tracks"]
    assert [(t["party"], t["track_id"]) for t in listed] == [("BLUE", "B1")]
    assert api.client.get("/api/v1/proximity").json() == {"warnings": [], "total": 0}


def test_the_api_pages_the_open_warnings_by_key_and_counts_them_all(api: InProcess):
    from_red(api.node, report(api.clock, "R1", lon=38.5, heading_deg=270, alt_m=3100))
    posted = api.client.post("/api/v1/tracks", json=[report(api.clock, f"B{i}") for i in range(5)])
    assert posted.status_code == 200, posted.text
    tick(api.node)

    pages: list[list[str]] = []
    after = ""
    while after is not None:
        answer = api.client.get("/api/v1/proximity", params={"limit": 2, "after": after})
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == 5
        pages.append([w["key"] for w in answer.json()["warnings"]])
        after = pages[-1][-1] if len(pages[-1]) == 2 else None

    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [w["key"] for w in api.client.get("/api/v1/proximity").json()["warnings"]]
    assert [key for page in pages for key in page] == listed == sorted(listed)  # default: all 5
    for limit in (0, tracks.MAX_PAGE + 1):
        refused = api.client.get("/api/v1/proximity", params={"limit": limit})
        assert refused.status_code == 422, refused.text


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ([{"track_id": "B1"}], "[0].time", "[0].time: missing"),
        ("B1", None, "track reports are a JSON list, got str"),
        ("stale", "[0].time", "older than a track is kept (track_stale_after)"),
        ("ahead", "[0].time", "ahead of this node's clock"),
    ],
)
def test_the_api_refuses_bad_reports_naming_the_item_and_field(
    api: InProcess, body: Any, field: str | None, message: str
):
    if body == "stale":
        body = [report(api.clock, after_s=-61)]
    elif body == "ahead":
        body = [report(api.clock, after_s=61)]

    answer = api.client.post("/api/v1/tracks", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"].get("field") == field
    assert message in answer.json()["error"]["message"]
    assert api.client.get("/api/v1/tracks").json() == {"tracks": []}


def test_the_receiver_applies_a_track_envelope_and_receipts_a_bad_one_as_not_applied(
    node: Node, clock: FakeClock
):
    from openline.line.receiver import apply_batch

    def envelope(link_seq: int, prev: str, lat: float) -> Envelope:
        return seal(
            envelope_id=f"env_RED{link_seq}",
            sender="RED",
            to="BLUE",
            link_seq=link_seq,
            prev=prev,
            sent_at=format_utc(clock.now),
            kind="track",
            body={"tracks": [report(clock, "R1", lat=lat)]},
            sign=lambda _data: b"\0" * 64,
            box=ANY_BOX,
        )

    good = envelope(1, first_prev(), 35.0)
    bad = envelope(2, good.hash, 95.0)

    applied, not_applied = node.write(apply_batch(node, [good, bad], "test"))

    assert applied.receipt is not None
    assert "not_applied" not in applied.receipt
    assert not_applied.receipt is not None
    reason = "track body refused: track: [0].lat: 95 is outside -90 to 90"
    assert not_applied.receipt["not_applied"] == reason
    assert [t.lat for t in node.write(tracks.current_tracks(node))] == [35.0]
    assert [e["reason"] for e in journaled(node, "envelope.not_applied")] == [reason]
    assert journaled(node, "security.envelope_refused") == []
