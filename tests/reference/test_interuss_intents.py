"""The InterUSS flight intents (../shared/data/interuss): Openline's conflicts agree with theirs.

InterUSS's test suite (uss_qualifier) builds these ASTM F3548 flight intents near latitude 0,
longitude 0 and decides whether two of them conflict with its own 4D intersection check: the
footprints intersect as polygons in (lng, lat), the altitude bands overlap and the time windows
overlap. Here each intent is placed at a real location (the same shape, metre for metre, around
35° N 38° E), its times resolved against one evaluation instant, and notified as a
``uav-operation`` of its own party; with every separation minimum zero (the F3548 definition),
Openline's detection must find exactly the pairs that InterUSS's check finds, including the
pairs the suite was written around (the flights of ``conflicting_flights.yaml`` meet, the two
flights of ``non_conflicting.yaml`` interlock without meeting).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

import pytest
import shapely
import yaml

from openline.domain.notifications import Kind, Notification, Status
from openline.domain.separation import separation_rules
from openline.domain.volumes import Limits, parse_volume
from openline.geo.conflict_finder import ConflictFinder
from openline.interop.f3548 import resolved
from tests.support.interuss import NOW, ORIGIN, volume, window
from tests.support.shared_data import SHARED_DATA, needs_shared_data

INTENTS = SHARED_DATA / "interuss" / "flight_intents" / "standard"
FILES = ["conflicting_flights.yaml", "non_conflicting.yaml"]

pytestmark = needs_shared_data(INTENTS)


def load(file: str) -> dict[str, dict[str, Any]]:
    intents = yaml.safe_load((INTENTS / file).read_text(encoding="utf-8"))["intents"]
    return {name: resolved(intents, name) for name in intents}


def interuss_intersect(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """InterUSS's own check (scd.vol4s_intersect): polygons in (lng, lat), bands, windows."""
    for va in a["basic_information"]["area"]:
        for vb in b["basic_information"]["area"]:
            (sa, ea), (sb, eb) = window(va), window(vb)
            if ea < sb or eb < sa:
                continue
            if va["altitude_upper"]["value"] < vb["altitude_lower"]["value"]:
                continue
            if vb["altitude_upper"]["value"] < va["altitude_lower"]["value"]:
                continue
            pa = shapely.Polygon([(v["lng"], v["lat"]) for v in va["outline_polygon"]["vertices"]])
            pb = shapely.Polygon([(v["lng"], v["lat"]) for v in vb["outline_polygon"]["vertices"]])
            if pa.intersects(pb):
                return True
    return False


def notification(name: str, party: str, intent: dict[str, Any]) -> Notification:
    volumes = tuple(
        parse_volume(volume(area, ORIGIN), index=i, limits=Limits())
        for i, area in enumerate(intent["basic_information"]["area"])
    )
    return Notification(
        id=f"ntf_{name}",
        owner=party,
        kind=Kind.UAV_OPERATION,
        title=name,
        status=Status.PLANNED,
        volumes=volumes,
        share_with=(),
        created_at=NOW,
        updated_at=NOW,
    )


def openline_pairs(intents: dict[str, dict[str, Any]]) -> set[frozenset[str]]:
    finder = ConflictFinder(separation_rules("0"))
    names = sorted(intents)
    finder.load(notification(n, f"P{i}", intents[n]) for i, n in enumerate(names))
    found = set()
    for name in names:
        for conflict in finder.conflicts_of(f"ntf_{name}"):
            found.add(frozenset({conflict.a.notification[4:], conflict.b.notification[4:]}))
    return found


def interuss_pairs(intents: dict[str, dict[str, Any]]) -> Iterator[frozenset[str]]:
    for a, b in combinations(sorted(intents), 2):
        if interuss_intersect(intents[a], intents[b]):
            yield frozenset({a, b})


@pytest.mark.parametrize("file", FILES)
def test_openline_finds_exactly_the_conflicts_interuss_finds(file: str):
    intents = load(file)

    expected = set(interuss_pairs(intents))

    assert openline_pairs(intents) == expected
    assert expected  # every file has intents that meet (an intent and its own variants do)


def test_the_flights_written_to_conflict_do():
    pairs = openline_pairs(load("conflicting_flights.yaml"))

    for a, b in [
        ("flight1_planned", "flight2_planned"),
        ("flight1_activated", "flight2_activated"),
        ("flight1m_planned", "flight2_planned"),
    ]:
        assert frozenset({a, b}) in pairs


def test_the_interlocking_flights_written_not_to_conflict_do_not():
    intents = load("non_conflicting.yaml")
    pairs = openline_pairs(intents)

    for a in ("flight_1", "flight_1_planned", "flight_1_activated"):
        for b in ("flight_2", "flight_2_planned", "flight_2_planned_modified"):
            assert frozenset({a, b}) not in pairs
    # their footprints interlock: the bounding boxes overlap, the polygons do not
    one = intents["flight_1"]["basic_information"]["area"][0]["outline_polygon"]["vertices"]
    two = intents["flight_2"]["basic_information"]["area"][0]["outline_polygon"]["vertices"]
    box = [
        shapely.box(*shapely.Polygon([(v["lng"], v["lat"]) for v in p]).bounds) for p in (one, two)
    ]
    assert box[0].intersects(box[1])
