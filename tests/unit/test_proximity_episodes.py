"""Proximity warnings as episodes: journaled once from opening to clearing, a lapse within the
grace period the same episode, and each cycle's entries coalesced within their bounds.

The clock is the test's: every call is given its time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from openline.domain.canonical import canonical_json
from openline.domain.journal import JournalKind
from openline.domain.proximity_episodes import (
    ENTRIES_PER_CYCLE,
    GRACE_S,
    JOURNAL_CYCLE_S,
    RECORD_BYTES_PER_CYCLE,
    Episodes,
)
from openline.domain.tracks import Approach, ProximityRules, ProximityWarning, WarnedTrack

START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
RULES = ProximityRules(300.0, 9260.0, 300.0)
OPENED, CLEARED, SUMMARY = (
    JournalKind.PROXIMITY_OPENED,
    JournalKind.PROXIMITY_CLEARED,
    JournalKind.PROXIMITY_SUMMARY,
)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def approach(blue: str = "B1", red: str = "R1", *, reported_s: float = 0) -> ProximityWarning:
    time = at(reported_s)
    return Approach.of(
        WarnedTrack("BLUE", blue, time),
        WarnedTrack("RED", red, time),
        cpa_at=time + timedelta(minutes=2),
        lateral_m=100.0,
        vertical_m=50.0,
        rules=RULES,
    )


def found(*warnings: ProximityWarning) -> dict[str, ProximityWarning]:
    return {w.key: w for w in warnings}


def kinds(entries: list[tuple[JournalKind, dict[str, Any]]]) -> list[JournalKind]:
    return [kind for kind, _ in entries]


def test_a_warning_is_journaled_once_as_it_opened_while_the_listing_has_its_latest_figures():
    episodes = Episodes()
    episodes.update(found(approach(reported_s=0)), at(0))
    assert episodes.cycle(at(0)) == [(OPENED, approach(reported_s=0).to_json())]

    for second in range(1, 10):
        episodes.update(found(approach(reported_s=second)), at(second))
        assert episodes.cycle(at(second)) == []

    (held,) = episodes.open.values()
    assert held.opened_at == at(0)
    assert held.warning == approach(reported_s=9)


def test_a_warning_unfound_and_found_again_within_the_grace_period_is_the_same_episode():
    episodes = Episodes()
    episodes.update(found(approach()), at(0))
    episodes.cycle(at(0))

    episodes.update({}, at(1))  # its tracks went stale: no longer listed
    assert episodes.open == {}
    assert episodes.cycle(at(GRACE_S)) == []  # just within the grace
    episodes.update(found(approach(reported_s=GRACE_S)), at(GRACE_S))  # they are back

    assert episodes.cycle(at(GRACE_S + 1)) == []
    assert [w.opened_at for w in episodes.open.values()] == [at(0)]


def test_a_warning_unfound_for_the_grace_period_clears_once_and_a_new_episode_opens_after():
    episodes = Episodes()
    episodes.update(found(approach()), at(0))
    episodes.cycle(at(0))
    episodes.update({}, at(1))
    assert episodes.cycle(at(1)) == []

    assert episodes.cycle(at(1 + GRACE_S)) == [(CLEARED, approach().cleared())]
    assert episodes.cycle(at(2 + GRACE_S)) == []
    assert episodes.idle

    episodes.update(found(approach(reported_s=100)), at(100))
    assert kinds(episodes.cycle(at(100))) == [OPENED]
    assert [w.opened_at for w in episodes.open.values()] == [at(100)]


def test_the_journal_hears_at_most_once_per_cycle_and_of_each_warning_as_it_opened():
    episodes = Episodes()
    episodes.update(found(approach("B1")), at(0))
    assert kinds(episodes.cycle(at(0))) == [OPENED]

    episodes.update(found(approach("B1"), approach("B2")), at(0.5))
    assert episodes.cycle(at(0.5)) == []  # within the cycle: told at the next
    episodes.update(found(approach("B1"), approach("B2", reported_s=0.9)), at(0.9))

    assert episodes.cycle(at(JOURNAL_CYCLE_S)) == [(OPENED, approach("B2").to_json())]


def test_a_warning_opened_and_cleared_between_two_cycles_is_never_journaled():
    episodes = Episodes()
    episodes.update(found(approach("B1")), at(0))
    assert kinds(episodes.cycle(at(0))) == [OPENED]
    episodes.update(found(approach("B1"), approach("B2")), at(0.1))
    episodes.update(found(approach("B1")), at(0.2))
    assert episodes.cycle(at(0.5)) == []

    assert episodes.cycle(at(0.2 + GRACE_S)) == []
    assert list(episodes.open) == [approach("B1").key]
    assert episodes.lapsed == {}


def test_a_busy_cycle_lists_the_first_warnings_by_key_and_counts_the_rest():
    pairs = [approach(f"B{b:03}", f"R{r:03}") for b in range(300) for r in range(300)]
    episodes = Episodes()
    episodes.update(found(*pairs), at(0))

    entries = episodes.cycle(at(0))

    first = sorted(pairs, key=lambda w: w.key)[:ENTRIES_PER_CYCLE]
    assert entries[:-1] == [(OPENED, w.to_json()) for w in first]
    rest = {"opened": 90_000 - ENTRIES_PER_CYCLE, "cleared": 0, "open": 90_000}
    assert entries[-1] == (SUMMARY, rest)
    assert len(episodes.open) == 90_000

    # All of them go stale; the grace passes: the clearing is coalesced the same way.
    episodes.update({}, at(1))
    entries = episodes.cycle(at(1 + GRACE_S))
    assert kinds(entries) == [CLEARED] * ENTRIES_PER_CYCLE + [SUMMARY]
    assert entries[-1][1] == {"opened": 0, "cleared": 90_000 - ENTRIES_PER_CYCLE, "open": 0}


def test_a_cycle_of_the_largest_records_stays_within_its_bytes():
    longest = "X" * 64  # a track_id's most
    pairs = [approach(f"{longest[:-3]}{i:03}", longest) for i in range(100)]
    episodes = Episodes()
    episodes.update(found(*pairs), at(0))

    entries = episodes.cycle(at(0))

    listed = [len(canonical_json(data)) for kind, data in entries if kind is not SUMMARY]
    assert 0 < sum(listed) <= RECORD_BYTES_PER_CYCLE
    assert len(listed) <= ENTRIES_PER_CYCLE
    assert entries[-1] == (SUMMARY, {"opened": 100 - len(listed), "cleared": 0, "open": 100})
