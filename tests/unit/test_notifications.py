"""Notifications and their 4D volumes: every refusal names its place, every valid shape passes."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.domain.errors import Conflict, InvalidInput
from openline.domain.notifications import (
    Kind,
    Notification,
    Status,
    check_transition,
    new_notification,
    parse_notification_draft,
    revise,
    transition,
)
from openline.domain.polygons import find_crossing
from openline.domain.volumes import (
    Circle,
    Limits,
    MultiPolygon,
    Polygon,
    footprint_area_km2,
    parse_volume,
)
from tests.support.oracles import find_crossing_brute

LIMITS = Limits()
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SQUARE = [[36.0, 35.0], [36.5, 35.0], [36.5, 35.5], [36.0, 35.5], [36.0, 35.0]]
HOLE = [[36.1, 35.1], [36.1, 35.2], [36.2, 35.2], [36.2, 35.1], [36.1, 35.1]]


def polygon_volume(*rings: list[list[float]]) -> dict[str, Any]:
    return {
        "geometry": {"type": "Polygon", "coordinates": [copy.deepcopy(r) for r in rings]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 3000,
        "time_start": "2026-12-03T15:00:00+03:00",
        "time_end": "2026-12-03T14:00:00Z",
    }


def multi_volume(*polygons: list[list[list[float]]]) -> dict[str, Any]:
    volume = polygon_volume(SQUARE)
    volume["geometry"] = {"type": "MultiPolygon", "coordinates": copy.deepcopy(list(polygons))}
    return volume


def circle_volume(lat: float = 35.0, lon: float = 36.0, radius_m: float = 5000.0) -> dict[str, Any]:
    volume = polygon_volume(SQUARE)
    del volume["geometry"]
    volume["circle"] = {"lat": lat, "lon": lon, "radius_m": radius_m}
    return volume


def body(*volumes: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "air-operation",
        "title": "CAS north of the river",
        "volumes": list(volumes) or [polygon_volume(SQUARE)],
        "share_with": ["RED", "GREEN"],
    }


def refused(value: dict[str, Any], limits: Limits = LIMITS) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_notification_draft(value, limits=limits)
    return caught.value


def edit(path: str, new: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a valid body: set the member at a dotted path (numbers index lists)."""

    def apply(target: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = target
        for p in parents:
            node = node[p]
        node[last] = new

    return apply


def drop(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(target: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = target
        for p in parents:
            node = node[int(p) if p.isdigit() else p]
        del node[last]

    return apply


TWO_POINTS = [[36, 35], [36.5, 35], [36, 35], [36.5, 35], [36, 35]]
BOWTIE = [[36, 35], [36.5, 35.5], [36.5, 35], [36, 35.5], [36, 35]]
SPIKE = [[36, 35], [36.5, 35], [36.5, 35.5], [36.5, 35.2], [36, 35]]
ON_EDGE = [[36, 35], [36.5, 35], [36.5, 35.5], [36.25, 35], [36, 35.5], [36, 35]]
LONG_EDGE = [[30, 35], [36.5, 35], [36.5, 35.5], [30, 35]]
ROUND_POLE = [[0, 85], [90, 85], [180, 85], [-90, 85], [0, 85]]
OUTSIDE = [[37, 35], [37.1, 35], [37.1, 35.1], [37, 35]]
ACROSS_EDGE = [[36.4, 35.1], [36.6, 35.1], [36.6, 35.2], [36.4, 35.1]]
IN_HOLE = [[36.12, 35.12], [36.15, 35.12], [36.15, 35.15], [36.12, 35.12]]
ACROSS_HOLE = [[36.15, 35.15], [36.3, 35.15], [36.3, 35.3], [36.15, 35.15]]
INSIDE = [[36.1, 35.1], [36.2, 35.1], [36.2, 35.2], [36.1, 35.1]]
RING = "volumes.0.geometry.coordinates.0"
COORDS = "volumes.0.geometry.coordinates"
WHERE = "volumes[0].geometry.coordinates"

# One case per rule: how a valid body is broken, the field named, a phrase of the message.
REFUSALS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown member", edit("colour", "red"), "colour", "unknown member 'colour'"),
    ("unknown volume member", edit("volumes.0.floor", 1), "volumes[0].floor", "unknown member"),
    (
        "unknown geometry member",
        edit("volumes.0.geometry.bbox", []),
        "volumes[0].geometry.bbox",
        "unknown member",
    ),
    ("missing member", drop("volumes.0.time_end"), "volumes[0].time_end", "time_end is missing"),
    ("missing kind", drop("kind"), "kind", "kind is missing"),
    (
        "not a geometry type",
        edit("volumes.0.geometry.type", "Point"),
        "volumes[0].geometry.type",
        "is not Polygon or MultiPolygon",
    ),
    (
        "too few vertices",
        edit(RING, TWO_POINTS),
        f"{WHERE}[0]",
        "2 distinct vertices; a ring needs at least 3",
    ),
    ("unclosed ring", edit(RING, SQUARE[:-1]), f"{WHERE}[0]", "the ring is not closed"),
    (
        "self-intersection",
        edit(RING, BOWTIE),
        f"{WHERE}[0]",
        "crosses itself: the edge from position 0 to 1 meets the edge from position 2 to 3",
    ),
    ("spike folding back", edit(RING, SPIKE), f"{WHERE}[0]", "crosses itself"),
    ("vertex on an edge", edit(RING, ON_EDGE), f"{WHERE}[0]", "crosses itself"),
    (
        "latitude out of range",
        edit(f"{RING}.2", [36.5, 91]),
        f"{WHERE}[0][2]",
        "latitude 91 is outside -90 to 90",
    ),
    (
        "longitude out of range",
        edit(f"{RING}.1", [180.5, 35]),
        f"{WHERE}[0][1]",
        "longitude 180.5 is outside -180 to 180",
    ),
    (
        "NaN coordinate",
        edit(f"{RING}.1", [math.nan, 35]),
        f"{WHERE}[0][1]",
        "nan is not a finite number",
    ),
    (
        "infinite altitude",
        edit("volumes.0.altitude_upper_m", math.inf),
        "volumes[0].altitude_upper_m",
        "inf is not a finite number",
    ),
    (
        "text for a number",
        edit(f"{RING}.1", ["36.5", 35]),
        f"{WHERE}[0][1]",
        "'36.5' is not a number",
    ),
    (
        "a height in a position",
        edit(f"{RING}.1", [36.5, 35, 100]),
        f"{WHERE}[0][1]",
        "heights go in altitude_lower_m",
    ),
    (
        "lower above upper",
        edit("volumes.0.altitude_lower_m", 4000),
        "volumes[0].altitude_upper_m",
        "3000 m is below altitude_lower_m 4000 m",
    ),
    (
        "altitude out of range",
        edit("volumes.0.altitude_upper_m", 200_000),
        "volumes[0].altitude_upper_m",
        "outside -500 to 100000 m",
    ),
    (
        "end before start",
        edit("volumes.0.time_end", "2026-12-03T11:00:00Z"),
        "volumes[0].time_end",
        "11:00:00.000Z is not after time_start 2026-12-03T12:00:00.000Z",
    ),
    (
        "end equal to start",
        edit("volumes.0.time_end", "2026-12-03T12:00:00Z"),
        "volumes[0].time_end",
        "is not after time_start",
    ),
    (
        "time without a zone",
        edit("volumes.0.time_start", "2026-12-03T12:00:00"),
        "volumes[0].time_start",
        "no time zone",
    ),
    (
        "time window too long",
        edit("volumes.0.time_end", "2027-12-05T12:00:00Z"),
        "volumes[0].time_end",
        "367 days long, over the limit of 366 days",
    ),
    ("no volumes", edit("volumes", []), "volumes", "at least one volume"),
    ("empty title", edit("title", "  "), "title", "give non-empty text"),
    ("title too long", edit("title", "x" * 201), "title", "201 characters, over the limit of 200"),
    (
        "unknown kind",
        edit("kind", "naval-operation"),
        "kind",
        "'naval-operation' is not a notification kind",
    ),
    ("bad party code", edit("share_with", ["RED", "r"]), "share_with[1]", "is not a party code"),
    (
        "party named twice",
        edit("share_with", ["RED", "GREEN", "RED"]),
        "share_with[2]",
        "RED is named twice",
    ),
    (
        "edge too long",
        edit(RING, LONG_EDGE),
        f"{WHERE}[0][0]",
        "over the limit of 500 km; add vertices along it",
    ),
    (
        "ring round a pole",
        edit(RING, ROUND_POLE),
        f"{WHERE}[0]",
        "a ring that encircles a pole is not supported: split it or use a circle",
    ),
    (
        "hole outside its shell",
        edit(COORDS, [SQUARE, OUTSIDE]),
        f"{WHERE}[1]",
        "the hole lies outside its exterior ring",
    ),
    (
        "hole crossing its shell",
        edit(COORDS, [SQUARE, ACROSS_EDGE]),
        f"{WHERE}[1]",
        "rings touch or cross",
    ),
    (
        "holes that overlap",
        edit(COORDS, [SQUARE, HOLE, IN_HOLE]),
        f"{WHERE}[2]",
        f"the hole overlaps the hole {WHERE}[1]",
    ),
    (
        "holes that cross",
        edit(COORDS, [SQUARE, HOLE, ACROSS_HOLE]),
        f"{WHERE}[2]",
        "rings touch or cross",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "phrase"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_each_broken_rule_is_refused_naming_its_place(
    change: Callable[[dict[str, Any]], None], field: str, phrase: str
) -> None:
    value = body()
    change(value)
    error = refused(value)
    assert error.field == field
    assert phrase in error.message
    assert error.message.startswith(field)


def test_the_crossing_edges_are_named_in_a_large_ring() -> None:
    diagonal = [[36 + 0.001 * k, 35 + 0.001 * k] for k in range(101)]
    ring = [*diagonal, [36.1, 35.0004], [36.0, 35.1], [36.0, 35.0]]
    error = refused(body(polygon_volume(ring)))
    assert error.field == f"{WHERE}[0]"
    assert "crosses itself: the edge from position 50 to 51 meets" in error.message
    assert "the edge from position 101 to 102" in error.message


@pytest.mark.parametrize(
    ("volume", "field", "phrase"),
    [
        (
            multi_volume([SQUARE], [INSIDE]),
            f"{WHERE}[1]",
            f"the polygon overlaps the polygon {WHERE}[0]",
        ),
        (
            multi_volume([SQUARE], [ACROSS_EDGE]),
            f"{WHERE}[1][0]",
            "the polygons of a MultiPolygon must lie apart",
        ),
        (multi_volume(), f"{WHERE}", "a MultiPolygon needs at least one polygon"),
        (multi_volume([]), f"{WHERE}[0]", "a polygon needs an exterior ring"),
        (
            circle_volume(radius_m=1_000_001),
            "volumes[0].circle.radius_m",
            "1e+06 m is not more than 0 and at most 1e+06 m",
        ),
        (circle_volume(radius_m=0), "volumes[0].circle.radius_m", "is not more than 0"),
        (circle_volume(lat=-90.5), "volumes[0].circle.lat", "latitude -90.5 is outside"),
        (circle_volume(radius_m=math.nan), "volumes[0].circle.radius_m", "not a finite number"),
        (
            {**circle_volume(), "geometry": polygon_volume(SQUARE)["geometry"]},
            "volumes[0]",
            "either geometry or circle, not both",
        ),
    ],
    ids=[
        "polygons nested",
        "polygons crossing",
        "empty multipolygon",
        "polygon without rings",
        "radius over the limit",
        "radius zero",
        "circle latitude",
        "circle NaN",
        "geometry and circle",
    ],
)
def test_bad_multipolygons_and_circles_are_refused(
    volume: dict[str, Any], field: str, phrase: str
) -> None:
    error = refused(body(volume))
    assert error.field == field
    assert phrase in error.message


@pytest.mark.parametrize(
    ("limits", "value", "field", "phrase"),
    [
        (Limits(max_vertices=3), body(), WHERE, "4 vertices, over the limit of 3 per volume"),
        (
            Limits(max_volumes=1),
            body(polygon_volume(SQUARE), circle_volume()),
            "volumes",
            "2 volumes, over the limit of 1",
        ),
        (
            Limits(max_area_km2=2000),
            body(),
            "volumes[0].geometry",
            "the area is 2524.26 km², over the limit of 2000 km²",
        ),
        (
            Limits(max_duration=timedelta(hours=1)),
            body(),
            "volumes[0].time_end",
            "the time window is 2 h long, over the limit of 1 h",
        ),
        (
            Limits(max_edge_km=40),
            body(),
            f"{WHERE}[0][0]",
            "the edge from position 0 to 1 is 45.5 km long, over the limit of 40 km",
        ),
    ],
    ids=["vertices", "volumes", "area", "duration", "edge length"],
)
def test_limits_are_enforced_and_named(
    limits: Limits, value: dict[str, Any], field: str, phrase: str
) -> None:
    error = refused(value, limits)
    assert error.field == field
    assert phrase in error.message


def test_the_default_area_limit_refuses_a_country_sized_footprint() -> None:
    # 10 x 10 degree cells joined: about 1.2 million km², over the default million.
    ring = [[lon, 0.0] for lon in range(0, 12, 3)] + [[12.0, lat] for lat in range(0, 12, 3)]
    ring += [[lon, 12.0] for lon in range(12, 0, -3)] + [[0.0, lat] for lat in range(12, 0, -3)]
    ring.append([0.0, 0.0])
    error = refused(body(polygon_volume(ring)))
    assert error.field == "volumes[0].geometry"
    assert "over the limit of 1e+06 km²" in error.message


def test_a_polygon_with_a_hole_is_read_with_times_in_utc() -> None:
    draft = parse_notification_draft(body(polygon_volume(SQUARE, HOLE)), limits=LIMITS)
    (volume,) = draft.volumes
    assert isinstance(volume.footprint, Polygon)
    assert len(volume.footprint.rings) == 2
    assert volume.time_start == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert draft.kind is Kind.AIR_OPERATION
    assert draft.share_with == ("GREEN", "RED")
    assert footprint_area_km2(volume.footprint) < footprint_area_km2(
        parse_volume(polygon_volume(SQUARE), index=0, limits=LIMITS).footprint
    )


def test_a_multipolygon_with_a_polygon_inside_anothers_hole_is_valid() -> None:
    island = IN_HOLE
    volume = parse_volume(multi_volume([SQUARE, HOLE], [island]), index=0, limits=LIMITS)
    assert isinstance(volume.footprint, MultiPolygon)
    assert len(volume.footprint.polygons) == 2


def test_a_circle_is_valid_and_measured_as_a_cap() -> None:
    volume = parse_volume(circle_volume(radius_m=10_000), index=0, limits=LIMITS)
    assert volume.footprint == Circle(35.0, 36.0, 10_000.0)
    assert footprint_area_km2(volume.footprint) == pytest.approx(math.pi * 100, rel=1e-4)


ACROSS = [[179.5, 10.0], [-179.5, 10.0], [-179.5, 11.0], [179.5, 11.0], [179.5, 10.0]]


def test_a_ring_across_the_antimeridian_is_valid_and_has_its_true_area() -> None:
    volume = parse_volume(polygon_volume(ACROSS), index=0, limits=LIMITS)
    # GeographicLib's Planimeter on WGS84: 12108467312.6 m²
    assert footprint_area_km2(volume.footprint) == pytest.approx(12108.467, rel=1e-3)


def test_holes_and_polygons_on_the_other_side_of_the_antimeridian_line_up() -> None:
    hole = [[-179.9, 10.2], [-179.9, 10.4], [179.9, 10.4], [179.9, 10.2], [-179.9, 10.2]]
    parse_volume(polygon_volume(ACROSS, hole), index=0, limits=LIMITS)
    east = [[-179.4, 10.0], [-179.0, 10.0], [-179.0, 11.0], [-179.4, 10.0]]
    parse_volume(multi_volume([ACROSS], [east]), index=0, limits=LIMITS)
    touching = [[-179.5, 10.0], [-179.0, 10.0], [-179.0, 11.0], [-179.5, 10.0]]
    error = refused(body(multi_volume([ACROSS], [touching])))
    assert "rings touch or cross" in error.message


def test_unwrapping_does_not_hide_a_crossing_at_the_antimeridian() -> None:
    bowtie = [[179.5, 10.0], [-179.5, 11.0], [-179.5, 10.0], [179.5, 11.0], [179.5, 10.0]]
    assert "crosses itself" in refused(body(polygon_volume(bowtie))).message


def test_a_ring_touching_the_pole_is_valid() -> None:
    ring = [[0.0, 87.0], [10.0, 87.0], [5.0, 90.0], [0.0, 87.0]]
    volume = parse_volume(polygon_volume(ring), index=0, limits=LIMITS)
    assert footprint_area_km2(volume.footprint) > 0


def test_repeated_positions_are_kept_as_given_and_ignored_by_the_checks() -> None:
    ring = [SQUARE[0], SQUARE[1], SQUARE[1], *SQUARE[2:]]
    volume = parse_volume(polygon_volume(ring), index=0, limits=LIMITS)
    assert volume.to_json()["geometry"]["coordinates"] == [ring]


def test_times_are_kept_to_the_millisecond() -> None:
    value = polygon_volume(SQUARE)
    value["time_start"] = "2026-12-03T12:00:00.123456Z"
    volume = parse_volume(value, index=0, limits=LIMITS)
    assert volume.time_start.microsecond == 123000


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (Status.PLANNED, Status.ACTIVE),
        (Status.PLANNED, Status.CANCELLED),
        (Status.ACTIVE, Status.COMPLETED),
        (Status.ACTIVE, Status.CANCELLED),
    ],
)
def test_the_lifecycle_allows_these_steps(current: Status, new: Status) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new", "phrase"),
    [
        (Status.PLANNED, Status.COMPLETED, "can go to active, cancelled"),
        (Status.ACTIVE, Status.PLANNED, "from active to planned"),
        (Status.ACTIVE, Status.ACTIVE, "from active to active"),
        (Status.COMPLETED, Status.ACTIVE, "nothing: completed is final"),
        (Status.CANCELLED, Status.PLANNED, "nothing: cancelled is final"),
    ],
)
def test_the_lifecycle_refuses_other_steps_naming_both_states(
    current: Status, new: Status, phrase: str
) -> None:
    with pytest.raises(Conflict, match=phrase):
        check_transition(current, new)


def notification() -> Any:
    draft = parse_notification_draft(body(), limits=LIMITS)
    return new_notification(draft, notification_id="ntf_01", owner="BLUE", now=NOW)


def test_a_new_notification_is_planned_at_version_1() -> None:
    made = notification()
    assert (made.status, made.version, made.owner) == (Status.PLANNED, 1, "BLUE")
    assert made.created_at == made.updated_at == NOW


def test_a_notification_is_not_shared_with_its_owner() -> None:
    draft = parse_notification_draft(body(), limits=LIMITS)
    with pytest.raises(InvalidInput, match="RED owns the notification") as caught:
        new_notification(draft, notification_id="ntf_01", owner="RED", now=NOW)
    assert caught.value.field == "share_with[1]"


def test_each_change_is_one_version_later() -> None:
    later = NOW + timedelta(minutes=5)
    active = transition(notification(), Status.ACTIVE, now=later)
    assert (active.status, active.version, active.updated_at) == (Status.ACTIVE, 2, later)
    draft = parse_notification_draft({**body(), "title": "Moved west"}, limits=LIMITS)
    revised = revise(active, draft, now=later)
    assert (revised.title, revised.version) == ("Moved west", 3)
    done = transition(revised, Status.COMPLETED, now=later)
    with pytest.raises(Conflict, match="can no longer change"):
        revise(done, draft, now=later)


def test_a_record_is_json_ready_and_reads_back_unchanged() -> None:
    made = notification()
    record = made.to_json()
    assert record["volumes"][0]["time_start"] == "2026-12-03T12:00:00.000Z"
    assert record["share_with"] == ["GREEN", "RED"]
    assert Notification.from_json(record, limits=LIMITS) == made


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("owner", "blue", "owner"),
        ("version", 0, "version"),
        ("version", True, "version"),
        ("status", "done", "status"),
        ("updated_at", "2026-11-24T11:00:00Z", "updated_at"),
        ("share_with", ["BLUE"], "share_with[0]"),
        ("id", "", "id"),
        ("extra", 1, "extra"),
    ],
)
def test_a_peers_record_is_checked_as_strictly(key: str, value: Any, field: str) -> None:
    record = {**notification().to_json(), key: value}
    with pytest.raises(InvalidInput) as caught:
        Notification.from_json(record, limits=LIMITS)
    assert caught.value.field == field


