"""ASTM F3548-21 volumes and operational intents in and out, and InterUSS's flight intents in.

An F3548 ``Volume4D`` is ``{volume: {outline_polygon | outline_circle, altitude_lower,
altitude_upper}, time_start, time_end}``: polygons are vertex lists ``{lat, lng}`` that are not
closed, circles a centre and a radius, altitudes ``{value, reference: W84, units: M}`` (WGS84
metres, as Openline's own), times ``{value: RFC 3339, format: RFC3339}``. Openline reads:

- one ``Volume4D``, or a list of them: one notification;
- an ``OperationalIntent`` (``{reference, details: {volumes, off_nominal_volumes}}``), a
  ``{"operational_intents": [...]}`` list of them (what ``export`` writes), or the body of a
  PUT of an operational intent reference (``{extents: [...]}``): one notification each, whose
  reference is the intent's id;
- InterUSS's ``FlightIntentCollection`` (YAML or JSON, ``{intents: {name: {full | delta}}}``):
  each intent resolved (a ``delta`` patches its ``source``), its test times resolved against
  the import instant, then read as F3548 volumes like any other.

Times keep their milliseconds (Openline's precision); every volume is checked by the
notification rules (openline.domain.volumes). docs/interop.md says what is lost on the way out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind
from openline.domain.timeutil import format_utc, parse_utc, within_the_years
from openline.domain.volumes import Limits, invalid_at
from openline.geo.outlines import leg_outlines
from openline.interop.notam_text import HEIGHT_UNITS_M
from openline.interop.plans import Draft, ImportPlan, Reading, object_at, plan_of

KIND = Kind.UAV_OPERATION.value


# --- F3548 -> Openline ---------------------------------------------------------------------


def volume_from_f3548(value: Any, where: str) -> dict[str, Any]:
    """One F3548 Volume4D as Openline's volume JSON (``volumes[i]`` of a notification)."""
    v = object_at(value, where)
    three_d = object_at(v.get("volume"), f"{where}.volume")
    out: dict[str, Any] = _outline(three_d, f"{where}.volume")
    out["altitude_lower_m"] = altitude_m(
        three_d.get("altitude_lower"), f"{where}.volume.altitude_lower"
    )
    out["altitude_upper_m"] = altitude_m(
        three_d.get("altitude_upper"), f"{where}.volume.altitude_upper"
    )
    out["time_start"] = _time(v.get("time_start"), f"{where}.time_start")
    out["time_end"] = _time(v.get("time_end"), f"{where}.time_end")
    return out


def _outline(volume: Mapping[str, Any], where: str) -> dict[str, Any]:
    polygon, circle = volume.get("outline_polygon"), volume.get("outline_circle")
    if (polygon is None) == (circle is None):
        raise invalid_at(where, "give exactly one of outline_polygon and outline_circle")
    if circle is not None:
        c = object_at(circle, f"{where}.outline_circle")
        centre = _point(c.get("center"), f"{where}.outline_circle.center")
        radius = object_at(c.get("radius"), f"{where}.outline_circle.radius")
        metres = _number(radius.get("value"), f"{where}.outline_circle.radius.value")
        factor = _unit(radius.get("units", "M"), f"{where}.outline_circle.radius.units")
        return {"circle": {"lat": centre[1], "lon": centre[0], "radius_m": metres * factor}}
    vertices = object_at(polygon, f"{where}.outline_polygon").get("vertices")
    if not isinstance(vertices, list):
        raise invalid_at(f"{where}.outline_polygon.vertices", "expected a list of {lat, lng}")
    ring = [
        list(_point(p, f"{where}.outline_polygon.vertices[{i}]")) for i, p in enumerate(vertices)
    ]
    if ring and ring[0] != ring[-1]:  # F3548 lists each vertex once; GeoJSON closes the ring
        ring.append(list(ring[0]))
    return {"geometry": {"type": "Polygon", "coordinates": [ring]}}


def _point(value: Any, where: str) -> tuple[float, float]:
    p = object_at(value, where)
    return _number(p.get("lng"), f"{where}.lng"), _number(p.get("lat"), f"{where}.lat")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_at(where, f"{value!r:.60} is not a number")
    return float(value)


