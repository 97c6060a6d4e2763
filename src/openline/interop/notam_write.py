"""Notifications out as ICAO NOTAM text, which Openline's NOTAM reader reads back to the same
volumes.

A notification becomes one NOTAM per time window of its volumes (B) and C) are that window;
a NOTAM has one B)-C) for all its areas): a Q-line (the office as FIR, a Q-code from the kind,
the flight levels around the limits, a circle around every area), A) the office, and E) the
kind and title, then each area numbered with its own limits: ``AREA`` and a coordinate chain
for a polygon, ``CIRCLE RADIUS ... CENTRE ...``, ``... EITHER SIDE OF LINE ...`` for a
corridor; F) and G) the lowest and highest limits. Positions are written in degrees, minutes
and seconds with as many decimals of a second as it takes to read back to the same float, and
heights in metres the same way. What a NOTAM cannot say is refused naming the volume: a
polygon with holes or in several parts, a limit below the surface, a time with seconds.
docs/interop.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from openline.domain.errors import InvalidInput
from openline.domain.timeutil import parse_utc
from openline.geo.geodesy import inverse
from openline.interop.notam import FL_M
from openline.interop.notam_text import NM_M, POSITION, angle

# The Q-code and the words E) starts with, which the reader takes the kind from again.
_KINDS = {
    "firing": ("QWMLW", "FIRING"),
    "exercise": ("QWELW", "EXERCISE"),
    "launch": ("QWLLW", "LAUNCH"),
    "danger-area": ("QRDCA", "DANGER AREA"),
}
_OTHER = ("QRTCA", "RESTRICTED AREA")
_ITEM_LIKE = re.compile(r"(?<![^\s(])([A-GQ])\)")
Volume = Mapping[str, Any]


def notam_text(
    records: Iterable[Mapping[str, Any]], *, office: str, series: str = "A", first: int = 1
) -> str:
    """The notifications (as the API gives them) as NOTAMs, numbered from ``first`` in
    ``series`` under ``office``, apart by blank lines."""
    out, number = [], first
    for record in records:
        for volumes in _by_window(record):
            try:
                out.append(_notam(record, volumes, office, f"{series}{number:04d}"))
            except InvalidInput as error:
                named = f"notification {record['id']}: " if record.get("id") else ""
                raise InvalidInput(named + error.message, field=error.field) from None
            number += 1
    return "\n\n".join(out) + ("\n" if out else "")


def _by_window(record: Mapping[str, Any]) -> list[list[tuple[int, Volume]]]:
    windows: dict[tuple[str, str], list[tuple[int, Volume]]] = {}
    for index, volume in enumerate(record["volumes"]):
        key = (volume["time_start"], volume["time_end"])
        windows.setdefault(key, []).append((index, volume))
    return list(windows.values())


def _notam(
    record: Mapping[str, Any], volumes: Sequence[tuple[int, Volume]], office: str, number: str
) -> str:
    start, end = (_minute(volumes[0][1], name) for name in ("time_start", "time_end"))
    code, words = _KINDS.get(record["kind"], _OTHER)
    lowest = min(v["altitude_lower_m"] for _, v in volumes)
    highest = max(v["altitude_upper_m"] for _, v in volumes)
    areas = [f"{n}. {_area(i, v)} {_limits(i, v)}." for n, (i, v) in enumerate(volumes, 1)]
    title = " ".join(str(record["title"]).split())
    return "\n".join(
        [
            f"({number}/{start:%y} NOTAMN",
            f"Q) {office}/{code}/IV/BO/W/{_level(lowest, math.floor)}/"
            f"{_level(highest, math.ceil)}/{_centre([v for _, v in volumes])}",
            f"A) {office} B) {start:%y%m%d%H%M} C) {end:%y%m%d%H%M}",
            f"E) {words}: {_without_positions(title)}",
            *areas,
            f"F) {_height(0, lowest)} G) {_height(0, highest)})",
        ]
    )


def _minute(volume: Volume, name: str) -> datetime:
    value = parse_utc(volume[name])
    if value.second or value.microsecond:
        raise InvalidInput(f"{name} {volume[name]}: a NOTAM gives times to the minute", field=name)
    return value


def _area(index: int, volume: Volume) -> str:
    if "circle" in volume:
        c = volume["circle"]
        return f"CIRCLE RADIUS {_number(c['radius_m'])}M CENTRE {position(c['lon'], c['lat'])}"
    if "corridor" in volume:
        c = volume["corridor"]
        return f"{_number(c['half_width_m'])}M EITHER SIDE OF LINE {_chain(c['path'])}"
    geometry = volume["geometry"]
    if geometry["type"] != "Polygon" or len(geometry["coordinates"]) != 1:
        raise InvalidInput(
            f"volumes[{index}].geometry: a polygon with holes or in several parts cannot be "
            "written as a NOTAM area",
            field=f"volumes[{index}].geometry",
        )
    return f"AREA {_chain(geometry['coordinates'][0])}"


def _chain(points: Sequence[Sequence[float]]) -> str:
    return "-".join(position(lon, lat) for lon, lat in points)


def _limits(index: int, volume: Volume) -> str:
    return (
        f"{_height(index, volume['altitude_lower_m'])}-{_height(index, volume['altitude_upper_m'])}"
    )


def _height(index: int, metres: float) -> str:
    if metres < 0:
        raise InvalidInput(
            f"volumes[{index}]: {metres:g} m is below the surface, which a NOTAM cannot say",
            field=f"volumes[{index}]",
        )
    return "SFC" if metres == 0 else f"{_number(metres)}M AMSL"


def _number(value: float) -> str:
    """The shortest decimals that read back to the same float (never an exponent)."""
    return str(np.format_float_positional(value, trim="-"))


def position(lon: float, lat: float) -> str:
    """``DDMMSS[.s]N DDDMMSS[.s]E`` with as many decimals of a second as the reader needs to
    get ``lat`` and ``lon`` back exactly."""
    return (
        _angle(abs(lat), 2)
        + ("S" if lat < 0 else "N")
        + _angle(abs(lon), 3)
        + ("W" if lon < 0 else "E")
    )


def _angle(value: float, degree_digits: int) -> str:
    exact = Decimal(value) * 3600  # in seconds, exactly as the float is
    for decimals in range(16):
        total = exact.quantize(Decimal(1).scaleb(-decimals))
        degrees, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        whole, _, fraction = f"{seconds:f}".partition(".")
        written = f"{int(degrees):0{degree_digits}d}{int(minutes):02d}{int(whole):02d}"
        written += f".{fraction}" if fraction else ""
        if angle(written, degree_digits) == value:
            return written
    raise InvalidInput(f"{value!r} cannot be written in degrees, minutes and seconds")


def _level(metres: float, rounding: Any) -> str:
    return f"{min(999, max(0, int(rounding(metres / FL_M)))):03d}"


def _centre(volumes: Sequence[Volume]) -> str:
    """The Q-line's position and radius (NM): round every area, at the mean of its points."""
    points: list[tuple[float, float, float]] = []  # lon, lat, radius around it (m)
    for volume in volumes:
        if "circle" in volume:
            c = volume["circle"]
            points.append((c["lon"], c["lat"], c["radius_m"]))
        elif "corridor" in volume:
            c = volume["corridor"]
            points += [(lon, lat, c["half_width_m"]) for lon, lat in c["path"]]
        else:
            points += [(lon, lat, 0.0) for lon, lat in volume["geometry"]["coordinates"][0]]
    lon = sum(p[0] for p in points) / len(points)
    lat = sum(p[1] for p in points) / len(points)
    far = max(float(inverse(lon, lat, p[0], p[1])[2][0]) + p[2] for p in points)
    radius = min(999, max(1, math.ceil(far / NM_M)))
    lat_m, lon_m = round(abs(lat) * 60), round(abs(lon) * 60)
    return (
        f"{lat_m // 60:02d}{lat_m % 60:02d}{'S' if lat < 0 else 'N'}"
        f"{lon_m // 60:03d}{lon_m % 60:02d}{'W' if lon < 0 else 'E'}{radius:03d}"
    )


def _without_positions(title: str) -> str:
    """The title, with what the reader would take for a position or an item left out: E)'s
    areas are the numbered ones that follow it."""
    return _ITEM_LIKE.sub(r"\1 )", POSITION.sub("[position]", title.upper()))
