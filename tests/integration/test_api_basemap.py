"""GET /api/v1/basemap on a node: the packaged base map of a view as GeoJSON, bounded whatever
the view, and a bad view refused in the one error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.backend import sqlite_only
from tests.support.nodes import InProcess

pytestmark = sqlite_only("the base map is read from the package's files, never from the database")

BASEMAP = "/api/v1/basemap"
OVER_HOMS = {"west": 36.2, "south": 34.4, "east": 37.2, "north": 35.0, "zoom": 10}


def test_a_view_at_the_10_km_scale_has_its_places_and_water(api: InProcess):
    answer = api.client.get(BASEMAP, params=OVER_HOMS)

    assert answer.status_code == 200, answer.text
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["truncated"] is False
    assert any("GeoNames" in source for source in collection["sources"])
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds[0] == "place"
    assert {"place", "lake", "river"} <= set(kinds)
    names = [f["properties"]["name"] for f in collection["features"] if "name" in f["properties"]]
    assert names[0] == "Homs"
    for lon, lat in coordinates(collection):
        assert OVER_HOMS["west"] - 1e-5 <= lon <= OVER_HOMS["east"] + 1e-5
        assert OVER_HOMS["south"] - 1e-5 <= lat <= OVER_HOMS["north"] + 1e-5


def coordinates(collection: dict[str, Any]) -> list[tuple[float, float]]:
    """Every point of every feature: a place's, a line's, a lake's rings'."""
    found = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        parts = {"Point": [[geometry["coordinates"]]], "LineString": [geometry["coordinates"]]}
        for part in parts.get(geometry["type"], geometry["coordinates"]):
            found += [(lon, lat) for lon, lat in part]
    return found


@pytest.mark.parametrize(
    "view",
    [
        {"west": -10.0, "south": 30.0, "east": 40.0, "north": 46.0, "zoom": 6},
        {"west": 22.0, "south": 35.0, "east": 29.0, "north": 41.0, "zoom": 9},
    ],
    ids=["the Mediterranean at zoom 6", "the Aegean's islands at zoom 9"],
)
def test_an_answer_stays_small_however_much_the_view_holds(api: InProcess, view: dict[str, float]):
    answer = api.client.get(BASEMAP, params=view)
    assert answer.status_code == 200, answer.text
    assert len(answer.content) < 1_000_000
    assert sum(f["properties"]["kind"] == "place" for f in answer.json()["features"]) <= 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"west": 37.5}, None),  # west beyond east
        ({"north": 34.4}, None),  # no height
        ({"zoom": 14}, None),  # the view is 16,000 pixels wide at zoom 14
        ({"zoom": 20}, "zoom"),
        ({"north": 91}, "north"),
        ({"west": "nan"}, "west"),
        ({"east": "Homs"}, "east"),
    ],
    ids=[
        "west beyond east",
        "no height",
        "too large for its zoom",
        "zoom 20",
        "north 91",
        "west nan",
        "east not a number",
    ],
)
def test_a_bad_view_is_refused_in_the_one_error_shape(
    api: InProcess, change: dict[str, object], field: str | None
):
    answer = api.client.get(BASEMAP, params={**OVER_HOMS, **change})

    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"]
    if field:
        assert field in json.dumps(error)


def test_a_missing_side_is_refused_and_the_base_map_needs_a_token(api: InProcess):
    partial = {key: value for key, value in OVER_HOMS.items() if key != "north"}
    assert api.client.get(BASEMAP, params=partial).status_code == 422
    refused = api.client.get(BASEMAP, params=OVER_HOMS, headers={"Authorization": ""})
    assert refused.status_code == 401