def _unit(value: Any, where: str) -> float:
    if not isinstance(value, str) or value not in HEIGHT_UNITS_M:
        raise invalid_at(where, f"{value!r:.40} is not a unit Openline reads (M or FT)")
    return HEIGHT_UNITS_M[value]


def altitude_m(value: Any, where: str) -> float:
    """An F3548 Altitude in WGS84 metres; any other datum is refused (Openline has no geoid or
    terrain model to convert it honestly)."""
    if value is None:
        raise invalid_at(where, "is missing: Openline needs both limits of a volume")
    a = object_at(value, where)
    reference = a.get("reference", "W84")
    if reference != "W84":
        raise invalid_at(
            f"{where}.reference",
            f"{reference!r:.40} is not W84: Openline reads heights above the WGS84 ellipsoid",
        )
    return _number(a.get("value"), f"{where}.value") * _unit(a.get("units", "M"), f"{where}.units")


def _time(value: Any, where: str) -> str:
    t = object_at(value, where)
    text = t.get("value")
    if not isinstance(text, str):
        raise invalid_at(f"{where}.value", f"{text!r:.60} is not an RFC 3339 time")
    if t.get("format", "RFC3339") != "RFC3339":
        raise invalid_at(f"{where}.format", f"{t.get('format')!r:.40} is not RFC3339")
    return format_utc(parse_utc(text, field=f"{where}.value"))


# --- Openline -> F3548 ---------------------------------------------------------------------


