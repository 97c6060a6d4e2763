"""The phrasebook: the typed message templates both sides agreed on.

Operators send fields, not prose, so that each node can render a message in its own
language and no location, time or altitude is ever mistranslated. This module holds the
templates and checks fields against them; rendering lives in ``openline.i18n``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc, parse_utc

MAX_REMARKS_CHARS = 2000
MAX_COUNT = 1_000_000
MIN_ALTITUDE_M = -500.0
MAX_ALTITUDE_M = 100_000.0
MAX_RADIUS_M = 1_000_000.0
MAX_AREA_VERTICES = 10_000
CALLSIGN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _/-]{0,31}\Z")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}\Z")

Checker = Callable[[Any, str], Any]


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field=field)


def finite_number(value: Any, field: str) -> float:
    """A JSON number (not a boolean) with a finite value, or InvalidInput naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(field, f"{value!r:.80} is not a number")
    # JSON has no limit on the digits of a number: an integer of 400 digits overflows float()
    # (and math.isfinite()), and is no finite number here.
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _fail(field, f"{value!r:.40} is not a finite number")
    return number


def _mapping(value: Any, field: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, f"expected an object with {', '.join(keys)}, got {quote(value)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _fail(field, f"missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:  # never drop what the sender wrote without saying so
        raise _fail(field, f"unknown key {quote(unknown[0])}; expected only {', '.join(keys)}")
    return value


def check_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, "must be non-empty text")
    if len(value) > MAX_REMARKS_CHARS:
        raise _fail(field, f"{len(value)} characters, over the limit of {MAX_REMARKS_CHARS}")
    return value


def check_callsign(value: Any, field: str) -> str:
    if not isinstance(value, str) or not CALLSIGN.match(value):
        raise _fail(
            field,
            f"{quote(value)} is not a unit or callsign: 1 to 32 letters, digits, space, _ / -",
        )
    return value


def check_count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _fail(field, f"{quote(value)} is not a whole number from 0 to {MAX_COUNT}")
    return value


def check_time(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"{quote(value)} is not an ISO 8601 UTC date-time")
    return format_utc(parse_utc(value, field=field))


def check_time_window(value: Any, field: str) -> dict[str, str]:
    window = _mapping(value, field, ("start", "end"))
    start = parse_utc(window["start"], field=f"{field}.start")
    end = parse_utc(window["end"], field=f"{field}.end")
    if end <= start:
        raise _fail(field, f"end {format_utc(end)} is not after start {format_utc(start)}")
    return {"start": format_utc(start), "end": format_utc(end)}


def check_latitude(value: Any, field: str) -> float:
    lat = finite_number(value, field)
    if not -90.0 <= lat <= 90.0:
        raise _fail(field, f"latitude {lat:g} is outside -90 to 90")
    return lat


def check_longitude(value: Any, field: str) -> float:
    lon = finite_number(value, field)
    if not -180.0 <= lon <= 180.0:
        raise _fail(field, f"longitude {lon:g} is outside -180 to 180")
    return lon


def check_point(value: Any, field: str) -> dict[str, float]:
    point = _mapping(value, field, ("lat", "lon"))
    return {
        "lat": check_latitude(point["lat"], f"{field}.lat"),
        "lon": check_longitude(point["lon"], f"{field}.lon"),
    }


def check_altitude_band(value: Any, field: str) -> dict[str, float]:
    band = _mapping(value, field, ("lower_m", "upper_m"))
    lower = finite_number(band["lower_m"], f"{field}.lower_m")
    upper = finite_number(band["upper_m"], f"{field}.upper_m")
    for name, metres in (("lower_m", lower), ("upper_m", upper)):
        if not MIN_ALTITUDE_M <= metres <= MAX_ALTITUDE_M:
            raise _fail(
                f"{field}.{name}",
                f"{metres} m is outside {MIN_ALTITUDE_M:g} to {MAX_ALTITUDE_M:g} m",
            )
    if lower > upper:
        raise _fail(field, f"lower_m {lower} is above upper_m {upper}")
    return {"lower_m": lower, "upper_m": upper}


