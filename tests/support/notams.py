"""NOTAMs in ICAO's text form for the import tests: a good one, one with a bad time, a NOTAMR
replacing the good one and a NOTAMC cancelling the replacement; and the corpus of public NOTAMs
in tests/data/notams."""

import json
from pathlib import Path
from typing import Any

GOOD = """(A1234/26 NOTAMN
Q) LCCC/QWMLW/IV/BO/W/000/100/3512N03601E005
A) LCCC B) 2612031200 C) 2612031800
E) MISSILE FIRING WILL TAKE PLACE WI AREA 351000N0360000E-351000N0361000E-350000N0361000E-
350000N0360000E
F) SFC G) FL100)"""
BAD_TIME = """(A1235/26 NOTAMN
Q) LCCC/QWMLW/IV/BO/W/000/100/3512N03601E005
A) LCCC B) 2613031200 C) 2612031800
E) GUNFIRE)"""
REPLACE = """(A1240/26 NOTAMR A1234/26
Q) LCCC/QWMLW/IV/BO/W/000/100/3512N03601E005
A) LCCC B) 2612031300 C) 2612031900
E) MISSILE FIRING WI 5NM RADIUS CENTRED ON 351000N0360000E
F) SFC G) FL120)"""
CANCEL = """(A1241/26 NOTAMC A1240/26
Q) LCCC/QWMLW/IV/BO/W/000/100/3512N03601E005
A) LCCC B) 2612031400
E) FIRING CANCELLED)"""


def corpus(name: str) -> list[str]:
    """The NOTAMs of tests/data/notams/NAME.json, as their source wrote them (SOURCES.md)."""
    path = Path(__file__).parent.parent / "data" / "notams" / f"{name}.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["notams"])


def numbered(name: str, number: str) -> str:
    """The NOTAM of the corpus whose header gives ``number``."""
    for text in corpus(name):
        if text.strip().lstrip("(").startswith(f"{number} "):
            return text
    raise LookupError(f"no NOTAM {number} in tests/data/notams/{name}.json")


SQUARE = [[36.0, 35.0], [36.25, 35.0], [36.25, 34.8], [36.0, 34.8], [36.0, 35.0]]


def volume(
    footprint: dict[str, Any],
    lower: float,
    upper: float,
    start: str = "2026-12-03T12:00",
    end: str = "2026-12-03T18:00",
) -> dict[str, Any]:
    """A volume of a notification as the API gives it: ``footprint`` between ``lower`` and
    ``upper`` (m) from ``start`` to ``end`` (UTC, to the minute)."""
    times = {"time_start": f"{start}:00.000Z", "time_end": f"{end}:00.000Z"}
    return {**footprint, "altitude_lower_m": lower, "altitude_upper_m": upper, **times}
