"""The spatio-temporal index answers exactly as a brute-force box and interval check does,
through rebuilds, tombstones and antimeridian boxes."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from openline.geo.index import Box, VolumeIndex


@dataclass(frozen=True)
class Entry:
    boxes: tuple[Box, ...]
    t0: int
    t1: int
    lower: float
    upper: float


def closed_meet(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 <= b1 and b0 <= a1


def boxes_meet(a: Box, b: Box) -> bool:
    return closed_meet(a[0], a[2], b[0], b[2]) and closed_meet(a[1], a[3], b[1], b[3])


def entries_meet(a: Entry, b: Entry) -> bool:
    return (
        any(boxes_meet(x, y) for x in a.boxes for y in b.boxes)
        and closed_meet(a.t0, a.t1, b.t0, b.t1)
        and closed_meet(a.lower, a.upper, b.lower, b.upper)
    )


def random_box(rng: random.Random) -> tuple[Box, ...]:
    """Boxes on a coarse grid so that shared edges and corners are common; some are points,
    some cross the antimeridian (two boxes)."""
    x0, y0 = rng.randrange(-180, 180, 10), rng.randrange(-90, 90, 10)
    w, h = rng.choice([0, 10, 20, 40]), rng.choice([0, 10, 20])
    y1 = min(y0 + h, 90)
    if x0 + w > 180:
        return ((x0, y0, 180.0, y1), (-180.0, y0, x0 + w - 360.0, y1))
    return ((x0, y0, x0 + w, y1),)


def random_entry(rng: random.Random) -> Entry:
    t0, lower = rng.randrange(0, 100, 10), rng.choice([0.0, 100.0, 200.0])
    return Entry(
        random_box(rng), t0, t0 + rng.choice([0, 10, 30]), lower, lower + rng.choice([0, 100])
    )


class Model:
    """The index and, beside it, the plain dict of what it should hold."""

    def __init__(self, min_buffer: int) -> None:
        self.index = VolumeIndex(min_buffer=min_buffer)
        self.entries: dict[int, Entry] = {}

    def add(self, key: int, e: Entry) -> None:
        self.index.add(key, e.boxes, e.t0, e.t1, e.lower, e.upper)
        self.entries[key] = e

    def remove(self, key: int) -> None:
        self.index.remove(key)
        del self.entries[key]

    def expected_query(self, probe: Entry) -> list[int]:
        return sorted(k for k, e in self.entries.items() if entries_meet(e, probe))

    def expected_pairs(self) -> list[tuple[int, int]]:
        keys = sorted(self.entries)
        return [
            (a, b)
            for i, a in enumerate(keys)
            for b in keys[i + 1 :]
            if entries_meet(self.entries[a], self.entries[b])
        ]

    def check(self, rng: random.Random) -> None:
        assert len(self.index) == len(self.entries)
        for _ in range(5):
            probe = random_entry(rng)
            found = self.index.query(probe.boxes, probe.t0, probe.t1, probe.lower, probe.upper)
            assert found.dtype == np.int64
            assert found.tolist() == self.expected_query(probe)
        pairs = self.index.pairs()
        assert pairs.shape[1] == 2
        assert [tuple(p) for p in pairs.tolist()] == self.expected_pairs()


@pytest.mark.parametrize(("seed", "min_buffer"), [(1, 1), (2, 4), (3, 16), (4, 1024)])
def test_query_and_pairs_match_a_brute_force_check_through_adds_removes_and_rebuilds(
    seed: int, min_buffer: int
) -> None:
    rng = random.Random(seed)
    model = Model(min_buffer)
    next_key = 0
    for _step in range(40):
        for _ in range(rng.randrange(0, 12)):
            model.add(next_key * 7 - 50, random_entry(rng))  # negative keys too
            next_key += 1
        for key in rng.sample(sorted(model.entries), k=min(len(model.entries), rng.randrange(6))):
            model.remove(key)
        model.check(rng)


def test_an_empty_index_finds_nothing() -> None:
    index = VolumeIndex()
    assert index.query([(0, 0, 1, 1)], 0, 10, 0, 10).tolist() == []
    assert index.pairs().shape == (0, 2)


def test_touching_boxes_windows_and_bands_count_as_meeting() -> None:
    index = VolumeIndex(min_buffer=1)
    index.add(1, [(0, 0, 1, 1)], 0, 10, 0, 100)
    index.add(2, [(1, 1, 2, 2)], 10, 20, 100, 200)  # a shared corner, instant and altitude
    assert index.pairs().tolist() == [[1, 2]]
    assert index.query([(2, 2, 3, 3)], 20, 30, 200, 300).tolist() == [2]
    assert index.query([(2.000001, 2, 3, 3)], 20, 30, 200, 300).tolist() == []


def test_an_entry_across_the_antimeridian_is_found_from_either_side_once() -> None:
    index = VolumeIndex(min_buffer=1)
    index.add(5, [(179, 0, 180, 1), (-180, 0, -179, 1)], 0, 10, 0, 10)
    index.add(6, [(-179.5, 0.5, -179, 2)], 0, 10, 0, 10)
    assert index.query([(-180, 0, 180, 1)], 0, 10, 0, 10).tolist() == [5, 6]
    assert index.query([(179.5, 0, 179.6, 0.1)], 0, 10, 0, 10).tolist() == [5]
    assert index.pairs().tolist() == [[5, 6]]


def test_a_removed_key_is_gone_and_a_second_removal_is_a_key_error() -> None:
    index = VolumeIndex(min_buffer=1)
    index.add(1, [(0, 0, 1, 1)], 0, 10, 0, 10)
    index.add(2, [(0, 0, 1, 1)], 0, 10, 0, 10)
    index.remove(1)
    assert 1 not in index
    assert 2 in index
    assert len(index) == 1
    assert index.query([(0, 0, 1, 1)], 0, 10, 0, 10).tolist() == [2]
    with pytest.raises(KeyError):
        index.remove(1)


@pytest.mark.parametrize(
    ("boxes", "t0", "t1", "lower", "upper"),
    [
        ([(1, 0, 0, 1)], 0, 10, 0, 10),  # min_lon above max_lon
        ([(0, 0, float("nan"), 1)], 0, 10, 0, 10),
        ([(0, 0, 1, 1)], 10, 0, 0, 10),  # time window backwards
        ([(0, 0, 1, 1)], 0, 10, 10, 0),  # altitude band upside down
    ],
)
def test_an_empty_or_non_finite_entry_is_refused(
    boxes: list[Box], t0: int, t1: int, lower: float, upper: float
) -> None:
    index = VolumeIndex()
    with pytest.raises(ValueError, match="empty"):
        index.add(1, boxes, t0, t1, lower, upper)
    assert len(index) == 0


def test_adding_a_stored_key_again_is_a_key_error() -> None:
    index = VolumeIndex()
    index.add(1, [(0, 0, 1, 1)], 0, 10, 0, 10)
    with pytest.raises(KeyError):
        index.add(1, [(0, 0, 1, 1)], 0, 10, 0, 10)


def test_windows_far_longer_than_the_time_slabs_are_still_found_exactly() -> None:
    # Mostly instants, so the slabs are narrow; one window in ten covers many slabs.
    rng = random.Random(7)
    model = Model(min_buffer=8)
    for key in range(300):
        t0 = rng.randrange(0, 10**7)
        t1 = t0 + (rng.randrange(0, 10**7) if key % 10 == 0 else rng.randrange(0, 3))
        model.add(key, Entry(random_box(rng), t0, t1, 0.0, 0.0))
    probe = Entry(((-180, -90, 180, 90),), 5 * 10**6, 5 * 10**6 + 1, 0.0, 0.0)
    assert model.index.query(probe.boxes, probe.t0, probe.t1, 0.0, 0.0).tolist() == (
        model.expected_query(probe)
    )
    assert [tuple(p) for p in model.index.pairs().tolist()] == model.expected_pairs()
    model.check(rng)