def check_area(value: Any, field: str) -> dict[str, Any]:
    """A GeoJSON Polygon (lon, lat order), ``{"circle": {"lat", "lon", "radius_m"}}`` or
    ``{"corridor": {"path": [[lon, lat], ...], "half_width_m"}}``.

    Only the shape is checked here; the geometry engine checks self-intersection and limits.
    """
    if isinstance(value, Mapping) and "corridor" in value:
        return {"corridor": _check_corridor(value, field)}
    if isinstance(value, Mapping) and "circle" in value:
        _mapping(value, field, ("circle",))
        circle = _mapping(value["circle"], f"{field}.circle", ("lat", "lon", "radius_m"))
        radius = finite_number(circle["radius_m"], f"{field}.circle.radius_m")
        if not 0 < radius <= MAX_RADIUS_M:
            raise _fail(
                f"{field}.circle.radius_m",
                f"{radius:.10g} m is not more than 0 and at most {MAX_RADIUS_M:.0f} m",
            )
        centre = check_point({"lat": circle["lat"], "lon": circle["lon"]}, f"{field}.circle")
        return {"circle": {**centre, "radius_m": radius}}
    polygon = _mapping(value, field, ("type", "coordinates"))
    if polygon["type"] != "Polygon":
        raise _fail(field, f"type {quote(polygon['type'])} is not Polygon (or give a circle)")
    rings = polygon["coordinates"]
    if not isinstance(rings, list) or not rings:
        raise _fail(f"{field}.coordinates", "expected a list of linear rings")
    checked = [_check_ring(ring, f"{field}.coordinates[{i}]") for i, ring in enumerate(rings)]
    return {"type": "Polygon", "coordinates": checked}


def _check_corridor(value: Mapping[str, Any], field: str) -> dict[str, Any]:
    _mapping(value, field, ("corridor",))
    corridor = _mapping(value["corridor"], f"{field}.corridor", ("path", "half_width_m"))
    width = finite_number(corridor["half_width_m"], f"{field}.corridor.half_width_m")
    if not 0 < width <= MAX_RADIUS_M:
        raise _fail(
            f"{field}.corridor.half_width_m",
            f"{width:.10g} m is not more than 0 and at most {MAX_RADIUS_M:.0f} m",
        )
    path = corridor["path"]
    if not isinstance(path, list) or not 2 <= len(path) <= MAX_AREA_VERTICES:
        raise _fail(f"{field}.corridor.path", f"a path needs 2 to {MAX_AREA_VERTICES} positions")
    return {"path": _positions(path, f"{field}.corridor.path"), "half_width_m": width}


def _check_ring(ring: Any, field: str) -> list[list[float]]:
    if not isinstance(ring, list) or not 4 <= len(ring) <= MAX_AREA_VERTICES:
        raise _fail(field, f"a ring needs 4 to {MAX_AREA_VERTICES} positions, first = last")
    positions = _positions(ring, field)
    if positions[0] != positions[-1]:
        raise _fail(field, "the ring is not closed: its first and last positions differ")
    return positions


def _positions(ring: list[Any], field: str) -> list[list[float]]:
    positions = []
    for i, position in enumerate(ring):
        if not isinstance(position, list) or len(position) != 2:
            raise _fail(
                f"{field}[{i}]",
                f"{quote(position)} is not a [lon, lat] position (heights go in altitude_band)",
            )
        positions.append(
            [
                check_longitude(position[0], f"{field}[{i}][0]"),
                check_latitude(position[1], f"{field}[{i}][1]"),
            ]
        )
    return positions


def check_notification_id(value: Any, field: str) -> str:
    """A notification's id (``ntf_...``), as a movement-notice names the movement it is about."""
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isprintable():
        raise _fail(field, f"{quote(value)} is not a notification id such as ntf_01J...")
    if value != value.strip() or " " in value:
        raise _fail(field, f"{quote(value)} is not a notification id: it holds a space")
    return value


def check_language_tag(value: Any, field: str) -> str:
    if not isinstance(value, str) or not LANGUAGE_TAG.match(value):
        raise _fail(field, f"{quote(value)} is not an ISO 639 language code such as en or ru")
    return value


FIELD_KINDS: Mapping[str, Checker] = {
    "text": check_text,
    "callsign": check_callsign,
    "count": check_count,
    "time": check_time,
    "time_window": check_time_window,
    "point": check_point,
    "area": check_area,
    "altitude_band": check_altitude_band,
    "language": check_language_tag,
    "notification": check_notification_id,
}


@dataclass(frozen=True)
class FieldSpec:
    """One typed field of a template."""

    name: str
    kind: str
    required: bool = False


@dataclass(frozen=True)
class Template:
    """A message template: its name, its fields, and whether it must answer a message."""

    name: str
    fields: tuple[FieldSpec, ...]
    answers_message: bool = False


def _t(name: str, *fields: tuple[str, str, bool], answers: bool = False) -> Template:
    return Template(name, tuple(FieldSpec(*f) for f in fields), answers_message=answers)


