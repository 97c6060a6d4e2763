"""GeoJSON read as a notification's body (``openline notify``): one feature, one volume."""

from __future__ import annotations

from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.notifications import parse_notification_draft
from openline.domain.volumes import Circle, Corridor, Limits, Polygon
from openline.interop.geojson import notification_body

WHEN = {
    "altitude_lower_m": 0,
    "altitude_upper_m": 150,
    "time_start": "2026-12-03T12:00:00Z",
    "time_end": "2026-12-03T13:00:00Z",
}
RING = [[36.0, 35.0], [36.1, 35.0], [36.1, 35.1], [36.0, 35.0]]


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {**WHEN, **properties}}


def test_a_collection_becomes_one_volume_per_feature_with_kind_and_title_from_the_first():
    document = {
        "type": "FeatureCollection",
        "features": [
            feature(
                {"type": "Polygon", "coordinates": [RING]}, kind="uav-operation", title="Survey"
            ),
            feature({"type": "Point", "coordinates": [36.2, 35.2]}, radius_m=500),
            feature({"type": "LineString", "coordinates": RING[:3]}, half_width_m=250),
        ],
    }

    body = notification_body(document, share_with=["RED"])
    draft = parse_notification_draft(body, limits=Limits())

    assert (draft.kind.value, draft.title, draft.share_with) == (
        "uav-operation",
        "Survey",
        ("RED",),
    )
    assert isinstance(draft.volumes[0].footprint, Polygon)
    assert draft.volumes[1].footprint == Circle(lat=35.2, lon=36.2, radius_m=500.0)
    path = ((36.0, 35.0), (36.1, 35.0), (36.1, 35.1))
    assert draft.volumes[2].footprint == Corridor(path, half_width_m=250.0)


def test_options_win_over_the_properties():
    body = notification_body(
        feature({"type": "Polygon", "coordinates": [RING]}, kind="zone"),
        kind="protected-site",
        title="Hospital",
    )

    assert (body["kind"], body["title"]) == ("protected-site", "Hospital")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"type": "Polygon", "coordinates": [RING]}, "type"),
        ({"type": "FeatureCollection", "features": []}, "features"),
        ({"type": "FeatureCollection", "features": [{"type": "Point"}]}, "features[0]"),
        ({"type": "Feature", "geometry": None, "properties": WHEN}, "features[0].geometry"),
        (
            feature({"type": "Point", "coordinates": [36, 35]}, kind="zone", title="t"),
            "features[0].properties.radius_m",
        ),
        (
            feature({"type": "LineString", "coordinates": RING[:2]}, kind="zone", title="t"),
            "features[0].properties.half_width_m",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [RING]},
                "properties": {"kind": "zone", "title": "t"},
            },
            "features[0].properties.altitude_lower_m",
        ),
        (feature({"type": "Polygon", "coordinates": [RING]}, title="t"), "kind"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_naming_the_place(document: Any, field: str):
    with pytest.raises(InvalidInput) as caught:
        notification_body(document)

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ([feature({"type": "Polygon", "coordinates": [RING]})], "array"),
        ("zone", "string"),
        (3, "number"),
    ],
)
def test_a_file_that_is_not_a_json_object_is_refused_saying_what_it_holds(document: Any, said: str):
    with pytest.raises(InvalidInput) as caught:
        notification_body(document)

    assert caught.value.message.startswith(f"the file holds a JSON {said}, not a GeoJSON object")
    assert caught.value.field == "type"
