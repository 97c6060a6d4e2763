"""UAS geozones in: EUROCAE ED-269 and ED-318 zones read as notifications of kind ``zone``.

ED-318 is a GeoJSON FeatureCollection; a document is first checked against the ED-318 JSON
schema, EUROCONTROL's, which Openline does not ship: the operator gives its folder
(``SchemaFolder``: the node's ``ed318_schema_dir``, or ``openline import --schema``), and with
no schema an ED-318 file is refused rather than read unchecked. A problem outside the features
refuses the whole document, a problem inside one feature refuses that zone only, each reported
with its place in the document (``$.metadata.validFrom``) and what is wrong there.

ED-269 (``{features: [...]}`` or ``{UASZoneList: [...]}``, its zones with a ``geometry`` list of
layers) has no JSON schema of its own; it is read member by member and every error names the
member.

Each zone becomes one notification (or several "(part i/n)" when it has more volumes than one
may hold): one volume per horizontal area and vertical layer and time window. What Openline
cannot convert exactly is said in docs/interop.md: AGL heights are taken above the ellipsoid
as if the ground were at 0 m, AMSL heights as ellipsoid heights (no geoid model), a missing
upper limit is FL999 as in NOTAMs, and a permanent zone is notified for a year from the import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind
from openline.domain.timeutil import format_utc, parse_utc, within_the_years
from openline.domain.volumes import Limits, invalid_at
from openline.interop.notam import PERM_HORIZON, UNL_M
from openline.interop.notam_text import HEIGHT_UNITS_M
from openline.interop.plans import (
    Draft,
    ImportPlan,
    Reading,
    RecordError,
    object_at,
    plan_of,
    within_duration,
)

KIND = Kind.ZONE.value
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_SCHEMA_BASE = "file:///openline/ed318/"
Window = tuple[datetime, datetime]
MAX_SCHEDULED_PERIOD = timedelta(days=5 * 366)  # a daily schedule is expanded day by day


# --- the ED-318 schema ---------------------------------------------------------------------


SCHEMA_FILE = "Schema_GeoZones.json"
# What an operator puts in the schema folder, said in every refusal that asks for one.
SCHEMA_WANTED = (
    f"the folder holding EUROCONTROL's ED-318 JSON schema: {SCHEMA_FILE} and the files it "
    "refers to (the schema/ folder of the UASGeoZones ED-318 repository, MIT licence)"
)


@dataclass(frozen=True)
class SchemaFolder:
    """Where the ED-318 schema is looked for (``None``: nowhere), and how the operator names
    that place (a setting, a command-line option), so that a refusal says what to change."""

    path: Path | None
    named: str

    def validator(self) -> Any:
        """The schema's validator, or ``InvalidInput`` saying what to put where."""
        if self.path is None:
            raise InvalidInput(
                f"an ED-318 file is checked against the ED-318 JSON schema, and none is "
                f"configured: set {self.named} to {SCHEMA_WANTED}; nothing was imported"
            )
        if not (self.path / SCHEMA_FILE).is_file():
            raise InvalidInput(
                f"{self.named} is {self.path}, which holds no {SCHEMA_FILE}: set it to "
                f"{SCHEMA_WANTED}; nothing was imported"
            )
        try:
            return _validator(self.path.resolve())
        except (OSError, ValueError) as error:  # unreadable, or not JSON
            raise InvalidInput(
                f"the ED-318 schema in {self.path} ({self.named}) cannot be read: {error}; "
                "nothing was imported"
            ) from None