# --- properties ------------------------------------------------------------------------------


@st.composite
def star_rings(draw: st.DrawFn) -> list[list[float]]:
    """A simple ring: vertices at increasing angles round a centre, anywhere on Earth
    short of the poles, across the antimeridian too."""
    lat = draw(st.floats(-85, 85))
    lon = draw(st.floats(-180, 180))
    count = draw(st.integers(3, 12))
    ring = []
    for k in range(count):
        # consecutive angles less than 180 degrees apart: every edge is seen from the centre
        a = math.radians(360 * k / count + draw(st.floats(-60 / count, 60 / count)))
        radius = draw(st.floats(0.01, 1.0))
        x = (lon + radius * math.cos(a) + 180.0) % 360.0 - 180.0
        ring.append([x, lat + radius * math.sin(a)])
    return [*ring, ring[0]]


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


@st.composite
def volumes(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        shape: dict[str, Any] = {
            "circle": {
                "lat": draw(st.floats(-90, 90)),
                "lon": draw(st.floats(-180, 180)),
                "radius_m": draw(st.floats(0.001, 1_000_000)),
            }
        }
    else:
        shape = {"geometry": {"type": "Polygon", "coordinates": [draw(star_rings())]}}
    lower = draw(st.floats(-500, 100_000))
    start = draw(instants)
    return {
        **shape,
        "altitude_lower_m": lower,
        "altitude_upper_m": draw(st.floats(lower, 100_000)),
        "time_start": start.isoformat(),
        "time_end": (start + timedelta(milliseconds=draw(st.integers(1, 10**10)))).isoformat(),
    }


@settings(max_examples=200, deadline=None)
@given(volumes())
def test_valid_volumes_survive_record_and_parse_unchanged(value: dict[str, Any]) -> None:
    volume = parse_volume(value, index=0, limits=LIMITS)
    record = volume.to_json()
    assert parse_volume(record, index=0, limits=LIMITS) == volume
    assert parse_volume(record, index=0, limits=LIMITS).to_json() == record


grid_rings = st.lists(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=8),
    min_size=1,
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(grid_rings)
def test_the_sweep_finds_a_crossing_exactly_when_testing_every_pair_does(
    raw: list[list[tuple[int, int]]],
) -> None:
    rings = []
    for points in raw:
        ring = [(float(x), float(y)) for x, y in points]
        ring = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
        if len(ring) > 1 and ring[-1] == ring[0]:
            ring.pop()
        if len(set(ring)) >= 3:
            rings.append([*ring, ring[0]])
    assert (find_crossing(rings) is None) == (find_crossing_brute(rings) is None)
