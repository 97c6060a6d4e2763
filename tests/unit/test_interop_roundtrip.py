"""Round trips through Openline's notifications: GeoJSON → notification → GeoJSON and
F3548 → Volume4D → F3548 keep every vertex within 1 cm (measured on the WGS84 ellipsoid) and
every time exactly."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openline.domain.notifications import new_notification, parse_notification_draft
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Limits, parse_volume
from openline.geo.geodesy import forward, inverse
from openline.interop import f3548, geojson
from openline.interop.formats import geojson_plan

LIMITS = Limits()
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
PROPERTY = settings(max_examples=60, deadline=None)
CM = 0.01


@st.composite
def star_rings(draw: st.DrawFn) -> list[list[float]]:
    """A simple polygon: one vertex in each equal sector of bearings around a centre, at any
    distance, so the ring cannot cross itself."""
    lat = draw(st.floats(-70, 70))
    lon = draw(st.floats(-179.5, 179.5))
    count = draw(st.integers(3, 12))
    sector = 360 / count
    bearings = [i * sector + draw(st.floats(0, sector / 3)) for i in range(count)]
    distances = draw(st.lists(st.floats(100, 20_000), min_size=count, max_size=count))
    lons, lats, _ = forward([lon] * count, [lat] * count, bearings, distances)
    ring = [[float(x), float(y)] for x, y in zip(lons, lats, strict=True)]
    return [*ring, ring[0]]


@st.composite
def corridor_paths(draw: st.DrawFn) -> list[list[float]]:
    """A path that goes on in one general direction (each leg within 45 degrees of it), so
    it cannot come back over itself."""
    lat = draw(st.floats(-70, 70))
    lon = draw(st.floats(-179.5, 179.5))
    heading = draw(st.floats(0, 360))
    path = [[lon, lat]]
    for _ in range(draw(st.integers(1, 8))):
        bearing = heading + draw(st.floats(-45, 45))
        (x,), (y,), _ = forward(
            [path[-1][0]], [path[-1][1]], [bearing], [draw(st.floats(100, 50_000))]
        )
        path.append([float(x), float(y)])
    return path


@st.composite
def instants(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = NOW + timedelta(milliseconds=draw(st.integers(-(10**10), 10**10)))
    length = timedelta(milliseconds=draw(st.integers(1, 10**10)))
    return start, start + length


@st.composite
def volumes(draw: st.DrawFn, corridors: bool = False) -> dict[str, Any]:
    start, end = draw(instants())
    lower = draw(st.floats(-500, 20_000))
    upper = draw(st.floats(lower, 30_000))
    if corridors and draw(st.booleans()):
        shape: dict[str, Any] = {
            "corridor": {
                "path": draw(corridor_paths()),
                "half_width_m": draw(st.floats(1, 100_000)),
            }
        }
    elif draw(st.booleans()):
        shape = {
            "circle": {
                "lat": draw(st.floats(-89, 89)),
                "lon": draw(st.floats(-180, 180)),
                "radius_m": draw(st.floats(1, 100_000)),
            }
        }
    else:
        shape = {"geometry": {"type": "Polygon", "coordinates": [draw(star_rings())]}}
    return {
        **shape,
        "altitude_lower_m": lower,
        "altitude_upper_m": upper,
        "time_start": format_utc(start),
        "time_end": format_utc(end),
    }


def positions(volume: dict[str, Any]) -> list[tuple[float, float]]:
    if "circle" in volume:
        return [(volume["circle"]["lon"], volume["circle"]["lat"])]
    if "corridor" in volume:
        return [tuple(p) for p in volume["corridor"]["path"]]  # type: ignore[misc]
    return [tuple(p) for ring in volume["geometry"]["coordinates"] for p in ring]  # type: ignore[misc]


def assert_same_place(before: dict[str, Any], after: dict[str, Any]) -> None:
    a, b = positions(before), positions(after)
    assert len(a) == len(b)
    _, _, metres = inverse(
        [p[0] for p in a], [p[1] for p in a], [p[0] for p in b], [p[1] for p in b]
    )
    assert max(metres) <= CM
    assert before.get("circle", {}).get("radius_m") == after.get("circle", {}).get("radius_m")
    width = before.get("corridor", {}).get("half_width_m")
    assert width == after.get("corridor", {}).get("half_width_m")
    for key in ("time_start", "time_end", "altitude_lower_m", "altitude_upper_m"):
        assert before[key] == after[key]


def feature_back_as_volume(feature: dict[str, Any]) -> dict[str, Any]:
    return geojson.volumes_of([0], [feature])[0]


@PROPERTY
@given(st.lists(volumes(corridors=True), min_size=1, max_size=4))
def test_geojson_to_a_notification_and_back_keeps_every_vertex_and_time(
    items: list[dict[str, Any]],
):
    document = geojson.export(
        [
            {
                "id": "ntf_x",
                "kind": "zone",
                "title": "t",
                "owner": "BLUE",
                "status": "planned",
                "reference": "R1",
                "volumes": items,
            }
        ]
    )
    plan = geojson_plan(document, limits=LIMITS)
    assert plan.errors == []
    (record,) = plan.records
    draft = parse_notification_draft(record.drafts[0], limits=LIMITS)
    made = new_notification(draft, notification_id="ntf_y", owner="BLUE", now=NOW)

    back = geojson.export([made.to_json()])

    assert made.reference == "R1"
    assert len(back["features"]) == len(items)
    for feature, original in zip(back["features"], items, strict=True):
        assert feature["properties"]["notification"] == "ntf_y"
        assert feature["properties"]["reference"] == "R1"
        assert_same_place(original, feature_back_as_volume(feature))


def f3548_volume(volume: dict[str, Any]) -> dict[str, Any]:
    (out,) = f3548.volume_to_f3548(volume)
    return out


@PROPERTY
@given(volumes())
def test_f3548_to_a_volume4d_and_back_keeps_every_vertex_and_time(volume: dict[str, Any]):
    original = f3548_volume(volume)

    read = f3548.volume_from_f3548(original, "volume")
    stored = parse_volume(read, index=0, limits=LIMITS).to_json()
    again = f3548_volume(stored)

    assert again["time_start"] == original["time_start"]
    assert again["time_end"] == original["time_end"]
    assert again["volume"]["altitude_lower"] == original["volume"]["altitude_lower"]
    assert again["volume"]["altitude_upper"] == original["volume"]["altitude_upper"]
    if "outline_circle" in original["volume"]:
        c0, c1 = original["volume"]["outline_circle"], again["volume"]["outline_circle"]
        assert c0["radius"] == c1["radius"]
        pairs = [(c0["center"], c1["center"])]
    else:
        v0 = original["volume"]["outline_polygon"]["vertices"]
        v1 = again["volume"]["outline_polygon"]["vertices"]
        assert len(v0) == len(v1)
        pairs = list(zip(v0, v1, strict=True))
    _, _, metres = inverse(
        [a["lng"] for a, _ in pairs],
        [a["lat"] for a, _ in pairs],
        [b["lng"] for _, b in pairs],
        [b["lat"] for _, b in pairs],
    )
    assert max(metres) <= CM


def test_an_f3548_polygon_is_closed_for_openline_and_listed_once_again_on_the_way_out():
    volume = {
        "volume": {
            "outline_polygon": {
                "vertices": [
                    {"lat": 0, "lng": 0},
                    {"lat": 0, "lng": 0.001},
                    {"lat": 0.001, "lng": 0.001},
                ]
            },
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 100, "reference": "W84", "units": "FT"},
        },
        "time_start": {"value": "2026-12-03T12:00:00.250Z", "format": "RFC3339"},
        "time_end": {"value": "2026-12-03T13:00:00Z", "format": "RFC3339"},
    }

    read = f3548.volume_from_f3548(volume, "volume")

    ring = read["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == 4
    assert math.isclose(read["altitude_upper_m"], 30.48)
    assert read["time_start"] == "2026-12-03T12:00:00.250Z"
    assert len(f3548_volume(read)["volume"]["outline_polygon"]["vertices"]) == 3