@cache  # per folder: a node reads its schema once (a new schema takes a restart)
def _validator(folder: Path) -> Any:
    # Imported here: jsonschema loads only on a node that reads geozones.
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = []
    for path in sorted(folder.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        resources.append((_SCHEMA_BASE + path.name, resource))
    registry: Any = Registry().with_resources(resources)
    root = registry[_SCHEMA_BASE + SCHEMA_FILE].contents
    return Draft7Validator({**root, "$id": _SCHEMA_BASE + SCHEMA_FILE}, registry=registry)


def schema_problems(document: Any, schema: SchemaFolder) -> list[tuple[list[Any], str]]:
    """Where an ED-318 document departs from the schema: (path, what is wrong), best first per
    place; empty when it is valid."""
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    found: dict[str, list[Any]] = {}
    try:
        for error in schema.validator().iter_errors(document):
            path = list(error.absolute_path)
            key = json.dumps(path[:2] if path[:1] == ["features"] else [])
            found.setdefault(key, []).append(error)
    except Unresolvable as missing:  # a file the schema refers to is not in the folder
        raise InvalidInput(
            f"the ED-318 schema in {schema.path} ({schema.named}) refers to {missing.ref}, "
            f"which is not there: set {schema.named} to {SCHEMA_WANTED}; nothing was imported"
        ) from None
    problems = []
    for errors in found.values():
        error = best_match(errors)
        problems.append((list(error.absolute_path), _what(error)))
    return problems


def _what(error: Any) -> str:
    return f"{_json_path(list(error.absolute_path))}: {error.message}"


def _json_path(path: Sequence[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


# --- reading -------------------------------------------------------------------------------


def plan_ed318(document: Any, *, now: datetime, limits: Limits, schema: SchemaFolder) -> ImportPlan:
    """The zones of an ED-318 FeatureCollection, after the check against ``schema``."""
    errors = []
    refused: set[int] = set()
    for path, message in schema_problems(document, schema):
        if len(path) >= 2 and path[0] == "features" and isinstance(path[1], int):
            refused.add(path[1])
            errors.append(
                RecordError(
                    f"features[{path[1]}]", f"not ED-318: {message}", field=_json_path(path)
                )
            )
        else:
            errors.append(RecordError("document", f"not ED-318: {message}", field=_json_path(path)))
            return ImportPlan(errors=errors)
    zones = (
        _ed318_zone(feature, f"features[{index}]", now, limits)
        for index, feature in enumerate(document["features"])
        if index not in refused
    )
    return plan_of(zones, limits=limits, errors=errors)


def _ed318_zone(feature: Any, where: str, now: datetime, limits: Limits) -> Reading:
    properties = feature.get("properties") or {}
    ident = str(properties.get("identifier", where))

    def read() -> Draft:
        volumes = [
            {**area, **band, **_window_json(window)}
            for area, band in _ed318_layers(feature["geometry"], f"{where}.geometry")
            for window in _windows(
                properties.get("limitedApplicability"),
                now,
                limits,
                f"{where}.properties.limitedApplicability",
            )
        ]
        return Draft(KIND, f"{ident} {_text(properties.get('name'))}".strip(), volumes)

    return Reading(f"zone {ident}", ident, ident, read)


def plan_ed269(document: Any, *, now: datetime, limits: Limits) -> ImportPlan:
    """The zones of an ED-269 document (``features`` or ``UASZoneList``)."""
    if not isinstance(document, Mapping):
        raise InvalidInput(f"{document!r:.60} is not an ED-269 document (an object)")
    name = "features" if "features" in document else "UASZoneList"
    zones = document.get(name)
    if not isinstance(zones, list):
        raise invalid_at(name, "expected the list of zones (features or UASZoneList)")
    readings = (
        _ed269_zone(zone, f"{name}[{index}]", now, limits) for index, zone in enumerate(zones)
    )
    return plan_of(readings, limits=limits)


def _ed269_zone(zone: Any, where: str, now: datetime, limits: Limits) -> Reading:
    ident = str(zone.get("identifier", where)) if isinstance(zone, Mapping) else where

    def read() -> Draft:
        z = object_at(zone, where)
        layers = z.get("geometry")
        if not isinstance(layers, list) or not layers:
            raise invalid_at(f"{where}.geometry", "expected a list of at least one layer")
        windows = [
            w
            for i, period in enumerate(_list(z.get("applicability"), f"{where}.applicability"))
            for w in _period(period, now, limits, f"{where}.applicability[{i}]", ed269=True)
        ] or _period({}, now, limits, f"{where}.applicability", ed269=True)
        volumes = [
            {
                **_ed269_area(layer, f"{where}.geometry[{k}]"),
                **_ed269_band(layer, f"{where}.geometry[{k}]"),
                **_window_json(w),
            }
            for k, layer in enumerate(layers)
            for w in windows
        ]
        return Draft(KIND, f"{ident} {_text(z.get('name'))}".strip(), volumes)

    return Reading(f"zone {ident}", ident, ident, read)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_at(where, f"expected a list, got {value!r:.60}")
    return value


def _text(value: Any) -> str:
    """A name: ED-269's text, or ED-318's [{text, lang}] (English first)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        texts = [v for v in value if isinstance(v, Mapping) and v.get("text")]
        english = [v for v in texts if str(v.get("lang", "")).startswith("en")]
        return str((english or texts or [{"text": ""}])[0]["text"])
    return ""


# --- heights -------------------------------------------------------------------------------


def height_m(value: Any, unit: Any, reference: Any, where: str, *, upper: bool) -> float:
    """A limit in WGS84 metres. AGL and AMSL are taken as heights above the ellipsoid
    (docs/interop.md: no terrain or geoid model); no upper limit is FL999, no lower limit 0."""
    if value is None or value == "":
        return UNL_M if upper else 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid_at(where, f"{value!r:.40} is not a number") from None
    factor = HEIGHT_UNITS_M.get(str(unit).upper())
    if factor is None:
        raise invalid_at(where, f"unit {unit!r:.20} is not m or ft")
    if reference is not None and str(reference).upper() not in ("AGL", "AMSL", "WGS84", "SFC"):
        raise invalid_at(where, f"vertical reference {reference!r:.20} is not AGL, AMSL or WGS84")
    return number * factor


def _ed318_layers(geometry: Any, where: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    g = object_at(geometry, where)
    if g.get("type") == "GeometryCollection":
        for i, part in enumerate(_list(g.get("geometries"), f"{where}.geometries")):
            yield from _ed318_layers(part, f"{where}.geometries[{i}]")
        return
    layer = object_at(g.get("layer"), f"{where}.layer")
    unit = layer.get("uom", "m")
    band = {
        "altitude_lower_m": height_m(
            layer.get("lower"),
            unit,
            layer.get("lowerReference"),
            f"{where}.layer.lower",
            upper=False,
        ),
        "altitude_upper_m": height_m(
            layer.get("upper"),
            unit,
            layer.get("upperReference"),
            f"{where}.layer.upper",
            upper=True,
        ),
    }
    if g.get("type") == "Point":
        extent = g.get("extent")
        if not isinstance(extent, Mapping) or extent.get("subType") != "Circle":
            raise invalid_at(f"{where}.extent", "a Point is an area only with a Circle extent")
        lon, lat = g["coordinates"][:2]
        yield {"circle": {"lat": lat, "lon": lon, "radius_m": extent.get("radius")}}, band
    elif g.get("type") in ("Polygon", "MultiPolygon"):
        yield {"geometry": {"type": g["type"], "coordinates": g["coordinates"]}}, band
    else:
        raise invalid_at(
            f"{where}.type",
            f"{g.get('type')!r:.30} is not an area (Polygon, MultiPolygon or a circle)",
        )


def _ed269_band(layer: Any, where: str) -> dict[str, float]:
    g = object_at(layer, where)
    unit = g.get("uomDimensions", "M")
    return {
        "altitude_lower_m": height_m(
            g.get("lowerLimit"),
            unit,
            g.get("lowerVerticalReference"),
            f"{where}.lowerLimit",
            upper=False,
        ),
        "altitude_upper_m": height_m(
            g.get("upperLimit"),
            unit,
            g.get("upperVerticalReference"),
            f"{where}.upperLimit",
            upper=True,
        ),
    }


def _ed269_area(layer: Any, where: str) -> dict[str, Any]:
    shape = object_at(
        object_at(layer, where).get("horizontalProjection"), f"{where}.horizontalProjection"
    )
    kind = shape.get("type")
    if kind == "Circle":
        centre = shape.get("center")
        if not isinstance(centre, list) or len(centre) < 2:
            raise invalid_at(f"{where}.horizontalProjection.center", "expected [lon, lat]")
        return {"circle": {"lat": centre[1], "lon": centre[0], "radius_m": shape.get("radius")}}
    if kind in ("Polygon", "MultiPolygon"):
        return {"geometry": {"type": kind, "coordinates": shape.get("coordinates")}}
    raise invalid_at(f"{where}.horizontalProjection.type", f"{kind!r:.30} is not Circle or Polygon")


# --- time ----------------------------------------------------------------------------------


def _window_json(window: Window) -> dict[str, str]:
    return {"time_start": format_utc(window[0]), "time_end": format_utc(window[1])}


def _windows(periods: Any, now: datetime, limits: Limits, where: str) -> list[Window]:
    found = [
        w
        for i, period in enumerate(_list(periods, where))
        for w in _period(period, now, limits, f"{where}[{i}]", ed269=False)
    ]
    return found or _period({}, now, limits, where, ed269=False)


def _period(value: Any, now: datetime, limits: Limits, where: str, *, ed269: bool) -> list[Window]:
    """The windows of one applicability period: its schedule within its start and end; a
    permanent zone, or one with no start, from ``now``; one with no end, for a year."""
    with within_the_years(where):
        return _period_windows(object_at(value, where), now, limits, where, ed269=ed269)


def _period_windows(
    p: Mapping[str, Any], now: datetime, limits: Limits, where: str, *, ed269: bool
) -> list[Window]:
    permanent = ed269 and str(p.get("permanent", "NO")).upper() == "YES"
    start = _instant(p.get("startDateTime"), f"{where}.startDateTime")
    end = _instant(p.get("endDateTime"), f"{where}.endDateTime")
    if permanent or start is None:
        start = now.replace(second=0, microsecond=0)
    if permanent or end is None:
        end = start + PERM_HORIZON
    if end <= start:
        raise invalid_at(
            f"{where}.endDateTime", f"{format_utc(end)} is not after {format_utc(start)}"
        )
    daily = p.get("schedule") if p.get("schedule") is not None else p.get("dailyPeriod")
    rules = [d for d in _list(daily, f"{where}.schedule") if _has_times(d)]
    if not rules:
        return within_duration([(start, end)], limits)
    if end - start > MAX_SCHEDULED_PERIOD:
        raise invalid_at(
            f"{where}.endDateTime",
            f"a daily schedule over {(end - start).days} days, over the limit of "
            f"{MAX_SCHEDULED_PERIOD.days}",
        )
    windows: list[Window] = []
    for i, rule in enumerate(rules):
        windows += _daily(rule, start, end, f"{where}.schedule[{i}]")
    if not windows:
        raise invalid_at(f"{where}.schedule", "gives no time within the period")
    return within_duration(_merged(sorted(windows)), limits)


def _has_times(rule: Any) -> bool:
    """Whether a daily rule says anything (ED-269 writes ``{day: [], startTime: null}``)."""
    if not isinstance(rule, Mapping):
        return True  # read, and refused, by _daily
    keys = ("startTime", "endTime", "startEvent", "endEvent")
    return bool(rule.get("day")) or any(rule.get(k) is not None for k in keys)


def _instant(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    instant = parse_utc(str(value), field=where)
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def _clock(value: Any, where: str, default: time) -> time:
    if value is None:
        return default
    text = str(value).rstrip("Zz")
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise invalid_at(where, f"{value!r:.30} is not a time of day (HH:MM:SSZ)") from None
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000, tzinfo=None)


def _daily(rule: Any, start: datetime, end: datetime, where: str) -> list[Window]:
    r = object_at(rule, where)
    for event in ("startEvent", "endEvent"):
        if r.get(event) is not None:
            raise invalid_at(
                f"{where}.{event}",
                f"{r[event]!r:.20}: sunrise and sunset depend on the place and date; "
                "give the times in UTC",
            )
    days = [str(d).upper() for d in _list(r.get("day"), f"{where}.day")] or ["ANY"]
    unknown = [d for d in days if d not in (*_DAYS, "ANY")]
    if unknown:
        raise invalid_at(f"{where}.day", f"{unknown[0]!r} is not MON ... SUN or ANY")
    first = _clock(r.get("startTime"), f"{where}.startTime", time())
    last = _clock(r.get("endTime"), f"{where}.endTime", time())
    windows = []
    day: date = start.date() - timedelta(days=1)  # a window from the day before may reach in
    while day <= end.date():
        if "ANY" in days or _DAYS[day.weekday()] in days:
            begin = datetime.combine(day, first, tzinfo=UTC)
            stop = datetime.combine(day, last, tzinfo=UTC)
            if stop <= begin:  # across midnight, or 00:00-00:00: the whole day
                stop += timedelta(days=1)
            clipped = (max(begin, start), min(stop, end))
            if clipped[0] < clipped[1]:
                windows.append(clipped)
        day += timedelta(days=1)
    return windows


def _merged(windows: list[Window]) -> list[Window]:
    out: list[Window] = []
    for begin, stop in windows:
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((begin, stop))
    return out