def volume_to_f3548(volume: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Openline's volume JSON as F3548 Volume4Ds: one, or one per polygon of a MultiPolygon, or
    one per leg of a corridor. F3548 has no holes and no corridors: a polygon's holes are left
    out, and a corridor's leg is a polygon round it, so the volume claims more airspace, never
    less."""
    band = {
        "altitude_lower": {"value": volume["altitude_lower_m"], "reference": "W84", "units": "M"},
        "altitude_upper": {"value": volume["altitude_upper_m"], "reference": "W84", "units": "M"},
    }
    times = {
        "time_start": {"value": volume["time_start"], "format": "RFC3339"},
        "time_end": {"value": volume["time_end"], "format": "RFC3339"},
    }
    if "circle" in volume:
        c = volume["circle"]
        outlines: list[dict[str, Any]] = [
            {
                "outline_circle": {
                    "center": {"lat": c["lat"], "lng": c["lon"]},
                    "radius": {"value": c["radius_m"], "units": "M"},
                }
            }
        ]
    elif "corridor" in volume:  # F3548 has no corridor: a polygon round each leg
        corridor = volume["corridor"]
        rings = leg_outlines([tuple(p) for p in corridor["path"]], corridor["half_width_m"])
        outlines = [
            {"outline_polygon": {"vertices": [{"lat": lat, "lng": lon} for lon, lat in ring[:-1]]}}
            for ring in rings
        ]
    else:
        geometry = volume["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        outlines = [
            {
                "outline_polygon": {
                    "vertices": [{"lat": lat, "lng": lon} for lon, lat in rings[0][:-1]]
                }
            }
            for rings in polygons
        ]
    return [{"volume": {**outline, **band}, **times} for outline in outlines]


_STATES = {"planned": "Accepted", "active": "Activated"}


def export(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Live notifications (records as the API gives them) as F3548 operational intents."""
    intents = []
    for record in records:
        volumes = [v for volume in record["volumes"] for v in volume_to_f3548(volume)]
        intents.append(
            {
                "reference": {
                    "id": record["id"],
                    "manager": record["owner"],
                    "version": record["version"],
                    "state": _STATES.get(record["status"], "Ended"),
                    "time_start": volumes[0]["time_start"] if volumes else None,
                    "time_end": volumes[-1]["time_end"] if volumes else None,
                },
                "details": {"volumes": volumes, "off_nominal_volumes": [], "priority": 0},
                "openline": {
                    "kind": record["kind"],
                    "title": record["title"],
                    "reference": record.get("reference"),
                },
            }
        )
    for intent in intents:  # the reference's window spans every volume
        volumes = intent["details"]["volumes"]
        if volumes:
            intent["reference"]["time_start"] = min(
                (v["time_start"] for v in volumes), key=lambda t: t["value"]
            )
            intent["reference"]["time_end"] = max(
                (v["time_end"] for v in volumes), key=lambda t: t["value"]
            )
    return {"operational_intents": intents}


# --- documents -----------------------------------------------------------------------------


def plan(document: Any, *, now: datetime, limits: Limits) -> ImportPlan:
    """Every intent (or the one list of volumes) of an F3548 or InterUSS document."""
    return plan_of(_intents(document, now), limits=limits)


def _reading(
    item: str, reference: str | None, title: str, volumes: Callable[[], list[dict[str, Any]]]
) -> Reading:
    """A record whose title is known before its volumes are read."""
    return Reading(item, reference, title, lambda: Draft(KIND, title, volumes()))


def _intents(document: Any, now: datetime) -> list[Reading]:
    """The records of the document."""
    if isinstance(document, list):
        return [_reading("volumes", None, "F3548 volumes", lambda: _volumes(document, "volumes"))]
    if not isinstance(document, Mapping):
        raise InvalidInput(f"{document!r:.60} is not an F3548 document (an object or a list)")
    if "intents" in document:
        return _interuss(document["intents"], now)
    if "operational_intents" in document:
        found = document["operational_intents"]
        if not isinstance(found, list):
            raise invalid_at("operational_intents", "expected a list of operational intents")
        return [_intent(o, f"operational_intents[{i}]") for i, o in enumerate(found)]
    if "details" in document or "extents" in document:
        return [_intent(document, "operational intent")]
    if "volume" in document:
        one = _reading(
            "volume", None, "F3548 volume", lambda: [volume_from_f3548(document, "volume")]
        )
        return [one]
    raise InvalidInput(
        "not an F3548 document: expected a Volume4D, a list of them, an operational intent, "
        "{operational_intents: [...]} or an InterUSS {intents: {...}}"
    )


def _volumes(items: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise invalid_at(where, "expected a list of Volume4D")
    return [volume_from_f3548(v, f"{where}[{i}]") for i, v in enumerate(items)]


def _intent(value: Any, where: str) -> Reading:
    intent = value if isinstance(value, Mapping) else {}
    reference = intent.get("reference")
    ident = reference.get("id") if isinstance(reference, Mapping) else None
    found = intent.get("openline")
    extra: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = str(ident) if ident is not None else where
    title = str(extra.get("title") or f"F3548 operational intent {name}")
    item = f"{where} ({ident})" if ident is not None else where

    def read() -> list[dict[str, Any]]:
        if not isinstance(value, Mapping):
            raise invalid_at(where, f"expected an operational intent, got {value!r:.60}")
        if "extents" in value:
            return _volumes(value["extents"], f"{where}.extents")
        details = object_at(value.get("details"), f"{where}.details")
        # Off-nominal volumes are airspace the operation may still use: kept clear too.
        return _volumes(details.get("volumes", []), f"{where}.details.volumes") + _volumes(
            details.get("off_nominal_volumes", []), f"{where}.details.off_nominal_volumes"
        )

    return _reading(item, (str(ident) if ident is not None else None), title, read)


# --- InterUSS flight intents ---------------------------------------------------------------


def merge(base: Any, patch: Any) -> Any:
    """InterUSS's delta: mappings merge, lists merge item by item, a ``+key`` replaces."""
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        out = dict(base)
        for key, value in patch.items():
            if key.startswith("+"):
                out[key[1:]] = value
            else:
                out[key] = merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(patch, list):
        return [merge(b, p) for b, p in zip(base, patch, strict=False)] + base[len(patch) :]
    return patch


def resolved(intents: Mapping[str, Any], name: str, seen: tuple[str, ...] = ()) -> Any:
    """The full intent ``name``: itself, or its delta applied to its source, resolved first."""
    if name in seen:
        raise InvalidInput(f"intent {name}: its delta sources go round ({' -> '.join(seen)})")
    intent = intents.get(name)
    if not isinstance(intent, Mapping):
        raise InvalidInput(f"intent {name} is not defined")
    if "full" in intent:
        return copy.deepcopy(intent["full"])
    delta = intent.get("delta")
    if not isinstance(delta, Mapping) or "source" not in delta:
        raise invalid_at(f"intents.{name}", "expected full or delta (with a source)")
    return merge(resolved(intents, str(delta["source"]), (*seen, name)), delta.get("mutation"))


def duration(text: Any, where: str) -> timedelta:
    """An InterUSS duration: ``45m``, ``-1s``, ``12h``, ``32d``."""
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([smhd])\s*", str(text))
    if match is None:
        raise invalid_at(where, f"{text!r:.40} is not a duration such as 45m, -1s, 12h, 2d")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return timedelta(seconds=float(match.group(1)) * unit)


_WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def intent_time(spec: Any, now: datetime, where: str) -> datetime:
    """An InterUSS test time. Every named moment of a test run (TimeOfEvaluation,
    StartOfTestRun, StartOfScenario) is the import instant ``now``."""
    s = object_at(spec, where)
    if "absolute_time" in s:
        return parse_utc(str(s["absolute_time"]), field=f"{where}.absolute_time")
    if "time_during_test" in s:
        return now
    if "offset_from" in s:
        o = object_at(s["offset_from"], f"{where}.offset_from")
        base = intent_time(o.get("starting_from"), now, f"{where}.offset_from.starting_from")
        with within_the_years(f"{where}.offset_from"):
            return base + duration(o.get("offset", "0s"), f"{where}.offset_from.offset")
    if "next_day" in s:
        n = object_at(s["next_day"], f"{where}.next_day")
        base = intent_time(n.get("starting_from"), now, f"{where}.next_day.starting_from")
        with within_the_years(f"{where}.next_day"):
            return _next_day(base, n, f"{where}.next_day")
    raise invalid_at(where, "expected absolute_time, time_during_test, offset_from or next_day")


def _next_day(base: datetime, spec: Mapping[str, Any], where: str) -> datetime:
    zone = _zone(spec.get("time_zone", "UTC"), f"{where}.time_zone")
    days = spec.get("days_of_the_week") or list(_WEEKDAYS)
    if not isinstance(days, list):
        raise invalid_at(f"{where}.days_of_the_week", f"{days!r:.40} is not a list of weekdays")
    local = base.astimezone(zone)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=zone)
    for step in range(1, 8):
        day = midnight + timedelta(days=step)
        if _WEEKDAYS[day.weekday()] in days:
            return day.astimezone(base.tzinfo)
    raise invalid_at(f"{where}.days_of_the_week", f"{days!r:.60} names no weekday (Mo ... Su)")


def _zone(name: Any, where: str) -> Any:
    text = str(name)
    offset = re.fullmatch(r"([+-])(\d{2}):(\d{2})", text)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        return timezone(sign * delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid_at(where, f"{text!r:.40} is not a time zone") from None


def interuss_volume(area: Any, now: datetime, where: str) -> dict[str, Any]:
    """One area of an InterUSS intent (a Volume4D template) as an F3548 Volume4D."""
    a = object_at(area, where)
    start = intent_time(a.get("start_time"), now, f"{where}.start_time")
    if a.get("end_time") is not None:
        end = intent_time(a["end_time"], now, f"{where}.end_time")
    elif a.get("duration") is not None:
        end = start + duration(a["duration"], f"{where}.duration")
    else:
        raise invalid_at(where, "give end_time or duration")
    volume = {k: a[k] for k in ("outline_polygon", "outline_circle") if a.get(k) is not None}
    for name in ("altitude_lower", "altitude_upper"):
        if name in a:
            volume[name] = a[name]
    return {
        "volume": volume,
        "time_start": {"value": format_utc(start), "format": "RFC3339"},
        "time_end": {"value": format_utc(end), "format": "RFC3339"},
    }


def _interuss(intents: Any, now: datetime) -> list[Reading]:
    if not isinstance(intents, Mapping):
        raise invalid_at("intents", "expected a mapping of intent names to intents")

    def reader(name: str) -> Callable[[], list[dict[str, Any]]]:
        def read() -> list[dict[str, Any]]:
            intent = object_at(resolved(intents, name), f"intents.{name}")
            basic = object_at(intent.get("basic_information"), f"intents.{name}.basic_information")
            area = basic.get("area")
            where = f"intents.{name}.basic_information.area"
            if not isinstance(area, list):
                raise invalid_at(where, "expected a list of volumes")
            return [
                volume_from_f3548(interuss_volume(v, now, f"{where}[{i}]"), f"{where}[{i}]")
                for i, v in enumerate(area)
            ]

        return read

    return [_reading(f"intent {name}", str(name), str(name), reader(str(name))) for name in intents]
