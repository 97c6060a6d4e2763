"""The 240 real NOTAMs of avwx-engine (../shared/data/notam/avwx-engine) parse to the fields
avwx expects, and every one becomes notification drafts that the API's rules accept.

Two known defects of the expected data are compared around, not copied:

- ``qualifiers.coord`` lat/lon read DDMM as DD.MM (5130N stored as 51.30, not 51.5): the Q-line
  position is checked against its own text, ``coord.repr``, decoded as DDMM.
- avwx reads the ``EST`` suffix of C) (ICAO: the end time is an estimate) as the US Eastern time
  zone, and gives B) and C) of those NOTAMs a -05:00 offset. ICAO times are UTC: the times are
  checked on their digits (``repr``), and the offset of those 47 is asserted to be avwx's -05:00.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from openline.domain.volumes import Limits
from openline.interop.formats import dry_run, notam_plan
from openline.interop.notam import UNL_M, Notam, parse_notam
from openline.interop.notam_drafts import action, windows
from openline.interop.notam_text import FT_M
from tests.support.shared_data import SHARED_DATA, needs_shared_data

AVWX = SHARED_DATA / "notam" / "avwx-engine"
pytestmark = needs_shared_data(AVWX)


def reports() -> list[Any]:
    if not AVWX.is_dir():
        return []
    return [
        pytest.param(report["data"], id=f"{path.stem}-{i}")
        for path in sorted(AVWX.glob("*.json"))
        for i, report in enumerate(json.loads(path.read_text())["reports"])
    ]


def ddmm(text: str, degree_digits: int) -> float:
    value = Fraction(int(text[:degree_digits])) + Fraction(int(text[degree_digits:]), 60)
    return float(value)


def repr_of(field: Any) -> str | None:
    return field["repr"] if field else None


def mismatches(notam: Notam, expected: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def check(name: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            found.append(f"{name}: ours {ours!r}, avwx {theirs!r}")

    check("number", str(notam.id) if notam.id else None, expected["number"])
    check("type", notam.type if notam.id else None, repr_of(expected["type"]))
    check("replaces", str(notam.ref) if notam.ref else None, expected["replaces"])
    q, eq = notam.q, expected["qualifiers"]
    assert q is not None
    check("fir", q.fir, eq["fir"])
    check("subject", q.subject, repr_of(eq["subject"]))
    check("condition", q.condition, repr_of(eq["condition"]))
    check("traffic", q.traffic, repr_of(eq["traffic"]))
    check("purpose", q.purpose or "", "".join(p["repr"] for p in eq["purpose"]))
    check("scope", q.scope or "", "".join(s["repr"] for s in eq["scope"]))
    check("q lower", q.lower_fl, eq["lower"] and eq["lower"]["value"])
    check("q upper", q.upper_fl, eq["upper"] and eq["upper"]["value"])
    check("radius", q.radius_nm, eq["radius"]["value"])
    text = eq["coord"]["repr"]  # 5130N00027W: never eq["coord"]["lat"], which is wrong
    lat = ddmm(text[:4], 2) * (-1 if text[4] == "S" else 1)
    lon = ddmm(text[5:10], 3) * (-1 if text[10] == "W" else 1)
    check("q position", (q.lat, q.lon), (lat, lon))
    found += times(notam, expected)
    found += limits(notam, expected)
    schedule = expected["schedule"]
    check(
        "D)",
        " ".join(notam.schedule.split()) if notam.schedule else None,
        schedule and " ".join(schedule.split()),
    )
    return found


def times(notam: Notam, expected: dict[str, Any]) -> list[str]:
    found = []
    start, end = expected["start_time"], expected["end_time"]
    if notam.start.strftime("%y%m%d%H%M") != start["repr"]:
        found.append(f"B): ours {notam.start}, avwx {start['repr']}")
    if end["repr"] == "PERM":
        if not notam.permanent:
            found.append(f"C): ours {notam.end}, avwx PERM")
        return found
    assert notam.end is not None
    ours = notam.end.strftime("%y%m%d%H%M") + ("EST" if notam.end_estimated else "")
    if ours != end["repr"]:
        found.append(f"C): ours {ours}, avwx {end['repr']}")
    # avwx's EST defect: the estimated end turns both times into US Eastern time.
    offset = timedelta(hours=-5) if notam.end_estimated else timedelta(0)
    for name, ours_dt, theirs in (("B)", notam.start, start), ("C)", notam.end, end)):
        parsed = datetime.fromisoformat(theirs["dt"])
        if parsed.utcoffset() != offset or parsed.replace(tzinfo=UTC) != ours_dt:
            found.append(f"{name} instant: ours {ours_dt}, avwx {theirs['dt']}")
    return found


def limits(notam: Notam, expected: dict[str, Any]) -> list[str]:
    found = []
    for name, ours, theirs in (
        ("F)", notam.lower, expected["lower"]),
        ("G)", notam.upper, expected["upper"]),
    ):
        if theirs is None:
            if ours is not None:
                found.append(f"{name}: ours {ours!r}, avwx none")
            continue
        if ours != theirs["repr"]:
            found.append(f"{name}: ours {ours!r}, avwx {theirs['repr']!r}")
    if expected["lower"] or expected["upper"]:
        body = action(notam).drafts[0]["volumes"][0]
        want = {"SFC": 0.0, "UNL": UNL_M}
        for key, theirs in (
            ("altitude_lower_m", expected["lower"]),
            ("altitude_upper_m", expected["upper"]),
        ):
            metres = want.get(theirs["repr"], theirs["value"] * FT_M)  # avwx gives feet
            if body[key] != pytest.approx(metres, abs=1e-9):
                found.append(f"{key}: ours {body[key]}, avwx {theirs['repr']} = {metres}")
    return found


@pytest.mark.parametrize("expected", reports())
def test_each_avwx_notam_parses_to_the_expected_fields(expected: dict[str, Any]) -> None:
    notam = parse_notam(expected["raw"])
    assert mismatches(notam, expected) == []


@pytest.mark.parametrize("expected", reports())
def test_each_avwx_notam_becomes_drafts_the_api_accepts(expected: dict[str, Any]) -> None:
    notam = parse_notam(expected["raw"])
    result = action(notam)  # drafts() runs parse_notification_draft on every body
    assert result.drafts
    for begin, stop in windows(notam):
        assert notam.start <= begin < stop
        assert notam.end is None or stop <= notam.end


def test_all_240_avwx_notams_are_here_and_all_match() -> None:
    every = [p.values[0] for p in reports()]
    assert len(every) == 240
    passed = sum(not mismatches(parse_notam(e["raw"]), e) for e in every)
    assert passed == 240


def test_the_240_avwx_notams_in_one_file_apart_by_blank_lines_all_import() -> None:
    every = [p.values[0]["raw"] for p in reports()]
    plan = notam_plan("\n\n".join(every), limits=Limits())
    assert (len(plan.records), plan.errors) == (240, [])
    assert len(dry_run(plan)["features"]) == sum(
        len(body["volumes"]) for record in plan.records for body in record.drafts
    )
