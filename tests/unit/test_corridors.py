"""Corridors (a path with a half width) and movements on a timetable (a route whose legs are
corridors): every refusal names its place; valid ones read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.domain.errors import InvalidInput
from openline.domain.movements import leg_name
from openline.domain.notifications import Notification, new_notification, parse_notification_draft
from openline.domain.polygons import find_crossing
from openline.domain.volumes import Corridor, Limits, Polygon, footprint_area_km2, parse_volume
from openline.geo.footprints import Shape, distance_m
from openline.geo.outlines import leg_outlines
from openline.interop.formats import export
from tests.support.oracles import find_crossing_brute

LIMITS = Limits()
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WHERE = "volumes[0].corridor"


def corridor_volume(path: list[list[float]], half_width_m: float = 2000.0) -> dict[str, Any]:
    return {
        "corridor": {"path": path, "half_width_m": half_width_m},
        "altitude_lower_m": 0,
        "altitude_upper_m": 3000,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T14:00:00Z",
    }


ROUTE = [[37.0, 55.0], [37.5, 55.2], [38.0, 55.1]]


def test_a_corridor_reads_back_to_the_same_json() -> None:
    volume = parse_volume(corridor_volume(ROUTE), index=0, limits=LIMITS)
    assert volume.footprint == Corridor(((37.0, 55.0), (37.5, 55.2), (38.0, 55.1)), 2000.0)
    again = parse_volume(volume.to_json(), index=0, limits=LIMITS)
    assert again == volume


def test_a_corridor_across_the_antimeridian_is_accepted() -> None:
    volume = parse_volume(corridor_volume([[179.5, 60.0], [-179.5, 60.2]]), index=0, limits=LIMITS)
    assert isinstance(volume.footprint, Corridor)


def test_a_corridors_area_is_its_band_and_two_half_discs() -> None:
    # 1 degree of longitude on the equator is 111.3 km on the mean sphere; 2 km wide, plus
    # a disc of 1 km radius (3.14 km²).
    footprint = Corridor(((0.0, 0.0), (1.0, 0.0)), 1000.0)
    assert footprint_area_km2(footprint) == pytest.approx(2 * 111.195 + 3.1416, rel=1e-3)


@pytest.mark.parametrize(
    ("volume", "field", "phrase"),
    [
        (corridor_volume([[37.0, 55.0]]), f"{WHERE}.path", "only 1 distinct position"),
        (
            corridor_volume([[37.0, 55.0], [37.0, 55.0]]),
            f"{WHERE}.path",
            "a corridor needs at least 2",
        ),
        (corridor_volume(ROUTE, 0), f"{WHERE}.half_width_m", "0 m is not more than 0"),
        (
            corridor_volume(ROUTE, 100_001),
            f"{WHERE}.half_width_m",
            "100001 m is not more than 0 and at most 100000 m",
        ),
        (corridor_volume(ROUTE, -5), f"{WHERE}.half_width_m", "-5 m is not more than 0"),
        (corridor_volume([[37.0, 55.0], [37.5, 91.0]]), f"{WHERE}.path[1]", "latitude 91"),
        (corridor_volume([[37.0, 55.0], [37.5]]), f"{WHERE}.path[1]", "is not a [lon, lat]"),
        (
            corridor_volume([[37.0, 55.0], [38.0, 55.0], [37.5, 55.0]]),
            f"{WHERE}.path",
            "the leg from position 0 to 1 meets the leg from position 1 to 2",
        ),
        (
            corridor_volume([[37.0, 55.0], [38.0, 55.0], [38.0, 56.0], [37.5, 54.0]]),
            f"{WHERE}.path",
            "touches or crosses itself: the leg from position 0 to 1 meets the leg from "
            "position 2 to 3",
        ),
        (
            corridor_volume([[37.0, 55.0], [38.0, 55.0], [38.0, 56.0], [37.0, 55.0]]),
            f"{WHERE}.path",
            "the leg from position 0 to 1 meets the leg from position 2 to 3",
        ),
        (
            corridor_volume([[37.0, 55.0], [37.0, 55.0], [45.0, 55.0]]),
            f"{WHERE}.path[0]",
            "the edge from position 0 to 2 is 510.0 km long",
        ),
        (
            {**corridor_volume(ROUTE), "circle": {"lat": 1, "lon": 1, "radius_m": 1}},
            "volumes[0]",
            "give either circle or corridor, not both",
        ),
        (
            corridor_volume(ROUTE) | {"corridor": {"path": ROUTE}},
            f"{WHERE}.half_width_m",
            "half_width_m is missing",
        ),
        (corridor_volume(ROUTE) | {"corridor": []}, WHERE, "expected an object with path"),
        (
            corridor_volume(ROUTE) | {"corridor": {"path": ROUTE, "half_width_m": 1, "w": 2}},
            f"{WHERE}.w",
            "unknown member 'w'",
        ),
        (corridor_volume(ROUTE, True), f"{WHERE}.half_width_m", "is not a number"),  # type: ignore[arg-type]
    ],
    ids=[
        "one point",
        "one point twice",
        "width zero",
        "width over the limit",
        "width negative",
        "latitude out of range",
        "position without latitude",
        "folds back on itself",
        "crosses itself",
        "closes on itself",
        "leg over the edge limit",
        "circle and corridor",
        "width missing",
        "not an object",
        "unknown member",
        "width boolean",
    ],
)
def test_a_bad_corridor_is_refused_naming_its_place(
    volume: dict[str, Any], field: str, phrase: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_volume(volume, index=0, limits=LIMITS)
    assert caught.value.field == field
    assert phrase in caught.value.message


def test_a_corridor_over_the_area_limit_is_refused() -> None:
    limits = Limits(max_area_km2=100.0)
    with pytest.raises(InvalidInput) as caught:
        parse_volume(corridor_volume(ROUTE, 5000), index=0, limits=limits)
    assert caught.value.field == WHERE
    assert "over the limit of 100 km²" in caught.value.message


def test_a_path_over_the_vertex_limit_is_refused_before_it_is_read() -> None:
    limits = Limits(max_vertices=3)
    path = [[37.0 + i / 100, 55.0] for i in range(5)]
    with pytest.raises(InvalidInput) as caught:
        parse_volume(corridor_volume(path), index=0, limits=limits)
    assert caught.value.field == f"{WHERE}.path"
    assert "4 legs, over the limit of 3" in caught.value.message


# --- the sweep on open paths ---------------------------------------------------------------

grid_paths = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=8)


@settings(max_examples=500, deadline=None)
@given(grid_paths)
def test_the_sweep_finds_a_path_touching_itself_exactly_when_testing_every_pair_does(
    raw: list[tuple[int, int]],
) -> None:
    path = [(float(x), float(y)) for x, y in raw]
    path = [p for i, p in enumerate(path) if i == 0 or p != path[i - 1]]
    if len(path) < 2:
        return
    swept = find_crossing([path], closed=False)
    assert (swept is None) == (find_crossing_brute([path], closed=False) is None)


def test_a_path_whose_ends_meet_is_not_taken_for_a_closed_ring() -> None:
    # As a ring, edges 0 and 2 would be consecutive (sharing the first point); as a path
    # they are not, and the path's end on its start is a touch.
    assert find_crossing([[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]], closed=False)
    assert find_crossing([[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]) is None


# --- movements on a timetable --------------------------------------------------------------


def route(*waypoints: tuple[float, float, str], **changes: Any) -> dict[str, Any]:
    return {
        "waypoints": [{"lon": x, "lat": y, "time": t} for x, y, t in waypoints],
        "half_width_m": 500,
        "time_tolerance_s": 600,
        "altitude_lower_m": 0,
        "altitude_upper_m": 50,
        **changes,
    }


CONVOY = route(
    (37.0, 55.0, "2026-12-03T08:00:00Z"),
    (37.2, 55.1, "2026-12-03T09:00:00Z"),
    (37.2, 55.1, "2026-12-03T09:30:00Z"),  # a halt
    (37.5, 55.1, "2026-12-03T11:00:00Z"),
)


def movement(value: dict[str, Any], kind: str = "movement") -> dict[str, Any]:
    return {"kind": kind, "title": "Convoy 7", "route": value, "share_with": ["RED"]}


def test_a_route_becomes_one_volume_per_leg_over_the_window_it_can_be_there() -> None:
    draft = parse_notification_draft(movement(CONVOY), limits=LIMITS)
    legs = [v.to_json() for v in draft.volumes]
    assert [leg.get("corridor", leg.get("circle")) for leg in legs] == [
        {"path": [[37.0, 55.0], [37.2, 55.1]], "half_width_m": 500.0},
        {"lat": 55.1, "lon": 37.2, "radius_m": 500.0},
        {"path": [[37.2, 55.1], [37.5, 55.1]], "half_width_m": 500.0},
    ]
    assert [(leg["time_start"], leg["time_end"]) for leg in legs] == [
        ("2026-12-03T07:50:00.000Z", "2026-12-03T09:10:00.000Z"),
        ("2026-12-03T08:50:00.000Z", "2026-12-03T09:40:00.000Z"),
        ("2026-12-03T09:20:00.000Z", "2026-12-03T11:10:00.000Z"),
    ]
    assert {(leg["altitude_lower_m"], leg["altitude_upper_m"]) for leg in legs} == {(0.0, 50.0)}
    assert draft.route is not None
    assert leg_name(draft.route, 2) == (
        "leg 3 (waypoint 2 2026-12-03T09:30:00.000Z to waypoint 3 2026-12-03T11:00:00.000Z)"
    )


def test_a_movement_record_crosses_the_line_with_its_route_and_reads_back_the_same() -> None:
    draft = parse_notification_draft(movement(CONVOY), limits=LIMITS)
    made = new_notification(draft, notification_id="ntf_1", owner="BLUE", now=NOW)
    record = json.loads(json.dumps(made.to_json()))
    assert Notification.from_json(record, limits=LIMITS) == made
    assert record["route"]["waypoints"][3]["time"] == "2026-12-03T11:00:00.000Z"


def test_a_record_whose_volumes_are_not_the_legs_of_its_route_is_refused() -> None:
    draft = parse_notification_draft(movement(CONVOY), limits=LIMITS)
    record = new_notification(draft, notification_id="ntf_1", owner="BLUE", now=NOW).to_json()
    record["volumes"][0]["time_end"] = "2026-12-03T18:00:00.000Z"
    with pytest.raises(InvalidInput) as caught:
        Notification.from_json(record, limits=LIMITS)
    assert caught.value.field == "volumes"


@pytest.mark.parametrize(
    ("body", "field", "phrase"),
    [
        (
            movement(
                route(
                    (37.0, 55.0, "2026-12-03T09:00:00Z"),
                    (37.1, 55.0, "2026-12-03T10:00:00Z"),
                    (37.2, 55.0, "2026-12-03T09:59:59Z"),
                )
            ),
            "route.waypoints[2].time",
            "2026-12-03T09:59:59.000Z is before the previous waypoint's time "
            "2026-12-03T10:00:00.000Z: the times of a route must not go backwards",
        ),
        (
            movement(
                route(
                    (37.0, 55.0, "2026-12-03T09:00:00Z"),
                    (37.1, 55.0, "2026-12-03T09:00:00Z"),
                    time_tolerance_s=0,
                )
            ),
            "route.waypoints[1].time",
            "the movement could never be on this leg",
        ),
        (movement(route((37.0, 55.0, "2026-12-03T09:00:00Z"))), "route.waypoints", "at least 2"),
        (
            movement(
                route((37.0, 55.0, "2026-12-03T09:00:00Z"), (45.0, 55.0, "2026-12-04T09:00Z"))
            ),
            "route.waypoints[1]",
            "over the limit of 500 km; add waypoints along it",
        ),
        (movement(CONVOY | {"half_width_m": 0}), "route.half_width_m", "0 m is not more than 0"),
        (
            movement(CONVOY | {"half_width_m": 200_000}),
            "route.half_width_m",
            "at most 100000 m",
        ),
        (
            movement(CONVOY | {"time_tolerance_s": -1}),
            "route.time_tolerance_s",
            "-1 s is not from 0",
        ),
        (
            movement(CONVOY | {"altitude_upper_m": -100}),
            "route.altitude_upper_m",
            "is below altitude_lower_m",
        ),
        (
            movement(CONVOY | {"waypoints": [{"lon": 37, "lat": 55}, {"lon": 37, "lat": 56}]}),
            "route.waypoints[0].time",
            "time is missing",
        ),
        (
            movement(
                route((37.0, 55.0, "2026-12-03T09:00:00Z"), (37.1, 55.0, "2027-12-04T09:00:00Z"))
            ),
            "route.waypoints[1].time",
            "over the limit of 366 days",
        ),
        (movement(CONVOY, kind="exercise"), "route", "only a movement is given as a route"),
        (movement(CONVOY) | {"volumes": [{}]}, "route", "either volumes or a route, not both"),
        (movement(CONVOY | {"speed": 3}), "route.speed", "unknown member 'speed'"),
    ],
    ids=[
        "time goes backwards",
        "same time without tolerance",
        "one waypoint",
        "leg over the edge limit",
        "width zero",
        "width over the limit",
        "negative tolerance",
        "band upside down",
        "waypoint without a time",
        "leg window over the duration limit",
        "route on another kind",
        "volumes and route",
        "unknown member",
    ],
)
def test_a_bad_route_is_refused_naming_its_place(
    body: dict[str, Any], field: str, phrase: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_notification_draft(body, limits=LIMITS)
    assert caught.value.field == field
    assert phrase in caught.value.message


def test_a_route_may_come_back_over_itself_each_leg_being_its_own_corridor() -> None:
    there_and_back = route(
        (37.0, 55.0, "2026-12-03T08:00:00Z"),
        (37.2, 55.0, "2026-12-03T09:00:00Z"),
        (37.0, 55.0, "2026-12-03T10:00:00Z"),
    )
    draft = parse_notification_draft(movement(there_and_back), limits=LIMITS)
    assert len(draft.volumes) == 2


# --- outlines for formats without corridors (F3548) ----------------------------------------


@pytest.mark.parametrize(
    ("path", "width"),
    [
        (((37.0, 55.0), (37.5, 55.2), (38.0, 55.1)), 2_000.0),
        (((179.9, -16.0), (-179.8, -16.1)), 500.0),  # across the antimeridian
        (((10.0, 89.0), (100.0, 89.3)), 3_000.0),  # near the pole
        (((0.0, 0.0), (4.4, 0.0)), 100_000.0),  # a 490 km leg, the widest corridor
    ],
)
def test_each_legs_outline_holds_the_corridor_and_no_more_than_a_few_percent_beyond(
    path: tuple[tuple[float, float], ...], width: float
) -> None:
    rings = leg_outlines(path, width)
    assert len(rings) == len(path) - 1
    for (a, b), ring in zip(pairwise(path), rings, strict=True):
        leg = Shape.of(Corridor((a, b), width))
        boundary = Shape.of(Corridor(tuple(ring), 1e-6))
        # The leg's corridor lies inside the ring (its axis is inside, the ring never touches
        # it), and the ring is within a few per cent of the width from it.
        assert distance_m(Shape.of(Polygon((tuple(ring),))), Shape.of(Corridor((a, b), 1e-6))) == 0
        apart = distance_m(boundary, leg)
        assert 0 < apart < 0.1 * width


def test_a_corridor_exports_to_f3548_as_a_polygon_round_each_leg() -> None:
    volume = parse_volume(corridor_volume(ROUTE), index=0, limits=LIMITS).to_json()
    record = {"id": "ntf_1", "owner": "BLUE", "version": 1, "status": "planned",
              "kind": "movement", "title": "Convoy", "volumes": [volume]}  # fmt: skip
    (intent,) = export("f3548", [record])["operational_intents"]
    outlines = [v["volume"]["outline_polygon"]["vertices"] for v in intent["details"]["volumes"]]
    assert [len(vertices) for vertices in outlines] == [10, 10]


def test_an_empty_route_is_refused_as_a_route_not_as_missing_volumes() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_notification_draft(movement({}), limits=LIMITS)
    assert caught.value.field == "route.waypoints"
