"""InterUSS's ASTM F3548 flight intents read as Openline reads them: their times resolved
against one evaluation instant, their vertices placed at a real location (the same metres east
and north of ORIGIN as they were of 0, 0), and each area as Openline's JSON for one volume.
Used by tests/reference/test_interuss_intents.py and the format tests."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pyproj import Geod

from openline.domain.timeutil import format_utc

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
ORIGIN = (38.0, 35.0)  # lon, lat: where the intents are placed
METRES_PER_DEGREE_LNG = 111_319.49  # at the equator, where the intents were drawn
METRES_PER_DEGREE_LAT = 110_574.27
GEOD = Geod(ellps="WGS84")


def duration(text: str) -> timedelta:
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)([smhd])", str(text))
    assert match, text
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return timedelta(seconds=float(match.group(1)) * unit)


def instant(spec: dict[str, Any]) -> datetime:
    offset = spec.get("offset_from", {})
    return NOW + duration(offset.get("offset", "0s"))


def window(area: dict[str, Any]) -> tuple[datetime, datetime]:
    start = instant(area["start_time"])
    end = instant(area["end_time"]) if "end_time" in area else start + duration(area["duration"])
    return start, end


def placed(lng: float, lat: float) -> tuple[float, float]:
    """The intent's vertex, the same metres east and north of ORIGIN as it was of (0, 0)."""
    east, north = lng * METRES_PER_DEGREE_LNG, lat * METRES_PER_DEGREE_LAT
    lon, lat2, _ = GEOD.fwd(*ORIGIN, math.degrees(math.atan2(east, north)), math.hypot(east, north))
    return lon, lat2


def volume(area: dict[str, Any], at: tuple[float, float] | None) -> dict[str, Any]:
    """Openline's JSON for one InterUSS volume, placed at ``at`` (or where it is if None)."""
    start, end = window(area)
    vertices = [(v["lng"], v["lat"]) for v in area["outline_polygon"]["vertices"]]
    ring = [list(placed(*v)) if at else list(v) for v in vertices]
    return {
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        "altitude_lower_m": area["altitude_lower"]["value"],
        "altitude_upper_m": area["altitude_upper"]["value"],
        "time_start": format_utc(start),
        "time_end": format_utc(end),
    }
