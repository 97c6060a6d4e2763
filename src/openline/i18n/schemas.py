"""JSON Schemas (2020-12) of the phrasebook's field kinds, drawn from its checks and limits.

Each schema states what ``openline.domain.phrasebook`` accepts for a field of that kind, with the
same limits (the constants are imported, never copied). A few rules JSON Schema cannot state
are written in the schema's ``description`` instead: lower altitude not above upper, end of a
time window after its start, a ring closed (first position = last), free text counted in bytes
of UTF-8 (``x-max-utf8-bytes``).
"""

from __future__ import annotations

from typing import Any

from openline.domain import phrasebook as pb


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _latitude() -> dict[str, Any]:
    return {"type": "number", "minimum": -90, "maximum": 90}


def _longitude() -> dict[str, Any]:
    return {"type": "number", "minimum": -180, "maximum": 180}


def _time() -> dict[str, Any]:
    return {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 with Z or an explicit UTC offset, e.g. 2024-12-03T12:00:00Z",
    }


def text_schema() -> dict[str, Any]:
    # \S: at least one character that is not white space, as the check's value.strip() demands.
    return {"type": "string", "minLength": 1, "maxLength": pb.MAX_REMARKS_CHARS, "pattern": r"\S"}


def free_text_schema(max_text_bytes: int | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": r"\S"}
    if max_text_bytes is not None:
        schema["x-max-utf8-bytes"] = max_text_bytes
        schema["description"] = f"at most {max_text_bytes} bytes of UTF-8"
    return schema


def _area() -> dict[str, Any]:
    position = {
        "type": "array",
        "prefixItems": [_longitude(), _latitude()],
        "items": False,
        "minItems": 2,
        "description": "[lon, lat]",
    }
    ring = {
        "type": "array",
        "items": position,
        "minItems": 4,
        "maxItems": pb.MAX_AREA_VERTICES,
        "description": "a closed ring: its first and last positions are equal",
    }
    polygon = _object(
        {
            "type": {"const": "Polygon"},
            "coordinates": {"type": "array", "items": ring, "minItems": 1},
        },
        "a GeoJSON Polygon: the outer ring, then any rings cut out of it",
    )
    circle = _object(
        {
            "circle": _object(
                {
                    "lat": _latitude(),
                    "lon": _longitude(),
                    "radius_m": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": pb.MAX_RADIUS_M,
                    },
                }
            )
        }
    )
    corridor = _object(
        {
            "corridor": _object(
                {
                    "path": {
                        "type": "array",
                        "items": position,
                        "minItems": 2,
                        "maxItems": pb.MAX_AREA_VERTICES,
                    },
                    "half_width_m": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": pb.MAX_RADIUS_M,
                    },
                },
                "every point within half_width_m of the geodesic path",
            )
        }
    )
    return {"oneOf": [polygon, circle, corridor]}


def _altitude() -> dict[str, Any]:
    metres = {"type": "number", "minimum": pb.MIN_ALTITUDE_M, "maximum": pb.MAX_ALTITUDE_M}
    return _object(
        {"lower_m": dict(metres), "upper_m": dict(metres)},
        "metres above the WGS84 ellipsoid; lower_m not above upper_m",
    )


def field_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a value of the field kind ``kind`` (text, callsign, count, ...)."""
    if kind == "text":
        return text_schema()
    if kind == "callsign":
        return {"type": "string", "pattern": pb.CALLSIGN.pattern}
    if kind == "count":
        return {
            "type": "integer",
            "minimum": 0,
            "maximum": pb.MAX_COUNT,
            "description": "a whole number, written without a decimal point",
        }
    if kind == "time":
        return _time()
    if kind == "time_window":
        return _object({"start": _time(), "end": _time()}, "end after start")
    if kind == "point":
        return _object({"lat": _latitude(), "lon": _longitude()}, "WGS84 degrees")
    if kind == "area":
        return _area()
    if kind == "altitude_band":
        return _altitude()
    if kind == "language":
        return {"type": "string", "pattern": pb.LANGUAGE_TAG.pattern}
    if kind == "notification":
        return {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^\S+$"}
    raise KeyError(f"no JSON Schema for the field kind {kind!r}")
