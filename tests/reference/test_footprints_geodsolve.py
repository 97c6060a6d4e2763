"""Footprint distances against GeographicLib's GeodSolve, the reference implementation.

Near-touching cases are built with GeodSolve's direct problem: a geodesic edge A-B through a
midpoint M at a given azimuth, and a point P at a perpendicular offset d from M (5 mm, 2 cm,
1 m, 1 km, on either side). P is the tip of a triangle pointing at the edge, or the nearest
point of a circle; on the outer side the distance is d (P's nearest point on the edge is M),
on the inner side the footprints overlap (0). Each GeodSolve mode runs once for the module,
with every input on standard input.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import pytest
from pyproj import Geod

from openline.domain.volumes import Circle, Footprint, Polygon
from openline.geo.footprints import Shape, distance_m, distances_m
from tests.support.geographiclib import GeodSolve, geodsolve_runner, lon180

GEOD = Geod(ellps="WGS84")
TOLERANCE_M = 0.01
Point = tuple[float, float]  # lon, lat


@dataclass(frozen=True)
class Edge:
    """An edge's midpoint (lat, lon), its azimuth there and half its length."""

    name: str
    lat: float
    lon: float
    azimuth: float
    half_m: float


EDGES = [
    Edge("mid-latitudes, north-south", 35.0, 36.0, 0.0, 100_000),
    Edge("mid-latitudes, oblique", 35.0, 36.0, 63.0, 240_000),
    Edge("a 490 km east-west edge at 60 N", 60.0, 10.0, 90.0, 245_000),
    Edge("southern ocean", -45.0, 170.0, 137.0, 150_000),
    Edge("on the antimeridian, at the equator", 0.0, 180.0, 10.0, 100_000),
    Edge("across the antimeridian, east-west", 10.0, -179.999, 90.0, 50_000),
    Edge("near the north pole, tangent", 89.9, 45.0, 90.0, 10_000),
    Edge("near the north pole, towards it", 89.9, 45.0, 20.0, 5_000),
    Edge("near the south pole", -89.93, -120.0, 30.0, 6_000),
]
OFFSETS_M = [0.005, 0.02, 1.0, 1_000.0, -0.005, -0.02, -1.0, -1_000.0]
CIRCLE_RADIUS_M = 500.0


@pytest.fixture(scope="module")
def geodsolve() -> GeodSolve:
    """Run GeodSolve once over many lines; the numbers of each output line."""
    return geodsolve_runner()


@dataclass(frozen=True)
class Case:
    edge: Edge
    offset_m: float
    first: Footprint  # the triangle A, B, C with the edge A-B
    tip: Footprint  # a triangle pointing at M from P
    circle: Footprint  # a circle whose nearest point to the edge is P

    @property
    def expected_m(self) -> float:
        return max(0.0, self.offset_m)


@pytest.fixture(scope="module")
def cases(geodsolve: GeodSolve) -> list[Case]:
    """Every edge with every offset, each point found by GeodSolve's direct problem."""
    lines, keys = [], []
    for edge in EDGES:
        depth = edge.half_m / 2
        moves = {"A": (edge.azimuth + 180, edge.half_m), "B": (edge.azimuth, edge.half_m),
                 "C": (edge.azimuth - 90, depth)}  # fmt: skip
        for d in OFFSETS_M:
            moves[f"P{d}"] = (edge.azimuth + 90, d)
            moves[f"O{d}"] = (edge.azimuth + 90, d + CIRCLE_RADIUS_M)
        for key, (azimuth, distance) in moves.items():
            lines.append(f"{edge.lat} {edge.lon} {azimuth} {distance}")
            keys.append((edge.name, key))
    found = dict(zip(keys, geodsolve([], lines), strict=True))
    out = []
    for edge in EDGES:
        a, b, c = (_point(found[edge.name, k]) for k in "ABC")
        first = Polygon(((a, b, c, a),))
        for d in OFFSETS_M:
            lat, lon, azimuth = found[edge.name, f"P{d}"]
            away = azimuth if d > 0 else azimuth + 180  # from the edge, through P
            tip = _triangle((lon180(lon), lat), away, edge.half_m / 4)
            centre = _point(found[edge.name, f"O{d}"])
            circle = Circle(lat=centre[1], lon=centre[0], radius_m=CIRCLE_RADIUS_M)
            out.append(Case(edge, d, first, tip, circle))
    return out


