"""``openline export notam``'s writer: notifications as ICAO NOTAM text that the NOTAM reader
reads back to the same volumes, exactly (positions, radii, widths and heights to the float)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.volumes import Limits
from openline.interop.formats import notam_plan
from openline.interop.notam_text import parse_position
from openline.interop.notam_write import notam_text, position
from tests.support.notams import SQUARE, volume

POLYGON = {"geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
CIRCLE = {"circle": {"lat": 35.123456789, "lon": 36.987654321, "radius_m": 2500.5}}
ROAD = [[-0.4512, 51.4775], [-0.1278, 51.5074], [0.0, 51.6]]
RECORDS: list[dict[str, Any]] = [
    {
        "kind": "firing",
        "title": "Artillery firing near 351000N0360000E (G) range)",
        "reference": None,
        "volumes": [
            volume(POLYGON, 0.0, 3048.0),
            volume(CIRCLE, 152.4, 30449.520000000004),
            volume(POLYGON, 0.0, 3048.0, "2026-12-04T22:00", "2026-12-04T23:59"),
        ],
    },
    {
        "kind": "ground-operation",
        "title": "Convoy along the coast road",
        "volumes": [
            volume(
                {"corridor": {"path": ROAD, "half_width_m": 750.0}},
                0.0,
                120.0,
                "2026-12-05T06:00",
                "2026-12-05T09:30",
            )
        ],
    },
]


def canonical(volumes: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True) for v in volumes)


def read_back(text: str) -> list[dict[str, Any]]:
    plan = notam_plan(text, limits=Limits())
    assert plan.errors == []
    return [v for record in plan.records for body in record.drafts for v in body["volumes"]]


def test_notifications_written_as_notams_read_back_to_the_same_volumes() -> None:
    text = notam_text(RECORDS, office="BLUE")
    every = [v for record in RECORDS for v in record["volumes"]]
    assert canonical(read_back(text)) == canonical(every)
    # one NOTAM per window: the firing's two, the convoy's one
    plan = notam_plan(text, limits=Limits())
    assert [r.notam_id for r in plan.records] == ["BLUE A0001/26", "BLUE A0002/26", "BLUE A0003/26"]
    assert [r.drafts[0]["kind"] for r in plan.records] == ["firing", "firing", "danger-area"]


def test_the_text_is_a_notam_as_icao_writes_it() -> None:
    first = notam_text(RECORDS[:1], office="BLUE").split("\n\n")[0]
    assert first.splitlines()[:3] == [
        "(A0001/26 NOTAMN",
        "Q) BLUE/QWMLW/IV/BO/W/000/999/3457N03615E040",  # up to the circle's FL999
        "A) BLUE B) 2612031200 C) 2612031800",
    ]
    assert "E) FIRING: ARTILLERY FIRING NEAR [position] (G ) RANGE)" in first
    assert "1. AREA 350000N0360000E-350000N0361500E-344800N0361500E-344800N0360000E-" in first
    assert first.endswith("F) SFC G) 30449.520000000004M AMSL)")


def test_random_positions_are_written_to_read_back_to_the_same_float() -> None:
    chosen = random.Random(21)
    for _ in range(2000):
        lon, lat = chosen.uniform(-180, 180), chosen.uniform(-90, 90)
        assert parse_position(position(lon, lat)) == (lon, lat)


@pytest.mark.parametrize(
    ("changed", "words"),
    [
        (
            {"geometry": {"type": "Polygon", "coordinates": [SQUARE, SQUARE]}},
            r"volumes\[0\]\.geometry: a polygon with holes",
        ),
        (
            {"circle": {"lat": 1, "lon": 1, "radius_m": 9}, "altitude_lower_m": -20.0},
            "below the surface",
        ),
        (
            {
                "circle": {"lat": 1, "lon": 1, "radius_m": 9},
                "time_start": "2026-12-03T12:00:30.000Z",
            },
            "to the minute",
        ),
    ],
)
def test_what_a_notam_cannot_say_is_refused_naming_the_volume(changed: dict, words: str) -> None:
    base = volume({}, 0.0, 100.0)
    record = {"id": "ntf_1", "kind": "zone", "title": "x", "volumes": [{**base, **changed}]}
    with pytest.raises(InvalidInput, match=f"^notification ntf_1: .*{words}"):
        notam_text([record], office="BLUE")
