"""Corridors: a path with a half width. Every refusal names its place; valid ones read back."""

from __future__ import annotations

from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.volumes import Corridor, Limits, footprint_area_km2, parse_volume

LIMITS = Limits()
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
