"""GeoJSON in: a Feature or FeatureCollection read as the body of a notification.

Each Feature is one volume: its geometry (Polygon or MultiPolygon, a Point with a
``radius_m`` property for a circle, or a LineString with a ``half_width_m`` property for a
corridor along it) and, in its properties, ``altitude_lower_m``,
``altitude_upper_m``, ``time_start`` and ``time_end``. The notification's ``kind`` and ``title``
come from the caller or else from the first feature's properties. Only the shape of the file is
read here; every rule on the volumes is the notification's own (openline.domain.notifications),
and its errors name the volume, which is the feature of the same number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openline.domain.errors import InvalidInput

VOLUME_PROPERTIES = ("altitude_lower_m", "altitude_upper_m", "time_start", "time_end")


def notification_body(
    document: Any,
    *,
    kind: str | None = None,
    title: str | None = None,
    share_with: Sequence[str] = (),
) -> dict[str, Any]:
    """``{kind, title, volumes, share_with}`` from a GeoJSON document."""
    features = _features(document)
    first = features[0].get("properties") or {}
    body = {
        "kind": kind if kind is not None else first.get("kind"),
        "title": title if title is not None else first.get("title"),
        "volumes": [_volume(f, f"features[{i}]") for i, f in enumerate(features)],
        "share_with": list(share_with),
    }
    for name in ("kind", "title"):
        if body[name] is None:
            raise InvalidInput(
                f"{name}: give --{name} or a '{name}' property on the first feature", field=name
            )
    return body


def _features(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        raise InvalidInput(
            f"the file holds a JSON {_json_kind(document)}, not a GeoJSON object: give one "
            "Feature or a FeatureCollection (one feature per volume)",
            field="type",
        )
    kind = document.get("type")
    if kind == "Feature":
        return [document]
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise InvalidInput("features: a FeatureCollection with no features", field="features")
        for index, feature in enumerate(features):
            if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
                raise InvalidInput(
                    f"features[{index}] is not a Feature", field=f"features[{index}]"
                )
        return features
    raise InvalidInput(
        f"type: {kind!r:.40} is not Feature or FeatureCollection (a GeoJSON file of the areas, "
        "one feature per volume)",
        field="type",
    )


def _volume(feature: Mapping[str, Any], where: str) -> dict[str, Any]:
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise InvalidInput(f"{where}.properties is not an object", field=f"{where}.properties")
    geometry = feature.get("geometry")
    if not isinstance(geometry, Mapping):
        raise InvalidInput(f"{where}.geometry is missing", field=f"{where}.geometry")
    volume: dict[str, Any] = {}
    if geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates")
        if "radius_m" not in properties:
            raise InvalidInput(
                f"{where}.properties.radius_m: a Point is a circle and needs radius_m",
                field=f"{where}.properties.radius_m",
            )
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise InvalidInput(
                f"{where}.geometry.coordinates is not [lon, lat]",
                field=f"{where}.geometry.coordinates",
            )
        volume["circle"] = {
            "lon": coordinates[0],
            "lat": coordinates[1],
            "radius_m": properties["radius_m"],
        }
    elif geometry.get("type") == "LineString":
        if "half_width_m" not in properties:
            raise InvalidInput(
                f"{where}.properties.half_width_m: a LineString is a corridor and needs "
                "half_width_m (every point within it of the line)",
                field=f"{where}.properties.half_width_m",
            )
        path = geometry.get("coordinates")
        volume["corridor"] = {"path": path, "half_width_m": properties["half_width_m"]}
    else:
        volume["geometry"] = dict(geometry)
    for name in VOLUME_PROPERTIES:
        if name not in properties:
            raise InvalidInput(
                f"{where}.properties.{name} is missing", field=f"{where}.properties.{name}"
            )
        volume[name] = properties[name]
    return volume


# --- a file of many notifications, and the way out ------------------------------------------

# What export writes on each feature besides the volume's own band and window.
NOTIFICATION_PROPERTIES = ("notification", "kind", "title", "owner", "status", "reference")


def volume_feature(volume: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """One Openline volume as a GeoJSON Feature: its geometry as it is, a circle as a Point
    with a ``radius_m`` property, a corridor as a LineString with a ``half_width_m`` property
    (GeoJSON has neither)."""
    props = dict(properties)
    if "circle" in volume:
        circle = volume["circle"]
        geometry: dict[str, Any] = {
            "type": "Point",
            "coordinates": [circle["lon"], circle["lat"]],
        }
        props["radius_m"] = circle["radius_m"]
    elif "corridor" in volume:
        geometry = {"type": "LineString", "coordinates": volume["corridor"]["path"]}
        props["half_width_m"] = volume["corridor"]["half_width_m"]
    else:
        geometry = volume["geometry"]
    for name in VOLUME_PROPERTIES:
        props[name] = volume[name]
    return {"type": "Feature", "geometry": geometry, "properties": props}


def export(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Notifications (records as the API gives them) as one FeatureCollection: a Feature per
    volume, carrying its notification's id, kind, title, owner, status and reference and the
    volume's number within it."""
    features = []
    for record in records:
        common = {
            "notification": record["id"],
            "kind": record["kind"],
            "title": record["title"],
            "owner": record["owner"],
            "status": record["status"],
            "reference": record.get("reference"),
        }
        for index, volume in enumerate(record["volumes"]):
            features.append(volume_feature(volume, {**common, "volume": index}))
    return {"type": "FeatureCollection", "features": features}


def groups(document: Any) -> list[tuple[str, list[int], list[Mapping[str, Any]]]]:
    """The notifications of a GeoJSON file: features that share a ``notification`` (or else a
    ``reference``) property are one notification, in the order first met; features with
    neither are together one notification. Each is (item, feature indexes, features)."""
    features = _features(document)
    keyed: dict[str, tuple[list[int], list[Mapping[str, Any]]]] = {}
    for index, feature in enumerate(features):
        properties = feature.get("properties")
        props = properties if isinstance(properties, Mapping) else {}
        key = props.get("notification") or props.get("reference")
        name = f"notification {key}" if key else "features"
        indexes, members = keyed.setdefault(name, ([], []))
        indexes.append(index)
        members.append(feature)
    return [(name, indexes, members) for name, (indexes, members) in keyed.items()]


def volumes_of(
    indexes: Sequence[int], features: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The volumes of one group of features, each error naming the feature of the file."""
    return [_volume(f, f"features[{i}]") for i, f in zip(indexes, features, strict=True)]


def _json_kind(value: Any) -> str:
    """What a JSON value is, as JSON names it (array, string, number, ...)."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__
