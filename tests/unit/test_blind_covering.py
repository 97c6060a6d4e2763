"""The blind covering never misses a conflict the exact engine finds: on random pairs of
circles, polygons and corridors of two parties, and on pairs placed just inside their minima
(laterally, in time and in height), whenever the conflict finder reports a conflict the two
sides' items meet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from openline.domain.blind import BAND_EDGES_M, Grid, bands, slots, widening
from openline.domain.notifications import Kind, Notification, Status
from openline.domain.separation import separation_rules
from openline.domain.volumes import Circle, Corridor, Footprint, Polygon, Volume4D
from openline.geo.conflict_finder import ConflictFinder
from openline.geo.covering import cells_near, cover_all
from openline.geo.footprints import Shape, distance_m
from openline.geo.geodesy import forward

RULES = separation_rules("default")
KINDS = [
    Kind.AIR_OPERATION,
    Kind.UAV_OPERATION,
    Kind.GROUND_OPERATION,
    Kind.ARTILLERY,
    Kind.PROTECTED_SITE,
    Kind.ZONE,
]
GRIDS = [Grid(6, 1800), Grid(7, 900), Grid(5, 3600)]
NOON = datetime(2026, 12, 7, 12, tzinfo=UTC)


def footprint(figure: str, lon: float, lat: float, size_m: float) -> Footprint:
    step = size_m / 111_000.0
    if figure == "circle":
        return Circle(lat, lon, size_m)
    corners = [(lon, lat), (lon + step, lat), (lon + step, lat + step / 2), (lon, lat + step)]
    if figure == "corridor":
        return Corridor(tuple(corners[:3]), size_m / 4)
    return Polygon(((*corners, corners[0]),))


def shifted(print_: Footprint, azimuth: float, metres: float) -> Footprint:
    """The footprint moved ``metres`` along ``azimuth`` (each position on its own geodesic)."""

    def move(lon: float, lat: float) -> tuple[float, float]:
        x, y, _ = forward(lon, lat, azimuth, metres)
        return float(x[0]), float(y[0])

    if isinstance(print_, Circle):
        lon, lat = move(print_.lon, print_.lat)
        return Circle(lat, lon, print_.radius_m)
    if isinstance(print_, Corridor):
        return Corridor(tuple(move(*p) for p in print_.path), print_.half_width_m)
    assert isinstance(print_, Polygon)
    return Polygon(tuple(tuple(move(*p) for p in ring) for ring in print_.rings))


def notification(ident: str, owner: str, kind: Kind, volume: Volume4D) -> Notification:
    return Notification(ident, owner, kind, "t", Status.PLANNED, (volume,), (), NOON, NOON)


def volume(print_: Footprint, start_s: float, hours: float, lower: float) -> Volume4D:
    start = NOON + timedelta(seconds=start_s)
    return Volume4D(print_, lower, lower + 300.0, start, start + timedelta(hours=hours))


def engine_conflicts(a: Notification, b: Notification) -> bool:
    finder = ConflictFinder(RULES)
    finder.put(a)
    finder.put(b)
    return bool(finder.conflicts_of(a.id))


def items_meet(a: Notification, b: Notification, grid: Grid) -> bool:
    ours = cover_all(((v, widening(RULES, a.kind)) for v in a.volumes), grid)
    theirs = cover_all(((v, widening(RULES, b.kind)) for v in b.volumes), grid)
    return bool(ours & theirs)


figures = st.sampled_from(["circle", "polygon", "corridor"])
kinds = st.sampled_from(KINDS)
# Two notifications' figures and kinds, and the grid they are covered on: in every property.
PAIRS = {
    "figure_a": figures,
    "figure_b": figures,
    "kind_a": kinds,
    "kind_b": kinds,
    "grid": st.sampled_from(GRIDS),
}
UNHURRIED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=60, **UNHURRIED)
@given(
    **PAIRS,
    offset=st.tuples(st.floats(-0.15, 0.15), st.floats(-0.15, 0.15)),
    size=st.tuples(st.floats(200, 6000), st.floats(200, 6000)),
    times=st.tuples(st.integers(-6, 6), st.sampled_from([0.25, 1.0, 3.0])),
    lower=st.sampled_from([0.0, 500.0, 3000.0, 20_000.0]),
)
def test_a_conflict_the_engine_finds_is_never_missed_by_the_covering(
    *, figure_a, figure_b, kind_a, kind_b, offset, size, times, lower, grid
):
    lon, lat = 38.5, 36.0
    a = notification(
        "ntf_a", "BLUE", kind_a, volume(footprint(figure_a, lon, lat, size[0]), 0, 2.0, 0.0)
    )
    print_b = footprint(figure_b, lon + offset[0], lat + offset[1], size[1])
    b = notification("ntf_b", "RED", kind_b, volume(print_b, times[0] * 600, times[1], lower))
    if engine_conflicts(a, b):
        assert items_meet(a, b, grid)


@settings(max_examples=40, **UNHURRIED)
@given(
    **PAIRS,
    azimuth=st.floats(0, 360),
    place=st.sampled_from([(38.5, 36.0), (179.99, -16.0), (10.0, 84.0)]),
)
def test_pairs_just_inside_their_minima_meet_in_the_covering(
    *, figure_a, figure_b, kind_a, kind_b, azimuth, grid, place
):
    found = RULES.rule_for(kind_a, "BLUE", kind_b, "RED")
    if found is None:
        return
    minima = found[1]
    print_a = footprint(figure_a, *place, 1500.0)
    print_b = just_within(print_a, footprint(figure_b, *place, 1000.0), azimuth, minima.lateral_m)
    gap_s = minima.time_s * 0.999
    a = notification("ntf_a", "BLUE", kind_a, volume(print_a, 0, 1.0, 1000.0))
    b_volume = volume(print_b, 3600 + gap_s, 1.0, min(1300.0 + minima.vertical_m * 0.999, 90_000))
    b = notification("ntf_b", "RED", kind_b, b_volume)
    assume(engine_conflicts(a, b))  # a zone touched at its edge is no conflict
    assert items_meet(a, b, grid)


def just_within(fixed: Footprint, moving: Footprint, azimuth: float, lateral_m: float) -> Footprint:
    """``moving`` pushed along ``azimuth`` until it is within 1 m under ``lateral_m`` of
    ``fixed`` (bisection on the exact distance)."""
    target = max(lateral_m - 0.5, 0.0)
    anchor = Shape.of(fixed)
    near, far = 0.0, 200_000.0
    for _ in range(60):
        middle = (near + far) / 2
        if distance_m(anchor, Shape.of(shifted(moving, azimuth, middle))) <= target:
            near = middle
        else:
            far = middle
    return shifted(moving, azimuth, near)


@pytest.mark.parametrize("grid", GRIDS)
def test_a_volume_touches_every_slot_of_its_widened_window_and_no_other(grid):
    start, end = NOON, NOON + timedelta(seconds=grid.slot_s)  # ends on a slot's first instant
    covered = slots(grid, start, end, 0.0)
    assert len(covered) == 2
    assert len(slots(grid, start, end, grid.slot_s)) == 4


def test_bands_reach_every_height_for_a_minimum_at_any_height():
    assert bands(0.0, 100.0, 50_000.0) == range(len(BAND_EDGES_M) + 1)
    assert bands(200.0, 250.0, 0.0) == range(2, 3)


def test_cells_near_a_small_circle_hold_its_centre_and_a_point_at_the_distance():
    cells = set(cells_near(Circle(36.0, 38.5, 100.0), 5000.0, 7))
    assert h3.latlng_to_cell(36.0, 38.5, 7) in cells
    x, y, _ = forward(38.5, 36.0, 45.0, 5099.0)
    assert h3.latlng_to_cell(float(y[0]), float(x[0]), 7) in cells
    x, y, _ = forward(38.5, 36.0, 45.0, 30_000.0)
    assert h3.latlng_to_cell(float(y[0]), float(x[0]), 7) not in cells
