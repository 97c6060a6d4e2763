"""Cursor-on-Target built and read (openline/interop/cot.py): every event Openline sends is valid
against the CoT base event schema (MITRE's Event.xsd, tests/data/cot) and says what docs/tak.md
says; every position report that cannot be taken is refused, naming why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import takproto
import xmlschema

from openline.domain.conflicts import DetectedConflict, StoredConflict
from openline.domain.notifications import new_notification, parse_notification_draft
from openline.domain.tracks import (
    Approach,
    Entry,
    NotifiedVolume,
    OpenWarning,
    ProximityRules,
    TrackReport,
    WarnedTrack,
)
from openline.domain.volumes import Limits
from openline.geo.geodesy import inverse
from openline.interop import cot, cot_in

SCHEMA = xmlschema.XMLSchema(Path(__file__).parents[1] / "data" / "cot" / "Event.xsd")
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
START, END = NOW + timedelta(hours=1), NOW + timedelta(hours=3)
SQUARE = [[38.0, 35.9], [38.1, 35.9], [38.1, 36.0], [38.0, 36.0], [38.0, 35.9]]
HOLE = [[38.04, 35.94], [38.06, 35.94], [38.06, 35.96], [38.04, 35.96], [38.04, 35.94]]


def volume(footprint: dict[str, Any]) -> dict[str, Any]:
    return {
        **footprint,
        "altitude_lower_m": 100.0,
        "altitude_upper_m": 3000.0,
        "time_start": START.isoformat(),
        "time_end": END.isoformat(),
    }


def notification(*footprints: dict[str, Any], kind: str = "air-operation") -> Any:
    body = {"kind": kind, "title": "Strike package", "volumes": [volume(f) for f in footprints]}
    draft = parse_notification_draft(body, limits=Limits())
    return new_notification(draft, notification_id="ntf_01TEST", owner="BLUE", now=NOW)


def report(party: str = "BLUE", track_id: str = "B1", kind: str = "air") -> TrackReport:
    return TrackReport(party, track_id, NOW, 36.0, 38.05, 1500.0, 120.0, 90.0, kind)


def xml_of(event: cot.Event) -> Any:
    """The event as takproto (an independent CoT library) reads it: to TAK protocol 1 and back."""
    return takproto.parse_proto(takproto.xml2proto(event.xml)).cotEvent


def assert_valid(event: cot.Event) -> None:
    SCHEMA.validate(event.xml.decode())


def test_a_polygon_volume_is_a_drawn_shape_valid_over_its_window() -> None:
    polygon = {"geometry": {"type": "Polygon", "coordinates": [SQUARE, HOLE]}}
    [shape] = cot.notification_shapes(notification(polygon), own=True)
    assert_valid(shape)
    read = xml_of(shape)
    assert (read.type, read.uid) == ("u-d-f", "openline.ntf_01TEST.v0")
    assert read.startTime == START.timestamp() * 1000
    assert read.staleTime == END.timestamp() * 1000
    assert (round(read.lat, 4), round(read.lon, 4)) == (35.95, 38.05)
    assert read.detail.contact.callsign == "Strike package"
    assert read.detail.xmlDetail.count("<link point=") == 5  # the exterior ring, closed
    assert "holes not drawn" in read.detail.xmlDetail
    assert 'altitude_upper_m="3000.0"' in read.detail.xmlDetail
    assert shape.stale == END


def test_a_circle_is_an_ellipse_and_a_multipolygon_one_shape_per_polygon() -> None:
    circle = {"circle": {"lat": 36.0, "lon": 38.0, "radius_m": 2500.0}}
    other = [[[lon + 1, lat] for lon, lat in SQUARE]]
    multi = {"geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE], other]}}
    shapes = cot.notification_shapes(notification(circle, multi, kind="protected-site"), own=False)
    for shape in shapes:
        assert_valid(shape)
    assert [(s.uid, s.type) for s in shapes] == [
        ("openline.ntf_01TEST.v0", "u-d-c-c"),
        ("openline.ntf_01TEST.v1.p0", "u-d-f"),
        ("openline.ntf_01TEST.v1.p1", "u-d-f"),
    ]
    assert b'<ellipse major="2500.0" minor="2500.0" angle="360"/>' in shapes[0].xml
    assert b'kind="protected-site"' in shapes[0].xml


def test_a_corridor_is_drawn_as_its_outline_with_rounded_ends() -> None:
    path = [[38.0, 36.0], [38.1, 36.0], [38.1, 36.1]]
    corridor = {"corridor": {"path": path, "half_width_m": 1000.0}}
    [shape] = cot.notification_shapes(notification(corridor), own=True)
    assert_valid(shape)
    assert shape.type == "u-d-f"
    ring = [
        tuple(map(float, point.split(",")))
        for point in re.findall(r'<link point="([^"]+)"/>', shape.xml.decode())
    ]
    assert len(ring) == 2 * len(path) + 2 * (cot.CAP_POINTS - 1) + 1
    assert b'half_width_m="1000.0"' in shape.xml
    assert b"1000 m either side of its path" in shape.xml
    assert ring[0] == ring[-1]
    _, _, first_offset = inverse(38.0, 36.0, ring[0][1], ring[0][0])
    _, _, last_offset = inverse(38.1, 36.1, ring[2][1], ring[2][0])
    assert abs(first_offset[0] - 1000.0) < 0.01  # beside the start, a half width out
    assert abs(last_offset[0] - 1000.0) < 0.01  # beside the end


def stored_conflict(window: bool) -> StoredConflict:
    overlap = {"start": "2026-12-07T09:30:00.000Z", "end": "2026-12-07T10:00:00.000Z"}
    record = {
        "key": "cfl-0123456789abcdef01234567",
        "rule": "separation",
        "a": {"notification": "ntf_01TEST", "owner": "BLUE", "kind": "air-operation"},
        "b": {"notification": "ntf_02TEST", "owner": "RED", "kind": "artillery"},
        "minima": {"lateral_m": 1000.0, "vertical_m": 300.0, "time_s": 600.0},
        "distance_m": 0.0,
        "time_window": None,
        "altitude_band": None,
        "clashes": [
            {
                "volumes": [0, 0],
                "distance_m": 0.0,
                "time_overlap": overlap if window else None,
                "time_gap_s": 0.0,
                "altitude_overlap": None,
                "altitude_gap_m": 10.0,
            }
        ],
    }
    at = "2026-12-07T08:05:00.000Z"
    return StoredConflict(DetectedConflict.from_json(record), "open", at, at, None)


@pytest.mark.parametrize(("window", "stale"), [(True, NOW + timedelta(hours=2)), (False, END)])
def test_a_conflict_is_an_alert_stale_at_its_windows_end(window: bool, stale: datetime) -> None:
    circle = {"circle": {"lat": 36.0, "lon": 38.0, "radius_m": 2500.0}}
    alert = cot.conflict_alert(stored_conflict(window), notification(circle))
    assert_valid(alert)
    read = xml_of(alert)
    assert (read.type, read.uid) == ("b-a-g", "openline.cfl-0123456789abcdef01234567")
    assert (read.lat, read.lon) == (36.0, 38.0)
    assert read.sendTime == (NOW + timedelta(minutes=5)).timestamp() * 1000
    assert read.staleTime == stale.timestamp() * 1000
    assert '<emergency type="Geo-fence Breached">' in read.detail.xmlDetail


def test_a_proximity_warning_is_an_alert_at_its_track() -> None:
    rules = ProximityRules(300.0, 9260.0, 300.0)
    red = WarnedTrack("RED", "R1", NOW + timedelta(seconds=2))
    approach = Approach.of(
        WarnedTrack.of(report()), red, cpa_at=NOW, lateral_m=100.0, vertical_m=0.0, rules=rules
    )
    entry = Entry.of(
        report(),
        NotifiedVolume("ntf_02TEST", "RED", "protected-site", 0),
        entry_at=NOW,
        rules=rules,
    )
    for warning, time in ((approach, red.time), (entry, NOW)):
        alert = cot.warning_alert(OpenWarning(warning, NOW), at=report(), stale_after_s=60)
        assert_valid(alert)
        read = xml_of(alert)
        assert (read.type, read.uid) == ("b-a-o-pan", f"openline.{warning.key}")
        assert (read.lat, read.lon, read.hae) == (36.0, 38.05, 1500.0)
        assert read.sendTime == time.timestamp() * 1000
        assert read.staleTime == (time + timedelta(seconds=60)).timestamp() * 1000


@pytest.mark.parametrize(
    ("own", "kind", "cot_type"),
    [
        (True, "air", "a-f-A"),
        (True, "uav", "a-f-A-M-F-Q"),
        (False, "ground", "a-n-G"),
        (False, "sea", "a-n-S"),
    ],
)
def test_a_track_is_a_unit_friendly_when_own_neutral_a_peers(
    own: bool, kind: str, cot_type: str
) -> None:
    unit = cot.track_unit(report(kind=kind), own=own, stale_after_s=60)
    assert_valid(unit)
    read = xml_of(unit)
    assert (read.type, read.uid) == (cot_type, "openline.track.BLUE.B1")
    assert (read.detail.track.speed, read.detail.track.course) == (120.0, 90.0)
    assert read.sendTime == NOW.timestamp() * 1000
    assert read.staleTime == (NOW + timedelta(seconds=60)).timestamp() * 1000


@pytest.mark.parametrize(
    ("cot_type", "withdrawn_by"),
    [("u-d-f", "t-x-d-d"), ("a-f-A", "t-x-d-d"), ("b-a-g", "b-a-o-can")],
)
def test_what_is_withdrawn_is_deleted_or_an_alert_cancelled(
    cot_type: str, withdrawn_by: str
) -> None:
    event = cot.withdrawal("openline.x", cot_type, now=NOW)
    assert_valid(event)
    assert xml_of(event).type == withdrawn_by
    assert b'uid="openline.x"' in event.xml  # the event itself, or its link, names it
    assert_valid(cot.ping(now=NOW))


def pli(
    uid: str = "ANDROID-0123abcd",
    cot_type: str = "a-f-G-U-C",
    point: str = 'lat="36.1" lon="38.2" hae="350.5" ce="9.9" le="9999999.0"',
    track: str = '<track speed="12.5" course="271.0"/>',
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<event version="2.0" uid="{uid}" '
        f'type="{cot_type}" how="m-g" time="2026-12-07T08:00:00.000Z" '
        f'start="2026-12-07T08:00:00.000Z" stale="2026-12-07T08:02:00.000Z">'
        f'<point {point}/><detail><contact callsign="Alpha-1"/>{track}</detail></event>'
    ).encode()


def test_a_friendly_position_report_becomes_a_track_reports_members() -> None:
    assert cot_in.position_report(pli()) == {
        "track_id": "ANDROID-0123abcd",
        "time": "2026-12-07T08:00:00.000Z",
        "lat": 36.1,
        "lon": 38.2,
        "alt_m": 350.5,
        "speed_mps": 12.5,
        "heading_deg": 271.0,
        "kind": "ground",
    }


@pytest.mark.parametrize(
    ("data", "member", "value"),
    [
        (pli(cot_type="a-f-A-M-F-Q"), "kind", "uav"),
        (pli(cot_type="a-f-A-C-F"), "kind", "air"),
        (pli(cot_type="a-f-S"), "kind", "sea"),
        (pli(point='lat="1" lon="2" hae="9999999.0" ce="1" le="1"'), "alt_m", 0.0),
        (pli(track='<track speed="-1.0" course="-1.0"/>'), "speed_mps", 0.0),
        (pli(track=""), "heading_deg", 0.0),
    ],
)
def test_position_reports_read_what_tak_devices_write(data: bytes, member: str, value: Any) -> None:
    found = cot_in.position_report(data)
    assert found is not None
    assert found[member] == value


def test_a_uid_openline_cannot_hold_as_a_track_id_is_hashed_the_same_each_time() -> None:
    first = cot_in.position_report(pli(uid="GPS unit 7 (crew)"))
    again = cot_in.position_report(pli(uid="GPS unit 7 (crew)"))
    assert first is not None
    assert again is not None
    assert first["track_id"] == again["track_id"]
    assert first["track_id"].startswith("tak-")
    assert len(first["track_id"]) == 28


@pytest.mark.parametrize(
    "data",
    [
        pli(cot_type="b-t-f"),  # chat
        pli(cot_type="a-h-G"),  # a hostile marker someone placed
        pli(cot_type="u-d-f"),
        pli(uid="openline.track.BLUE.B1", cot_type="a-f-A"),  # Openline's own, echoed back
    ],
)
def test_other_events_are_not_position_reports(data: bytes) -> None:
    assert cot_in.position_report(data) is None


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<event type="a-f-G" uid="x">&lol2;</event>'
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<event type='a-f-G' uid='x'><point", "not XML"),
        (b"\xff\xfe garbage", "not XML"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (b"<ping/>", "not event"),
        (pli() + b" " * cot_in.MAX_EVENT_BYTES, "bytes, over the"),
        (pli(point='lat="95.0" lon="38.2" hae="0" ce="1" le="1"'), "lat 95.0 is outside -90 to 90"),
        (pli(point='lat="36" lon="-181" hae="0" ce="1" le="1"'), "lon -181 is outside"),
        (pli(point='lat="nan" lon="38" hae="0" ce="1" le="1"'), "lat nan is outside"),
        (pli(point='lat="north" lon="38" hae="0" ce="1" le="1"'), "is not a number"),
        (pli(point='lon="38" hae="0" ce="1" le="1"'), "lat None is outside"),
        (pli(point='lat="36" lon="38" hae="200000" ce="1" le="1"'), "hae 200000 is outside"),
        (pli(track='<track speed="9000" course="10"/>'), "speed 9000 is outside"),
        (pli().replace(b"<point", b"<pt"), "no point"),
    ],
)
def test_what_cannot_be_taken_is_refused_naming_why(data: bytes, reason: str) -> None:
    with pytest.raises(cot_in.BadCot, match=reason.replace("(", r"\(")):
        cot_in.position_report(data)