REQ, OPT = True, False
TEMPLATES: Mapping[str, Template] = {
    t.name: t
    for t in (
        _t(
            "planned-operation",
            ("area", "area", REQ),
            ("time_window", "time_window", REQ),
            ("altitude_band", "altitude_band", OPT),
            ("activity", "text", REQ),
            ("unit", "callsign", OPT),
            ("remarks", "text", OPT),
        ),
        _t(
            "deconfliction-request",
            ("area", "area", REQ),
            ("time_window", "time_window", REQ),
            ("altitude_band", "altitude_band", OPT),
            ("request", "text", REQ),
            ("remarks", "text", OPT),
        ),
        _t("confirm", ("remarks", "text", OPT), answers=True),
        _t("unable", ("reason", "text", REQ), ("remarks", "text", OPT), answers=True),
        _t(
            "imminent-activity-warning",
            ("area", "area", REQ),
            ("time_window", "time_window", REQ),
            ("altitude_band", "altitude_band", OPT),
            ("activity", "text", REQ),
            ("remarks", "text", OPT),
        ),
        _t(
            "request-cease-activity",
            ("location", "point", REQ),
            ("activity", "text", REQ),
            ("unit", "callsign", OPT),
            ("remarks", "text", OPT),
        ),
        _t(
            "unsafe-encounter-report",
            ("location", "point", REQ),
            ("time", "time", REQ),
            ("own_unit", "callsign", OPT),
            ("other_unit", "callsign", OPT),
            ("closest_distance_m", "count", OPT),
            ("description", "text", REQ),
        ),
        _t(
            "protected-site-notice",
            ("location", "point", REQ),
            ("site", "text", REQ),
            ("radius_m", "count", OPT),
            ("time_window", "time_window", OPT),
            ("remarks", "text", OPT),
        ),
        _t(
            "movement-notice",
            ("origin", "point", REQ),
            ("destination", "point", REQ),
            ("time_window", "time_window", REQ),
            ("unit", "callsign", OPT),
            ("vehicles", "count", OPT),
            ("notification", "notification", OPT),
            ("remarks", "text", OPT),
        ),
        _t("line-check", ("remarks", "text", OPT)),
        _t("free-text", ("text", "text", REQ), ("lang", "language", REQ)),
    )
}
FREE_TEXT = "free-text"


def get_template(name: object) -> Template:
    """The template called ``name``, or an error naming the ones that exist."""
    if not isinstance(name, str) or name not in TEMPLATES:
        raise InvalidInput(
            f"template {quote(name)} is not in the phrasebook: one of {', '.join(TEMPLATES)}",
            field="template",
        )
    return TEMPLATES[name]


def check_fields(
    template: Template, fields: object, *, max_text_bytes: int, prefix: str = "fields."
) -> dict[str, Any]:
    """The fields, checked against the template and normalised (times in UTC, numbers as floats).

    Unknown fields are refused so that a typo never silently drops information. Errors name
    each field as ``prefix`` + its name: ``fields.area`` for a template's fields, plain ``text``
    for free text, which the client sent as top-level keys.
    """
    if not isinstance(fields, Mapping):
        raise InvalidInput(f"fields must be an object, got {quote(fields)}", field="fields")
    known = {spec.name for spec in template.fields}
    for name in fields:
        if name not in known:
            raise InvalidInput(
                f"{prefix}{name}: not a field of {template.name} "
                f"(its fields: {', '.join(sorted(known)) or 'none'})",
                field=f"{prefix}{name}",
            )
    # Every missing field named at once, so that one correction is enough; ``field`` names the
    # first (the error shape has one).
    missing = [
        f"{prefix}{spec.name}"
        for spec in template.fields
        if spec.required and fields.get(spec.name) is None
    ]
    if missing:
        raise InvalidInput(f"{', '.join(missing)}: required by {template.name}", field=missing[0])
    checked: dict[str, Any] = {}
    for spec in template.fields:
        path = f"{prefix}{spec.name}"
        if fields.get(spec.name) is None:
            continue
        if template.name == FREE_TEXT and spec.name == "text":
            checked[spec.name] = check_free_text(fields[spec.name], path, max_text_bytes)
        else:
            checked[spec.name] = FIELD_KINDS[spec.kind](fields[spec.name], path)
    return checked


def check_free_text(value: Any, field: str, max_bytes: int) -> str:
    """Free text: non-empty, at most ``max_bytes`` bytes of UTF-8."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, "must be non-empty text")
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        raise _fail(field, f"{size} bytes, over the limit of {max_bytes} bytes")
    return value