def _point(solution: list[float]) -> Point:
    return (lon180(solution[1]), solution[0])


def _triangle(tip: Point, away: float, size: float) -> Polygon:
    """A triangle with its tip at ``tip``, opening towards ``away``."""
    legs = [GEOD.fwd(tip[0], tip[1], away + turn, size)[:2] for turn in (-40, 40)]
    corners = [(lon180(float(lon)), float(lat)) for lon, lat in legs]
    return Polygon(((tip, *corners, tip),))


def test_the_cases_cover_every_edge_and_offset(cases: list[Case]) -> None:
    assert len(cases) == len(EDGES) * len(OFFSETS_M)


@pytest.mark.parametrize("shape", ["tip", "circle"])
def test_near_touching_footprints_are_at_geodsolves_offset(cases: list[Case], shape: str) -> None:
    wrong = []
    for case in cases:
        first, second = Shape.of(case.first), Shape.of(getattr(case, shape))
        for got in (distance_m(first, second), distance_m(second, first)):
            if abs(got - case.expected_m) > TOLERANCE_M or (case.expected_m == 0) != (got == 0):
                wrong.append((case.edge.name, case.offset_m, got))
    assert not wrong, f"{len(wrong)} off by over {TOLERANCE_M} m: {wrong[:5]}"


def test_distances_m_agrees_in_one_batch(cases: list[Case]) -> None:
    firsts = [Shape.of(case.first) for case in cases for _ in range(2)]
    seconds = [Shape.of(footprint) for case in cases for footprint in (case.tip, case.circle)]
    expected = np.array([case.expected_m for case in cases for _ in range(2)])
    got = distances_m(firsts, seconds, np.full(len(firsts), 2_000.0))
    assert np.abs(got - expected).max() <= TOLERANCE_M
    assert np.array_equal(got == 0, expected == 0)


def test_the_worst_disagreement_with_geodsolve_is_under_a_micrometre(
    cases: list[Case],
) -> None:
    """The figure docs/deconfliction.md quotes."""
    worst = max(
        abs(distance_m(Shape.of(case.first), Shape.of(case.tip)) - case.expected_m)
        for case in cases
        if case.offset_m > 0
    )
    assert worst < 1e-6


def test_point_distances_are_geodsolves_inverse(geodsolve: GeodSolve) -> None:
    """Two circles of a micrometre are two points: their distance is GeodSolve's inverse,
    worldwide, across the antimeridian and at the poles."""
    rng = random.Random(20261124)
    pairs = []
    for _ in range(2_000):
        lat = math.degrees(math.asin(rng.uniform(-1, 1)))
        lon = rng.uniform(-180, 180)
        far = rng.choice([0.01, 1.0, 100.0, 100_000.0, 2_000_000.0])
        lon2, lat2, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360), far)
        pairs.append((lat, lon, float(lat2), lon180(float(lon2))))
    pairs += [(90.0, 0.0, 89.9, 123.0), (-90.0, 0.0, -89.99, -45.0), (10.0, 179.99, 10.1, -179.99)]
    theirs = geodsolve(["-i"], [f"{a} {b} {c} {d}" for a, b, c, d in pairs])
    dots = [
        (
            Shape.of(Circle(lat=a, lon=b, radius_m=1e-6)),
            Shape.of(Circle(lat=c, lon=d, radius_m=1e-6)),
        )
        for a, b, c, d in pairs
    ]
    ours = distances_m([x for x, _ in dots], [y for _, y in dots], math.inf)
    apart = np.array([s12 for _, _, s12 in theirs]) - 2e-6
    expected = np.where(apart < 0.001, 0.0, apart)  # below a millimetre counts as touching
    assert np.abs(ours - expected).max() < 1e-6
