"""Movements on a timetable: a route with a time at each waypoint, made into corridor volumes.

A convoy, a humanitarian movement or a flight is somewhere else at each hour. Its notification
may be given as a route (``{"route": {...}}`` in place of ``volumes``): waypoints with their
times, a half width, a time tolerance and an altitude band. Each leg (from one waypoint to the
next) becomes one volume: a corridor along the leg, over the window in which the movement can be
on it (from the first waypoint's time less the tolerance to the next one's plus the tolerance).
A leg between two waypoints at the same place is a halt: a circle of the half width. So a
conflict names its leg by the volume's number, and a movement conflicts only where and when it
can be. A route may cross or come back over itself (each leg is its own volume); its times must
not go backwards. The rules and messages are listed in docs/notifications.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from openline.domain.phrasebook import check_latitude, check_longitude, finite_number
from openline.domain.polygons import great_circle_m
from openline.domain.timeutil import format_utc
from openline.domain.volumes import (
    Circle,
    Corridor,
    Footprint,
    Limits,
    Volume4D,
    altitude_band,
    check_duration,
    half_width,
    instant_ms,
    invalid_at,
    list_of,
    members,
)

MAX_TOLERANCE = timedelta(hours=24)
_ROUTE_KEYS = ("waypoints", "half_width_m", "altitude_lower_m", "altitude_upper_m")


@dataclass(frozen=True)
class Waypoint:
    """Where the movement is at ``time``: (lon, lat) degrees, UTC to the millisecond."""

    lon: float
    lat: float
    time: datetime

    def to_json(self) -> dict[str, Any]:
        return {"lon": self.lon, "lat": self.lat, "time": format_utc(self.time)}


@dataclass(frozen=True)
class Route:
    """A movement's timetable: waypoints in order, the half width of its corridor, how early
    or late it may be at each waypoint, and its altitude band."""

    waypoints: tuple[Waypoint, ...]
    half_width_m: float
    time_tolerance_s: float
    altitude_lower_m: float
    altitude_upper_m: float

    def to_json(self) -> dict[str, Any]:
        """The route as it was given (read back by :func:`parse_route`)."""
        return {
            "waypoints": [w.to_json() for w in self.waypoints],
            "half_width_m": self.half_width_m,
            "time_tolerance_s": self.time_tolerance_s,
            "altitude_lower_m": self.altitude_lower_m,
            "altitude_upper_m": self.altitude_upper_m,
        }

    def volumes(self) -> tuple[Volume4D, ...]:
        """One volume per leg, in order: leg ``i`` from waypoint ``i`` to ``i + 1``."""
        slack = timedelta(seconds=self.time_tolerance_s)
        return tuple(
            Volume4D(
                self._footprint(a, b),
                self.altitude_lower_m,
                self.altitude_upper_m,
                a.time - slack,
                b.time + slack,
            )
            for a, b in pairwise(self.waypoints)
        )

    def _footprint(self, a: Waypoint, b: Waypoint) -> Footprint:
        if (a.lon, a.lat) == (b.lon, b.lat):  # a halt
            return Circle(a.lat, a.lon, self.half_width_m)
        return Corridor(((a.lon, a.lat), (b.lon, b.lat)), self.half_width_m)


def parse_route(value: Any, *, limits: Limits, where: str = "route") -> Route:
    """Read a route from the API's JSON, or say exactly what is wrong: fewer than two
    waypoints, a time that goes backwards, a leg the movement cannot be on (same time, no
    tolerance), a leg over the edge limit or its window over the duration limit, a width or an
    altitude band as a corridor volume's would be."""
    r = members(value, where, _ROUTE_KEYS, ("time_tolerance_s",))
    items = list_of(r["waypoints"], f"{where}.waypoints", "waypoints")
    if len(items) < 2:
        raise invalid_at(
            f"{where}.waypoints", f"{len(items)} waypoint(s); a route needs at least 2"
        )
    if len(items) - 1 > limits.max_volumes:
        raise invalid_at(
            f"{where}.waypoints",
            f"{len(items) - 1} legs, over the limit of {limits.max_volumes} volumes",
        )
    waypoints = tuple(_waypoint(w, f"{where}.waypoints[{i}]") for i, w in enumerate(items))
    tolerance = _tolerance(r.get("time_tolerance_s", 0), f"{where}.time_tolerance_s")
    width = half_width(r["half_width_m"], f"{where}.half_width_m", limits)
    lower, upper = altitude_band(r, where)
    for i, (a, b) in enumerate(pairwise(waypoints), start=1):
        _check_leg(a, b, f"{where}.waypoints[{i}]", tolerance, limits)
    return Route(waypoints, width, tolerance, lower, upper)


def _waypoint(value: Any, where: str) -> Waypoint:
    w = members(value, where, ("lon", "lat", "time"))
    return Waypoint(
        check_longitude(w["lon"], f"{where}.lon"),
        check_latitude(w["lat"], f"{where}.lat"),
        instant_ms(w["time"], f"{where}.time"),
    )


def _tolerance(value: Any, where: str) -> float:
    seconds = finite_number(value, where)
    if not 0 <= seconds <= MAX_TOLERANCE.total_seconds():
        raise invalid_at(
            where, f"{seconds:g} s is not from 0 to {MAX_TOLERANCE.total_seconds():g} s (24 h)"
        )
    return seconds


def _check_leg(a: Waypoint, b: Waypoint, where: str, tolerance: float, limits: Limits) -> None:
    if b.time < a.time:
        raise invalid_at(
            f"{where}.time",
            f"{format_utc(b.time)} is before the previous waypoint's time {format_utc(a.time)}: "
            "the times of a route must not go backwards",
        )
    if b.time == a.time and tolerance == 0:
        raise invalid_at(
            f"{where}.time",
            f"{format_utc(b.time)} is the previous waypoint's time too, with no "
            "time_tolerance_s: the movement could never be on this leg",
        )
    check_duration(b.time - a.time + 2 * timedelta(seconds=tolerance), f"{where}.time", limits)
    metres = great_circle_m((a.lon, a.lat), (b.lon, b.lat))
    if metres > limits.max_edge_km * 1000.0:
        raise invalid_at(
            where,
            f"the leg to this waypoint is {metres / 1000:.1f} km long, over the limit of "
            f"{limits.max_edge_km:g} km; add waypoints along it",
        )


def leg_name(route: Route, index: int) -> str:
    """How a conflict names the leg of volume ``index``: its waypoints and times."""
    a, b = route.waypoints[index], route.waypoints[index + 1]
    return (
        f"leg {index + 1} (waypoint {index} {format_utc(a.time)} to waypoint {index + 1} "
        f"{format_utc(b.time)})"
    )
