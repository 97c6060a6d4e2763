"""4D volumes: a footprint on the ground, an altitude band and a time window.

A footprint is a polygon (an exterior ring and its holes), several polygons, a circle, or a
corridor (every point within a half width of a path), in WGS84 degrees; its edges are
geodesics. This module reads volumes from the API's JSON and from
peers' records and refuses, naming the exact place (``volumes[2].geometry.coordinates[0][5]``),
anything the conflict engine could not handle exactly. The rules and their messages are listed
in docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.phrasebook import (
    MAX_ALTITUDE_M,
    MIN_ALTITUDE_M,
    check_latitude,
    check_longitude,
    finite_number,
)
from openline.domain.polygons import (
    Point,
    PointIndex,
    cap_area_m2,
    find_crossing,
    great_circle_m,
    ring_area_m2,
    unwrap,
)
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc, parse_utc


@dataclass(frozen=True)
class Limits:
    """How much one notification may hold; the defaults keep every check well under a second."""

    max_vertices: int = 10_000  # per volume, all rings together, closing positions not counted
    max_volumes: int = 100  # per notification
    max_area_km2: float = 1_000_000.0  # per polygon footprint
    max_radius_m: float = 1_000_000.0  # per circle footprint
    max_duration: timedelta = timedelta(days=366)  # per volume's time window
    max_edge_km: float = 500.0  # per polygon edge or corridor leg: see docs/notifications.md
    max_half_width_m: float = 100_000.0  # per corridor


@dataclass(frozen=True)
class Polygon:
    """An exterior ring then its holes, each a closed ring of (lon, lat) degrees as given."""

    rings: tuple[tuple[Point, ...], ...]

    def to_json(self) -> dict[str, Any]:
        """``{"geometry": GeoJSON Polygon}``, coordinates as they were given."""
        return {"geometry": {"type": "Polygon", "coordinates": self.coordinates()}}

    def coordinates(self) -> list[list[list[float]]]:
        """The rings as GeoJSON writes them: lists of ``[lon, lat]``."""
        return [[[lon, lat] for lon, lat in ring] for ring in self.rings]


@dataclass(frozen=True)
class MultiPolygon:
    """Several polygons that neither overlap nor touch."""

    polygons: tuple[Polygon, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"geometry": GeoJSON MultiPolygon}``, coordinates as they were given."""
        coordinates = [p.coordinates() for p in self.polygons]
        return {"geometry": {"type": "MultiPolygon", "coordinates": coordinates}}


