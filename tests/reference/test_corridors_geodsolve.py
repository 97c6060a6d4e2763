"""Corridor distances against GeographicLib's GeodSolve, the reference implementation.

Two sets of cases, each answered by Openline's engine and, independently, by GeodSolve alone:

- near-touching: a corridor along each edge of the polygon reference tests (mid-latitudes,
  across the antimeridian, near both poles), and a triangle's tip, a circle's nearest point or
  a second corridor's end put by GeodSolve's direct problem at the half width plus an offset
  (5 mm, 2 cm, 1 m, 1 km, on either side) from a point of the path: the distance is the offset
  when it is positive, 0 when the footprints overlap;
- random: corridor pairs and corridor-polygon pairs around random places of the world (and
  across the antimeridian, and within a degree of the poles), whose distance GeodSolve gives by
  brute force: whether legs cross or a vertex lies inside the polygon (azimuths from the
  inverse problem), else the least distance from every vertex to every leg or edge (a
  golden-section search along it, each step a direct and an inverse problem), less the half
  widths. Half the pairs are then made near-touching by choosing the widths from that distance.

Agreement means: the same answer to "do they conflict" (distance 0), and distances within 1 cm.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import numpy as np
import pytest
from pyproj import Geod

from openline.domain.volumes import Circle, Corridor, Footprint, Polygon
from openline.geo.footprints import Shape, distances_m
from tests.reference.test_footprints_geodsolve import EDGES, OFFSETS_M, Edge
from tests.support.geographiclib import GeodSolve, geodsolve_runner, lon180

GEOD = Geod(ellps="WGS84")  # builds the random shapes only; the reference is GeodSolve's
TOLERANCE_M = 0.01
TOUCHING_M = 0.001
HALF_WIDTH_M = 1_500.0  # over every offset: the other footprint stays on its side
SECOND_HALF_WIDTH_M = 120.0
CIRCLE_RADIUS_M = 500.0
GOLDEN_STEPS = 48  # the interval shrinks to 0.618^48 of a leg: under 0.1 mm for 30 km
Point = tuple[float, float]  # lon, lat


@pytest.fixture(scope="module")
def geodsolve() -> GeodSolve:
    return geodsolve_runner()


# --- near-touching cases ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    edge: Edge
    offset_m: float
    corridor: Corridor  # along the edge, turning away from the other footprints at its end
    other: dict[str, Footprint]  # tip, circle, corridor: each offset_m from the corridor

    @property
    def expected_m(self) -> float:
        return max(0.0, self.offset_m)


@pytest.fixture(scope="module")
def near_cases(geodsolve: GeodSolve) -> list[Case]:
    lines, keys = [], []
    for edge in EDGES:
        moves = {"A": (edge.azimuth + 180, edge.half_m), "B": (edge.azimuth, edge.half_m)}
        for d in OFFSETS_M:
            moves[f"P{d}"] = (edge.azimuth + 90, HALF_WIDTH_M + d)
            moves[f"O{d}"] = (edge.azimuth + 90, HALF_WIDTH_M + d + CIRCLE_RADIUS_M)
            moves[f"Q{d}"] = (edge.azimuth + 90, HALF_WIDTH_M + d + SECOND_HALF_WIDTH_M)
        for key, (azimuth, distance) in moves.items():
            lines.append(f"{edge.lat} {edge.lon} {azimuth} {distance}")
            keys.append((edge.name, key))
    found = dict(zip(keys, geodsolve([], lines), strict=True))
    cases = []
    for edge in EDGES:
        a, b = _point(found[edge.name, "A"]), _point(found[edge.name, "B"])
        # The path goes on from B away from the other side, so the nearest point stays M.
        turn = _moved(b, _back_azimuth(found[edge.name, "B"]) - 90, edge.half_m / 2)
        corridor = Corridor((a, b, turn), HALF_WIDTH_M)
        for d in OFFSETS_M:
            away = found[edge.name, f"P{d}"][2]  # on from the path through P
            tip = _triangle(_point(found[edge.name, f"P{d}"]), away, edge.half_m / 4)
            centre = _point(found[edge.name, f"O{d}"])
            circle = Circle(lat=centre[1], lon=centre[0], radius_m=CIRCLE_RADIUS_M)
            q_lat, q_lon, q_azimuth = found[edge.name, f"Q{d}"]
            q = (lon180(q_lon), q_lat)
            second = Corridor((q, _moved(q, q_azimuth, 2_000.0)), SECOND_HALF_WIDTH_M)
            others: dict[str, Footprint] = {"tip": tip, "circle": circle, "corridor": second}
            cases.append(Case(edge, d, corridor, others))
    return cases


def _point(solution: list[float]) -> Point:
    return (lon180(solution[1]), solution[0])


def _back_azimuth(solution: list[float]) -> float:
    return solution[2]  # GeodSolve's azi2: the direction of travel at the end


def _moved(start: Point, azimuth: float, metres: float) -> Point:
    lon, lat, _ = GEOD.fwd(start[0], start[1], azimuth, metres)
    return (lon180(float(lon)), float(lat))


def _triangle(tip: Point, away: float, size: float) -> Polygon:
    corners = [_moved(tip, away + turn, size) for turn in (-40, 40)]
    return Polygon(((tip, *corners, tip),))


@pytest.mark.parametrize("other", ["tip", "circle", "corridor"])
def test_near_touching_corridors_are_at_geodsolves_offset(
    near_cases: list[Case], other: str
) -> None:
    firsts = [Shape.of(case.corridor) for case in near_cases]
    seconds = [Shape.of(case.other[other]) for case in near_cases]
    expected = np.array([case.expected_m for case in near_cases])
    for got in (distances_m(firsts, seconds, math.inf), distances_m(seconds, firsts, math.inf)):
        wrong = [
            (case.edge.name, case.offset_m, float(g))
            for case, g in zip(near_cases, got, strict=True)
            if abs(g - case.expected_m) > TOLERANCE_M or (g == 0) != (case.expected_m == 0)
        ]
        assert not wrong, f"{len(wrong)} off by over {TOLERANCE_M} m: {wrong[:5]}"
    assert len(expected) == len(EDGES) * len(OFFSETS_M)


# --- random cases, GeodSolve by brute force ----------------------------------------------


def _random_place(rng: random.Random) -> Point:
    where = rng.random()
    if where < 0.2:  # across the antimeridian
        return (rng.choice([179.95, -179.95]), rng.uniform(-70, 70))
    if where < 0.35:  # within a degree of a pole
        return (rng.uniform(-180, 180), rng.choice([1, -1]) * rng.uniform(89.0, 89.8))
    return (rng.uniform(-180, 180), math.degrees(math.asin(rng.uniform(-0.97, 0.97))))


def _random_path(rng: random.Random, near: Point) -> tuple[Point, ...]:
    start = _moved(near, rng.uniform(0, 360), rng.uniform(0, 15_000))
    path, heading = [start], rng.uniform(0, 360)
    for _ in range(rng.randint(1, 3)):
        heading += rng.uniform(-60, 60)
        path.append(_moved(path[-1], heading, rng.uniform(2_000, 20_000)))
    return tuple(path)


def _random_polygon(rng: random.Random, near: Point) -> Polygon:
    centre = _moved(near, rng.uniform(0, 360), rng.uniform(0, 15_000))
    first = rng.uniform(0, 360)
    turns = sorted(rng.uniform(0, 330) for _ in range(rng.randint(3, 5)))
    ring = [_moved(centre, first + t, rng.uniform(2_000, 12_000)) for t in turns]
    return Polygon(((*ring, ring[0]),))


class BruteForce:
    """Distances between paths and rings by GeodSolve alone, many at once."""

    def __init__(self, geodsolve: GeodSolve) -> None:
        self.geodsolve = geodsolve

    def inverse(self, pairs: list[tuple[Point, Point]]) -> np.ndarray:
        """Per pair: azimuth at the first point, azimuth at the second, distance."""
        lines = [f"{p[1]} {p[0]} {q[1]} {q[0]}" for p, q in pairs]
        return np.array(self.geodsolve(["-i"], lines)).reshape(-1, 3)

    def to_segments(self, queries: list[tuple[Point, Point, Point]]) -> np.ndarray:
        """The least distance from each point to each geodesic segment (point, start, end)."""
        if not queries:
            return np.zeros(0)
        legs = self.inverse([(a, b) for _, a, b in queries])
        azimuth, length = legs[:, 0], legs[:, 2]
        lo, hi = np.zeros(len(queries)), length.copy()
        ratio = (math.sqrt(5) - 1) / 2
        x1, x2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        d1, d2 = self._from_along(queries, azimuth, x1), self._from_along(queries, azimuth, x2)
        for _ in range(GOLDEN_STEPS):  # one new point per step: the other is kept
            left = d1 < d2
            lo, hi = np.where(left, lo, x1), np.where(left, x2, hi)
            x1, x2 = (
                np.where(left, hi - ratio * (hi - lo), x2),
                np.where(left, x1, lo + ratio * (hi - lo)),
            )
            d1, d2 = np.where(left, np.nan, d2), np.where(left, d1, np.nan)
            new = np.where(left, x1, x2)
            fresh = self._from_along(queries, azimuth, new)
            d1, d2 = np.where(left, fresh, d1), np.where(left, d2, fresh)
        ends = self.inverse([(p, a) for p, a, _ in queries] + [(p, b) for p, _, b in queries])
        n = len(queries)
        middle = self._from_along(queries, azimuth, (lo + hi) / 2)
        return np.minimum(np.minimum(ends[:n, 2], ends[n:, 2]), middle)

    def _from_along(
        self, queries: list[tuple[Point, Point, Point]], azimuth: np.ndarray, along: np.ndarray
    ) -> np.ndarray:
        lines = [
            f"{a[1]} {a[0]} {az} {s}"
            for (_, a, _), az, s in zip(queries, azimuth, along, strict=True)
        ]
        moved = self.geodsolve([], lines)
        return self.inverse(
            [((lon180(m[1]), m[0]), p) for m, (p, _, _) in zip(moved, queries, strict=True)]
        )[:, 2]

    def sides(self, queries: list[tuple[Point, Point, Point]]) -> np.ndarray:
        """The side of each point from each segment (start, end): the sign of the turn from
        the segment's azimuth to the point's, at its start."""
        azimuths = self.inverse([(a, b) for _, a, b in queries] + [(a, p) for p, a, _ in queries])
        n = len(queries)
        turn = (azimuths[n:, 0] - azimuths[:n, 0] + 180.0) % 360.0 - 180.0
        return np.sign(turn)


def _legs(path: tuple[Point, ...]) -> list[tuple[Point, Point]]:
    return list(itertools.pairwise(path))


@dataclass(frozen=True)
class Pair:
    first: tuple[Point, ...]  # a corridor's path
    second: tuple[Point, ...]  # another path, or a polygon's closed ring
    closed: bool  # second is a polygon's ring


def brute_core_distances(brute: BruteForce, pairs: list[Pair]) -> np.ndarray:
    """The distance between the first path and the second path or polygon, by GeodSolve:
    0 when legs cross or a vertex of the path is inside the polygon."""
    crossings, points, windings = [], [], []
    for k, pair in enumerate(pairs):
        for a, b in _legs(pair.first):
            for c, d in _legs(pair.second):
                crossings.append((k, (a, b), (c, d)))
        for p in pair.first:
            points += [(k, p, c, d) for c, d in _legs(pair.second)]
        for p in pair.second:
            points += [(k, p, a, b) for a, b in _legs(pair.first)]
        if pair.closed:
            windings += [(k, p, pair.second) for p in pair.first]
    cores = np.full(len(pairs), math.inf)
    near = brute.to_segments([(p, a, b) for _, p, a, b in points])
    np.minimum.at(cores, [k for k, *_ in points], near)
    sides = brute.sides(
        [(c, a, b) for _, (a, b), (c, _) in crossings]
        + [(d, a, b) for _, (a, b), (_, d) in crossings]
        + [(a, c, d) for _, (a, _), (c, d) in crossings]
        + [(b, c, d) for _, (_, b), (c, d) in crossings]
    ).reshape(4, -1)
    crossed = (sides[0] * sides[1] < 0) & (sides[2] * sides[3] < 0)
    cores[[k for (k, *_), x in zip(crossings, crossed, strict=True) if x]] = 0.0
    azimuths = brute.inverse([(point, v) for _, point, ring in windings for v in ring])[:, 0]
    first = 0
    for k, _, ring in windings:
        turns = (np.diff(azimuths[first : first + len(ring)]) + 180.0) % 360.0 - 180.0
        first += len(ring)
        if abs(turns.sum()) > 180.0:
            cores[k] = 0.0
    return cores


def _widened(core: np.ndarray, widths: np.ndarray) -> np.ndarray:
    apart = core - widths
    return np.where(apart < TOUCHING_M, 0.0, apart)


@pytest.fixture(scope="module")
def random_pairs(geodsolve: GeodSolve) -> tuple[list[Pair], np.ndarray]:
    rng = random.Random(20261207)
    pairs = []
    for n in range(240):
        near = _random_place(rng)
        first = _random_path(rng, near)
        if n % 2:
            ring = _random_polygon(rng, near).rings[0]
            pairs.append(Pair(first, ring, closed=True))
        else:
            pairs.append(Pair(first, _random_path(rng, near), closed=False))
    return pairs, brute_core_distances(BruteForce(geodsolve), pairs)


def _footprints(pair: Pair, widths: tuple[float, float]) -> tuple[Footprint, Footprint]:
    first = Corridor(pair.first, widths[0])
    if pair.closed:
        return first, Polygon((pair.second,))
    return first, Corridor(pair.second, widths[1])


def _check(pairs: list[Pair], widths: list[tuple[float, float]], expected: np.ndarray) -> None:
    footprints = [_footprints(pair, w) for pair, w in zip(pairs, widths, strict=True)]
    firsts = [Shape.of(a) for a, _ in footprints]
    seconds = [Shape.of(b) for _, b in footprints]
    for got in (distances_m(firsts, seconds, math.inf), distances_m(seconds, firsts, math.inf)):
        wrong = [
            (k, float(g), float(e))
            for k, (g, e) in enumerate(zip(got, expected, strict=True))
            if abs(g - e) > TOLERANCE_M or (g == 0) != (e == 0)
        ]
        assert not wrong, f"{len(wrong)} of {len(pairs)} disagree: {wrong[:5]}"


def test_random_corridors_agree_with_geodsolve(
    random_pairs: tuple[list[Pair], np.ndarray],
) -> None:
    pairs, cores = random_pairs
    rng = random.Random(7)
    widths = [(rng.uniform(50, 3_000), rng.uniform(50, 3_000)) for _ in pairs]
    spans = np.array(
        [a + (0.0 if p.closed else b) for p, (a, b) in zip(pairs, widths, strict=True)]
    )
    expected = _widened(cores, spans)
    assert 0 < np.count_nonzero(expected) < len(pairs)  # both answers are asked
    _check(pairs, widths, expected)


@pytest.mark.parametrize("offset_m", [0.005, 0.02, 1.0, -0.005, -0.02, -1.0])
def test_random_near_touching_corridors_agree_with_geodsolve(
    random_pairs: tuple[list[Pair], np.ndarray], offset_m: float
) -> None:
    """The widths are chosen so that the corridors are ``offset_m`` apart (overlapping when
    negative), by GeodSolve's distance between their cores."""
    pairs, cores = random_pairs
    apart = [(p, c) for p, c in zip(pairs, cores, strict=True) if c > 10.0]
    assert len(apart) > 60
    widths = [((c - offset_m) if p.closed else (c - offset_m) / 2,) * 2 for p, c in apart]
    expected = np.full(len(apart), max(offset_m, 0.0))
    _check([p for p, _ in apart], widths, expected)
