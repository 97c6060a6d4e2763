"""The indexed detection finds exactly the pairs a brute-force check of every pair finds, on
random sets that touch, nest, cross the antimeridian and reach near the pole; the answer is
symmetric and depends neither on the order of insertion nor on removals and re-additions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.domain.volumes import Limits, parse_volume
from openline.geo.detection import Detector, Hit
from openline.geo.footprints import Shape, distances_m

KINDS = 3
NAN3 = (float("nan"),) * 3


@dataclass(frozen=True)
class Place:
    """A small grid of lon/lat points where random volumes are drawn, so that they often share
    vertices and edges, nest, or just miss."""

    lon: float
    lat: float
    step_lon: float
    step_lat: float
    metres: float  # about one step, for circle radii

    def point(self, i: int, j: int) -> list[float]:
        lon = (self.lon + i * self.step_lon + 180.0) % 360.0 - 180.0
        return [round(lon, 9), round(self.lat + j * self.step_lat, 9)]


PLACES = [
    Place(36.0, 35.0, 0.01, 0.01, 1000.0),  # Syria
    Place(179.97, -16.0, 0.01, 0.01, 1000.0),  # Fiji: across the antimeridian
    Place(-40.0, 89.2, 4.0, 0.07, 3000.0),  # near the North Pole (up to 89.83°)
]


@dataclass(frozen=True)
class Volume:
    key: int
    shape: Shape
    kind: int
    owner: int
    t0: int
    t1: int
    lower: float
    upper: float

    def add_to(self, detector: Detector) -> None:
        detector.add(
            self.key,
            self.shape,
            kind=self.kind,
            owner=self.owner,
            t0_ms=self.t0,
            t1_ms=self.t1,
            lower_m=self.lower,
            upper_m=self.upper,
        )


def footprint_json(draw: st.DrawFn, place: Place) -> dict[str, object]:
    i, j = draw(st.integers(0, 6)), draw(st.integers(0, 6))
    figure = draw(st.sampled_from(["rectangle", "triangle", "two", "circle", "corridor"]))
    if figure == "circle":
        radius = place.metres * draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))
        lon, lat = place.point(i, j)
        return {"circle": {"lat": lat, "lon": lon, "radius_m": radius}}
    w, h = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    corners = [(i, j), (i + w, j), (i + w, j + h), (i, j + h)]
    if figure == "corridor":  # along three sides of the rectangle
        width = place.metres * draw(st.sampled_from([0.25, 0.5, 1.0]))
        return {"corridor": {"path": [place.point(*c) for c in corners[:3]], "half_width_m": width}}
    if figure == "triangle":
        corners = corners[:3]
    ring = [place.point(*c) for c in [*corners, corners[0]]]
    if figure != "two":
        return {"geometry": {"type": "Polygon", "coordinates": [ring]}}
    far = [place.point(x + 6, y) for x, y in [*corners, corners[0]]]  # a second, apart
    return {"geometry": {"type": "MultiPolygon", "coordinates": [[ring], [far]]}}


@st.composite
def volume_sets(draw: st.DrawFn) -> list[Volume]:
    place = draw(st.sampled_from(PLACES))
    volumes = []
    size = draw(st.integers(2, 40))
    keys = draw(st.lists(st.integers(-1000, 1000), min_size=size, max_size=size, unique=True))
    for key in keys:
        t0 = draw(st.integers(0, 5)) * 600_000
        lower = draw(st.sampled_from([0.0, 100.0, 250.0]))
        parsed = parse_volume(
            {
                **footprint_json(draw, place),
                "altitude_lower_m": lower,
                "altitude_upper_m": lower + draw(st.sampled_from([0.0, 100.0])),
                "time_start": "2026-12-03T12:00:00Z",
                "time_end": "2026-12-03T13:00:00Z",
            },
            index=0,
            limits=Limits(),
        )
        v = Volume(
            key,
            Shape.of(parsed.footprint),
            draw(st.integers(0, KINDS - 1)),
            draw(st.integers(0, 2)),
            t0,
            t0 + draw(st.sampled_from([0, 600_000, 1_200_000])),
            parsed.altitude_lower_m,
            parsed.altitude_upper_m,
        )
        volumes.append(v)
    return volumes


MINIMA_CHOICES = [NAN3, (0.0, 0.0, 0.0), (500.0, 100.0, 60.0), (2000.0, 200.0, 600.0), (0.0, 0, 0)]


@st.composite
def minima_tables(draw: st.DrawFn) -> np.ndarray:
    if draw(st.integers(0, 3)) == 0:
        return np.zeros((KINDS, KINDS, 2, 3))  # a conflict is exactly a 4D intersection
    table = np.full((KINDS, KINDS, 2, 3), np.nan)
    for a in range(KINDS):
        for b in range(a, KINDS):
            for same in (0, 1):
                table[a, b, same] = table[b, a, same] = draw(st.sampled_from(MINIMA_CHOICES))
    return table


def detector_of(minima: np.ndarray, volumes: list[Volume], min_buffer: int = 1024) -> Detector:
    detector = Detector(minima, min_buffer=min_buffer)
    for v in volumes:
        v.add_to(detector)
    return detector


def brute_force_hits(minima: np.ndarray, volumes: list[Volume]) -> list[Hit]:
    """Every conflicting pair among ``volumes``, sorted by ``(a, b)``: each pair checked as
    geo/detection.py defines a conflict, with no index (the reference)."""
    hits = []
    for x, y in combinations(sorted(volumes, key=lambda v: v.key), 2):
        lateral_m, vertical_m, time_s = minima[x.kind, y.kind, int(x.owner == y.owner)]
        time_gap = max(0, max(x.t0, y.t0) - min(x.t1, y.t1))
        band_gap = max(0.0, max(x.lower, y.lower) - min(x.upper, y.upper))
        if time_gap <= time_s * 1000.0 and band_gap <= vertical_m:  # never where NaN
            (distance,) = distances_m([x.shape], [y.shape], within_m=lateral_m)
            if distance <= lateral_m:
                hits.append(Hit(x.key, y.key, float(distance)))
    return hits


PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(volume_sets(), minima_tables(), st.randoms(use_true_random=False))
def test_indexed_detection_finds_exactly_the_brute_force_pairs_in_any_order(
    volumes: list[Volume], minima: np.ndarray, rnd: random.Random
) -> None:
    detector = detector_of(minima, volumes, min_buffer=3)
    found = detector.all_hits()
    assert found == brute_force_hits(minima, volumes)
    assert all(h.a < h.b and h.distance_m >= 0.0 for h in found)
    shuffled = list(volumes)
    rnd.shuffle(shuffled)
    assert detector_of(minima, shuffled).all_hits() == found


@PROPERTY
@given(volume_sets(), minima_tables())
def test_each_volume_s_hits_are_the_pairs_that_name_it_seen_from_either_side(
    volumes: list[Volume], minima: np.ndarray
) -> None:
    detector = detector_of(minima, volumes, min_buffer=2)
    found = detector.all_hits()
    for v in volumes:
        assert detector.hits_for(v.key) == [h for h in found if v.key in (h.a, h.b)]


@PROPERTY
@given(volume_sets(), minima_tables(), st.data())
def test_removing_and_adding_back_gives_the_same_hits(
    volumes: list[Volume], minima: np.ndarray, data: st.DataObject
) -> None:
    detector = detector_of(minima, volumes, min_buffer=2)
    before = detector.all_hits()
    gone = data.draw(st.lists(st.sampled_from(volumes), unique_by=lambda v: v.key))
    for v in gone:
        detector.remove(v.key)
    keys = {v.key for v in gone}
    assert detector.all_hits() == [h for h in before if not {h.a, h.b} & keys]
    assert detector.all_hits() == brute_force_hits(
        minima, [v for v in volumes if v.key not in keys]
    )
    for v in gone:
        v.add_to(detector)
    assert detector.all_hits() == before


# --- examples ---------------------------------------------------------------------------------


def square(lon: float, lat: float, size: float = 0.01) -> Shape:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 100,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T13:00:00Z",
    }
    return Shape.of(parse_volume(volume, index=0, limits=Limits()).footprint)


def test_two_squares_sharing_an_edge_conflict_at_zero_minima_at_distance_zero() -> None:
    detector = Detector(np.zeros((1, 1, 2, 3)))
    a = Volume(1, square(36.0, 35.0), 0, 0, 0, 10, 0.0, 100.0)
    b = Volume(2, square(36.01, 35.0), 0, 1, 10, 20, 100.0, 200.0)  # touching in 4D
    c = Volume(3, square(36.03, 35.0), 0, 1, 0, 20, 0.0, 200.0)  # 900 m away
    for v in (a, b, c):
        v.add_to(detector)
    assert detector.all_hits() == [Hit(1, 2, 0.0)]


def test_a_pair_of_kinds_without_minima_never_conflicts() -> None:
    table = np.zeros((2, 2, 2, 3))
    table[0, 1] = table[1, 0] = np.nan
    detector = Detector(table)
    Volume(1, square(36.0, 35.0), 0, 0, 0, 10, 0.0, 100.0).add_to(detector)
    Volume(2, square(36.0, 35.0), 1, 1, 0, 10, 0.0, 100.0).add_to(detector)
    assert detector.all_hits() == []


def test_lateral_minima_reach_a_neighbour_at_the_right_distance() -> None:
    table = np.zeros((1, 1, 2, 3))
    table[0, 0, 0] = (1000.0, 0.0, 0.0)
    detector = Detector(table)
    Volume(1, square(36.0, 35.0), 0, 0, 0, 10, 0.0, 100.0).add_to(detector)
    Volume(2, square(36.02, 35.0), 0, 1, 0, 10, 0.0, 100.0).add_to(detector)  # about 910 m
    (hit,) = detector.all_hits()
    assert (hit.a, hit.b) == (1, 2)
    assert 900.0 < hit.distance_m < 920.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (np.zeros((2, 2, 3)), "shape"),
        (np.zeros((2, 3, 2, 3)), "shape"),
        (np.array([[[[1.0, 0, 0]] * 2, [[2.0, 0, 0]] * 2]] * 2), "symmetric"),
        (np.full((1, 1, 2, 3), -1.0), "at least 0"),
        (np.array([[[[np.nan, 0, 0]] * 2]]), "mixes NaN"),
    ],
)
def test_a_bad_minima_table_is_refused(table: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Detector(table)


def test_a_stored_key_is_refused_and_an_absent_one_cannot_be_removed() -> None:
    detector = Detector(np.zeros((1, 1, 2, 3)))
    v = Volume(1, square(36.0, 35.0), 0, 0, 0, 10, 0.0, 100.0)
    v.add_to(detector)
    with pytest.raises(KeyError):
        v.add_to(detector)
    detector.remove(1)
    with pytest.raises(KeyError):
        detector.remove(1)
    assert len(detector) == 0