@dataclass(frozen=True)
class Circle:
    """Every point within ``radius_m`` (on the surface) of a centre."""

    lat: float
    lon: float
    radius_m: float

    def to_json(self) -> dict[str, dict[str, float]]:
        """``{"circle": {"lat", "lon", "radius_m"}}``."""
        return {"circle": {"lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}}


@dataclass(frozen=True)
class Corridor:
    """Every point within ``half_width_m`` (on the surface) of a path: the geodesic legs from
    each (lon, lat) position to the next, as given."""

    path: tuple[Point, ...]
    half_width_m: float

    def to_json(self) -> dict[str, dict[str, Any]]:
        """``{"corridor": {"path": [[lon, lat], ...], "half_width_m"}}``."""
        path = [[lon, lat] for lon, lat in self.path]
        return {"corridor": {"path": path, "half_width_m": self.half_width_m}}


Footprint = Polygon | MultiPolygon | Circle | Corridor
SHAPES = ("geometry", "circle", "corridor")  # the members that give a volume's footprint


@dataclass(frozen=True)
class Volume4D:
    """A footprint, an altitude band (WGS84 metres) and a time window (UTC, milliseconds)."""

    footprint: Footprint
    altitude_lower_m: float
    altitude_upper_m: float
    time_start: datetime
    time_end: datetime

    def to_json(self) -> dict[str, Any]:
        """The volume as the API, the journal and the line write it (read back by
        :func:`parse_volume`)."""
        return {
            **self.footprint.to_json(),
            "altitude_lower_m": self.altitude_lower_m,
            "altitude_upper_m": self.altitude_upper_m,
            "time_start": format_utc(self.time_start),
            "time_end": format_utc(self.time_end),
        }


def invalid_at(where: str, message: str) -> InvalidInput:
    return InvalidInput(f"{where}: {message}", field=where)


def members(
    value: Any, where: str, required: Sequence[str], optional: Sequence[str] = ()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        message = f"expected an object with {', '.join(required)}, got {value!r:.80}"
        raise invalid_at(where, message) if where else InvalidInput(message)
    unknown = sorted(str(k) for k in value if k not in required and k not in optional)
    if unknown:  # a typo must never drop what the sender meant
        allowed = ", ".join([*required, *optional])
        raise invalid_at(
            f"{where}.{unknown[0]}" if where else unknown[0],
            f"unknown member {quote(unknown[0])}; expected {allowed}",
        )
    missing = [k for k in required if k not in value]
    if missing:
        raise invalid_at(
            f"{where}.{missing[0]}" if where else missing[0], f"{missing[0]} is missing"
        )
    return value


def list_of(value: Any, where: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid_at(where, f"expected a list of {what}, got {value!r:.80}")
    return value


def instant_ms(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise invalid_at(
            where, f"{value!r:.80} is not an ISO 8601 date-time such as 2024-12-03T12:00:00Z"
        )
    instant = parse_utc(value, field=where)
    # Milliseconds, as the record carries them, so both nodes hold the same instant.
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


# --- volumes -------------------------------------------------------------------------------

_BAND_AND_WINDOW = ("altitude_lower_m", "altitude_upper_m", "time_start", "time_end")


def parse_volume(value: Any, *, index: int, limits: Limits) -> Volume4D:
    """Read one volume of the API's JSON (``volumes[index]``), or say exactly what is wrong."""
    where = f"volumes[{index}]"
    given = [k for k in SHAPES if isinstance(value, Mapping) and k in value]
    if len(given) > 1:
        raise invalid_at(where, f"give either {given[0]} or {given[1]}, not both")
    shape = given[0] if given else "geometry"
    v = members(value, where, (shape, *_BAND_AND_WINDOW))
    footprint = _FOOTPRINT_READERS[shape](v[shape], f"{where}.{shape}", limits)
    lower, upper = altitude_band(v, where)
    start = instant_ms(v["time_start"], f"{where}.time_start")
    end = instant_ms(v["time_end"], f"{where}.time_end")
    if end <= start:
        raise invalid_at(
            f"{where}.time_end", f"{format_utc(end)} is not after time_start {format_utc(start)}"
        )
    check_duration(end - start, f"{where}.time_end", limits)
    return Volume4D(footprint, lower, upper, start, end)


def check_duration(span: timedelta, where: str, limits: Limits) -> None:
    """Refuse a time window longer than the limit."""
    if span > limits.max_duration:
        raise invalid_at(
            where,
            f"the time window is {_days(span)} long, over the limit of "
            f"{_days(limits.max_duration)}",
        )


def _days(span: timedelta) -> str:
    if span < timedelta(days=1):
        return f"{span / timedelta(hours=1):.6g} h"
    return f"{span / timedelta(days=1):.6g} days"


def altitude_band(value: Mapping[str, Any], where: str) -> tuple[float, float]:
    """``altitude_lower_m`` and ``altitude_upper_m`` of ``value``, checked."""
    lower = _altitude(value["altitude_lower_m"], f"{where}.altitude_lower_m")
    upper = _altitude(value["altitude_upper_m"], f"{where}.altitude_upper_m")
    if lower > upper:
        raise invalid_at(
            f"{where}.altitude_upper_m", f"{upper:g} m is below altitude_lower_m {lower:g} m"
        )
    return lower, upper


def _altitude(value: Any, where: str) -> float:
    metres = finite_number(value, where)
    if not MIN_ALTITUDE_M <= metres <= MAX_ALTITUDE_M:
        raise invalid_at(
            where, f"{metres:g} m is outside {MIN_ALTITUDE_M:g} to {MAX_ALTITUDE_M:g} m"
        )
    return metres


def _circle(value: Any, where: str, limits: Limits) -> Circle:
    c = members(value, where, ("lat", "lon", "radius_m"))
    lat = check_latitude(c["lat"], f"{where}.lat")
    lon = check_longitude(c["lon"], f"{where}.lon")
    radius = finite_number(c["radius_m"], f"{where}.radius_m")
    if not 0 < radius <= limits.max_radius_m:
        raise invalid_at(
            f"{where}.radius_m",
            f"{radius:g} m is not more than 0 and at most {limits.max_radius_m:g} m",
        )
    return Circle(lat, lon, radius)


def corridor(value: Any, where: str, limits: Limits) -> Corridor:
    """Read ``{"path": [[lon, lat], ...], "half_width_m": W}``, or say exactly what is wrong:
    fewer than two distinct positions, a width of 0 or over the limit, a leg over the edge
    limit, or a path that touches or crosses itself (one footprint must read one way along
    its axis; a route that comes back over itself is given as several corridors, as a
    movement's legs are)."""
    c = members(value, where, ("path", "half_width_m"))
    width = half_width(c["half_width_m"], f"{where}.half_width_m", limits)
    positions = list_of(c["path"], f"{where}.path", "[lon, lat] positions")
    if len(positions) - 1 > limits.max_vertices:
        raise invalid_at(
            f"{where}.path",
            f"{len(positions) - 1} legs, over the limit of {limits.max_vertices} per volume",
        )
    path = tuple(_position(p, f"{where}.path[{i}]") for i, p in enumerate(positions))
    if len(set(path)) < 2:
        raise invalid_at(
            f"{where}.path",
            f"the path has only {len(set(path))} distinct position; a corridor needs at least 2",
        )
    axis = _prepare(path, f"{where}.path", 0, 0, limits, closed=False)
    crossing = find_crossing([axis.points], closed=False)
    if crossing is not None:
        (_, ea), (_, eb) = crossing
        raise invalid_at(
            axis.where,
            f"the path touches or crosses itself: the leg {_leg(axis, ea)} meets the leg "
            f"{_leg(axis, eb)}; give a path that comes back over itself as several corridors",
        )
    found = Corridor(path, width)
    area_km2 = footprint_area_km2(found)
    if area_km2 > limits.max_area_km2:
        raise invalid_at(
            where, f"the area is {area_km2:.6g} km², over the limit of {limits.max_area_km2:g} km²"
        )
    return found


def half_width(value: Any, where: str, limits: Limits) -> float:
    """A corridor's half width in metres: more than 0, at most the limit."""
    width = finite_number(value, where)
    if not 0 < width <= limits.max_half_width_m:
        raise invalid_at(
            where, f"{width:g} m is not more than 0 and at most {limits.max_half_width_m:g} m"
        )
    return width


def _leg(axis: _Ring, k: int) -> str:
    return f"from position {axis.positions[k]} to {axis.positions[k + 1]}"


def _geometry(value: Any, where: str, limits: Limits) -> Polygon | MultiPolygon:
    g = members(value, where, ("type", "coordinates"))
    coords = list_of(g["coordinates"], f"{where}.coordinates", "rings")
    if g["type"] == "Polygon":
        parts = [(coords, f"{where}.coordinates")]
    elif g["type"] == "MultiPolygon":
        if not coords:
            raise invalid_at(f"{where}.coordinates", "a MultiPolygon needs at least one polygon")
        parts = [
            (list_of(p, f"{where}.coordinates[{i}]", "rings"), f"{where}.coordinates[{i}]")
            for i, p in enumerate(coords)
        ]
    else:
        raise invalid_at(
            f"{where}.type", f"{g['type']!r:.40} is not Polygon or MultiPolygon (or give a circle)"
        )
    # Count before reading: a huge list is refused before any work is spent on it.
    count = sum(max(len(r) - 1, 0) for rings, _ in parts for r in rings if isinstance(r, list))
    if count > limits.max_vertices:
        raise invalid_at(
            f"{where}.coordinates",
            f"{count} vertices, over the limit of {limits.max_vertices} per volume",
        )
    polygons = [
        Polygon(tuple(_ring(r, f"{pw}[{k}]") for k, r in enumerate(rings))) for rings, pw in parts
    ]
    for polygon, (_, pw) in zip(polygons, parts, strict=True):
        if not polygon.rings:
            raise invalid_at(pw, "a polygon needs an exterior ring")
    _check_shapes(polygons, [pw for _, pw in parts], where, limits)
    if g["type"] == "Polygon":
        return polygons[0]
    return MultiPolygon(tuple(polygons))


_FOOTPRINT_READERS = {"geometry": _geometry, "circle": _circle, "corridor": corridor}


def _ring(value: Any, where: str) -> tuple[Point, ...]:
    positions = list_of(value, where, "[lon, lat] positions")
    ring = tuple(_position(p, f"{where}[{i}]") for i, p in enumerate(positions))
    if len(ring) > 1 and ring[0] != ring[-1]:
        raise invalid_at(
            where,
            f"the ring is not closed: position 0 {list(ring[0])} differs from position "
            f"{len(ring) - 1} {list(ring[-1])}; repeat the first position at the end",
        )
    distinct = len(set(ring))
    if distinct < 3:
        raise invalid_at(
            where, f"the ring has {distinct} distinct vertices; a ring needs at least 3"
        )
    return ring


def _position(value: Any, where: str) -> Point:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise invalid_at(
            where,
            f"{value!r:.80} is not a [lon, lat] position "
            "(heights go in altitude_lower_m and altitude_upper_m)",
        )
    return (check_longitude(value[0], where), check_latitude(value[1], where))


@dataclass(frozen=True)
class _Ring:
    """A ring made ready for the planar tests: repeated points dropped, longitudes unwrapped
    and shifted by whole turns next to the rest of the footprint."""

    points: list[Point]
    positions: list[int]  # where each point was in the ring as given
    where: str
    polygon: int
    number: int  # 0 for the exterior ring, 1... for the holes


def _check_shapes(polygons: list[Polygon], wheres: list[str], where: str, limits: Limits) -> None:
    rings = _prepare_all(polygons, wheres, limits)
    crossing = find_crossing([r.points for r in rings])
    if crossing is not None:
        (a, ea), (b, eb) = crossing
        raise _crossing_error(rings[a], ea, rings[b], eb)
    by_polygon = [[r for r in rings if r.polygon == p] for p in range(len(polygons))]
    for own in by_polygon:
        _check_holes(own)
    _check_apart(by_polygon)
    area_km2 = footprint_area_km2(MultiPolygon(tuple(polygons)))
    if area_km2 > limits.max_area_km2:
        raise invalid_at(
            where, f"the area is {area_km2:.6g} km², over the limit of {limits.max_area_km2:g} km²"
        )


def _prepare_all(polygons: list[Polygon], wheres: list[str], limits: Limits) -> list[_Ring]:
    rings: list[_Ring] = []
    reference: float | None = None
    for p, (polygon, pw) in enumerate(zip(polygons, wheres, strict=True)):
        centre = reference
        for k, ring in enumerate(polygon.rings):
            prepared = _prepare(ring, f"{pw}[{k}]", p, k, limits)
            lons = [x for x, _ in prepared.points]
            middle = (min(lons) + max(lons)) / 2
            if centre is None:
                centre = middle
            turns = round((centre - middle) / 360.0)
            if turns:
                prepared.points[:] = [(x + 360.0 * turns, y) for x, y in prepared.points]
            if k == 0:  # the holes go next to their own exterior ring
                centre = middle + 360.0 * turns
                reference = centre if reference is None else reference
            rings.append(prepared)
    return rings


def _prepare(
    ring: tuple[Point, ...],
    where: str,
    polygon: int,
    number: int,
    limits: Limits,
    *,
    closed: bool = True,
) -> _Ring:
    keep = [0] + [i for i in range(1, len(ring)) if ring[i] != ring[i - 1]]
    points = [ring[i] for i in keep]
    lons = unwrap([x for x, _ in points])
    if closed and abs(lons[-1] - lons[0]) > 180.0:
        raise invalid_at(
            where, "a ring that encircles a pole is not supported: split it or use a circle"
        )
    for k in range(len(points) - 1):
        metres = great_circle_m(points[k], points[k + 1])
        if metres > limits.max_edge_km * 1000.0:
            raise invalid_at(
                f"{where}[{keep[k]}]",
                f"the edge from position {keep[k]} to {keep[k + 1]} is {metres / 1000:.1f} km "
                f"long, over the limit of {limits.max_edge_km:g} km; add vertices along it",
            )
    unwrapped = [(x, y) for x, (_, y) in zip(lons, points, strict=True)]
    return _Ring(unwrapped, keep, where, polygon, number)


def _edge(ring: _Ring, k: int) -> str:
    return f"the edge from position {ring.positions[k]} to {ring.positions[k + 1]}"


def _crossing_error(a: _Ring, ea: int, b: _Ring, eb: int) -> InvalidInput:
    if a is b:
        return invalid_at(a.where, f"the ring crosses itself: {_edge(a, ea)} meets {_edge(b, eb)}")
    what = (
        "a hole must lie strictly inside its exterior ring, apart from the other holes"
        if a.polygon == b.polygon
        else "the polygons of a MultiPolygon must lie apart"
    )
    return invalid_at(
        b.where,
        f"rings touch or cross: {_edge(b, eb)} of this ring meets {_edge(a, ea)} of "
        f"{a.where}; {what}",
    )


def _check_holes(rings: list[_Ring]) -> None:
    # No ring touches another (find_crossing said so), so one vertex tells where a ring lies.
    shell, holes = rings[0], rings[1:]
    index = PointIndex([hole.points[0] for hole in holes])
    inside_shell = index.inside(shell.points)
    for i, hole in enumerate(holes):
        if i not in inside_shell:
            raise invalid_at(hole.where, f"the hole lies outside its exterior ring {shell.where}")
    for i, hole in enumerate(holes):
        for j in sorted(index.inside(hole.points) - {i}):
            first, second = sorted((i, j))
            raise invalid_at(
                holes[second].where,
                f"the hole overlaps the hole {holes[first].where}: one is inside the other",
            )


def _check_apart(polygons: list[list[_Ring]]) -> None:
    index = PointIndex([rings[0].points[0] for rings in polygons])
    for i, rings in enumerate(polygons):
        inside = index.inside(rings[0].points) - {i}
        for hole in rings[1:]:
            inside -= index.inside(hole.points)  # a polygon may lie in another's hole
        for j in sorted(inside):
            first, second = sorted((i, j))
            raise invalid_at(
                _polygon_where(polygons[second]),
                f"the polygon overlaps the polygon {_polygon_where(polygons[first])}: "
                "the polygons of a MultiPolygon must lie apart",
            )


def _polygon_where(rings: list[_Ring]) -> str:
    return rings[0].where.rsplit("[", 1)[0]


def footprint_area_km2(footprint: Footprint) -> float:
    """The footprint's area on the authalic sphere of WGS84 (within 0.5 % of the ellipsoid);
    a corridor's as a band of its width along its length with a round cap at each end (at
    most that: where the legs turn, the bands overlap)."""
    if isinstance(footprint, Circle):
        return cap_area_m2(footprint.radius_m) / 1e6
    if isinstance(footprint, Corridor):
        length = sum(great_circle_m(a, b) for a, b in pairwise(footprint.path))
        width = footprint.half_width_m
        return (2 * width * length + cap_area_m2(width)) / 1e6
    polygons = footprint.polygons if isinstance(footprint, MultiPolygon) else (footprint,)
    return sum(_polygon_area_m2(p) for p in polygons) / 1e6


def _polygon_area_m2(polygon: Polygon) -> float:
    shell, *holes = polygon.rings
    return ring_area_m2(shell) - sum(ring_area_m2(h) for h in holes)
