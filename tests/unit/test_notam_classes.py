"""The classes of international NOTAMs that were refused or read wrong, each on public NOTAMs of
the corpus (tests/data/notams/international.json) with their fields written out here by hand,
and on hand-written ones: long edges, big circles, D) spellings, G) trailers, multi-part
NOTAMs, coordinates with spaces or broken by a line break; and what is truly ambiguous, refused
naming the item and the text."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from openline.domain.polygons import great_circle_m
from openline.domain.volumes import Circle, Limits, parse_volume
from openline.geo.footprints import distance_m
from openline.geo.geodesy import forward, inverse
from openline.geo.shapes import Shape
from openline.interop.notam import NotamError, parse_notam, split_notams
from openline.interop.notam_areas import NotamSettings
from openline.interop.notam_drafts import UNL_M, action, altitudes, windows
from openline.interop.notam_text import NM_M
from tests.support.notams import numbered


def dms(deg: int, minutes: int, seconds: int = 0) -> float:
    return float(deg + Fraction(minutes, 60) + Fraction(seconds, 3600))


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def ring_of(number: str) -> list[list[float]]:
    volume = action(parse_notam(numbered("international", number))).drafts[0]["volumes"][0]
    return volume["geometry"]["coordinates"][0]


def geodesic_m(a: list[float], b: list[float]) -> float:
    return float(inverse(a[0], a[1], b[0], b[1])[2][0])


# --- long edges: densified along the geodesic, with a warning --------------------------------


def test_a_launch_area_with_edges_over_500_km_is_divided_along_its_geodesics() -> None:
    notam = parse_notam(numbered("international", "A0043/21"))
    done = action(notam)
    corners = [
        [dms(96, 0, 28), dms(37, 49, 11)],
        [dms(95, 59, 54), dms(37, 14, 2)],
        [dms(82, 51, 40), dms(36, 38, 29)],
        [dms(82, 46, 15), dms(37, 13, 22)],
    ]
    ring = done.drafts[0]["volumes"][0]["geometry"]["coordinates"][0]
    assert [p for p in ring if p in corners] == [*corners, corners[0]]
    assert len(ring) == 9  # two points added on each of the two long edges, and the closing one
    assert max(great_circle_m(a, b) for a, b in itertools.pairwise(ring)) <= 500_000
    added = ring[2:4]  # between the second and the third corner: on their geodesic
    along = geodesic_m(corners[1], added[0]) + geodesic_m(added[0], added[1])
    assert abs(along + geodesic_m(added[1], corners[2]) - geodesic_m(corners[1], corners[2])) < 1e-3
    assert len(done.warnings) == 2
    assert done.warnings[0].startswith("E) the edge from 37.2339N 95.9983E to 36.6414N 82.8611E")
    assert "1168.5 km long" in done.warnings[0]
    assert "divided along its geodesic into 3 pieces" in done.warnings[0]
    assert notam.office == "ZLHW"  # A) ZLHW ZWUQ: the first location, not the Q-line's ZXXX
    assert windows(notam) == [
        (utc("2021-01-11 02:50"), utc("2021-01-11 04:00")),
        (utc("2021-01-11 06:50"), utc("2021-01-11 08:00")),
    ]


def test_a_circle_over_the_volume_limit_is_refused_naming_the_item() -> None:
    raw = numbered("international", "A0043/21").replace(
        "E) A TEMPORARY", "E) WI 600NM RADIUS OF 370000N0890000E A TEMPORARY"
    )
    with pytest.raises(NotamError, match=r"^E\) a circle of 1111.2 km radius is over") as error:
        action(parse_notam(raw))
    assert error.value.field == "E)"


def test_an_unlimited_top_is_fl999() -> None:
    assert altitudes(parse_notam(numbered("international", "A0043/21"))) == (0.0, UNL_M)


# --- D) as offices write it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (  # 1345-1416,1419-1459 25 AND 1058-1121 26: times first, then their day
            "A0391/23",
            [
                ("2023-02-25 13:45", "2023-02-25 14:16"),
                ("2023-02-25 14:19", "2023-02-25 14:59"),
                ("2023-02-26 10:58", "2023-02-26 11:21"),
            ],
        ),
        (  # DAILY 2230/0100: a slash, and past midnight
            "F3484/21",
            [
                ("2021-11-22 22:30", "2021-11-23 01:00"),
                ("2021-11-23 22:30", "2021-11-24 01:00"),
                ("2021-11-24 22:30", "2021-11-25 01:00"),
                ("2021-11-25 22:30", "2021-11-26 01:00"),
            ],
        ),
        (  # BTN 0931UTC - 1024UTC
            "A0187/23",
            [("2023-09-05 09:31", "2023-09-05 10:24")],
        ),
        (  # 2220-0230(NEXT DAY) ON JAN 31, one window a line, times first
            "A0320/26",
            [
                ("2026-01-30 05:20", "2026-01-30 09:00"),
                ("2026-01-31 22:20", "2026-02-01 02:30"),
                ("2026-02-02 02:20", "2026-02-02 06:30"),
                ("2026-02-03 12:20", "2026-02-03 15:30"),
            ],
        ),
        (  # DLY FM 0600 - 1000 UTC
            "A1252/22",
            [(f"2022-11-{d} 06:00", f"2022-11-{d} 10:00") for d in (25, 26, 27, 28)],
        ),
        (  # 0145-0510 ON SEP,28 / 0300-0620 ON SEP,29 - OCT,03
            "A2400/21",
            [("2021-09-28 01:45", "2021-09-28 05:10")]
            + [(f"2021-09-{d} 03:00", f"2021-09-{d} 06:20") for d in (29, 30)]
            + [(f"2021-10-0{d} 03:00", f"2021-10-0{d} 06:20") for d in (1, 2, 3)],
        ),
    ],
)
def test_d_schedules_as_offices_write_them(number: str, expected: list[tuple[str, str]]) -> None:
    notam = parse_notam(numbered("international", number))
    assert windows(notam) == [(utc(a), utc(b)) for a, b in expected]


def test_0000_1000_dly_is_every_day_of_b_to_c() -> None:
    found = windows(parse_notam(numbered("international", "A1768/21")))
    assert len(found) == 26  # 6 to 31 August
    assert found[0] == (utc("2021-08-06 00:00"), utc("2021-08-06 10:00"))
    assert found[-1] == (utc("2021-08-31 00:00"), utc("2021-08-31 10:00"))


# --- G) trailers and multi-part NOTAMs ------------------------------------------------------------


def test_g_followed_by_a_sequence_check_trailer_is_read() -> None:
    notam = parse_notam(numbered("international", "B1015/23"))
    assert notam.upper == "UNL"
    assert altitudes(notam) == (0.0, UNL_M)
    assert ring_of("B1015/23")[0] == [dms(115, 23), dms(17, 48)]  # 174800N 1152300E


def test_g_followed_by_text_that_is_no_trailer_is_refused_as_ambiguous() -> None:
    raw = numbered("international", "A1768/21").replace("G) UNL", "G) UNL\nFL200 ON REQUEST")
    with pytest.raises(NotamError, match=r"G\) .* is followed by 'FL200 ON REQUEST'") as error:
        parse_notam(raw)
    assert error.value.field == "G)"


def test_a_notam_in_two_parts_is_read_as_one() -> None:
    text = numbered("international", "A3409/24")
    (whole,) = split_notams(text)
    notam = parse_notam(whole)
    assert notam.locations == ("VVHM",)  # A) VVHM PART 1 OF 2
    assert "M771 (NITOM - DAMEL) CHANGE TO" in notam.text  # part 2's E)
    assert "PART 1 OF 2" not in notam.text
    done = action(notam)
    (body,) = done.drafts
    assert body["volumes"][0]["geometry"]["coordinates"][0][0] == [dms(110, 56), dms(13, 3)]
    assert windows(notam)[0] == (utc("2024-11-13 21:30"), utc("2024-11-14 02:30"))
    assert len(body["volumes"]) == 3  # DLY 2130-0230 from the 13th to the 16th


def test_a_part_missing_is_refused_naming_it() -> None:
    first = numbered("international", "A3409/24").split("\r\n")[0]
    (alone,) = split_notams(first)
    with pytest.raises(NotamError, match="PART 2 OF 2 is missing") as error:
        parse_notam(alone)
    assert error.value.field == "E)"


# --- coordinates as they are typed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "first", "spelling"),
    [
        ("B1126/21", [dms(119, 41, 6), dms(12, 39, 14)], "12 39 14N 119 41 06E"),
        ("A1252/22", [dms(172, 31), -dms(12, 36)], "S12 36 00 E172 31 00"),
        ("F3484/21", [dms(86, 14, 28), -dms(24, 33, 43)], "S243343 E0861428, one a line"),
    ],
)
def test_coordinates_written_with_spaces_are_read(
    number: str, first: list[float], spelling: str
) -> None:
    assert ring_of(number)[0] == first, spelling


def test_a_coordinate_broken_by_a_line_break_is_read_whole() -> None:
    # ...-N351500E1205500-N36\n0600E1205500 BACK TO START.
    assert ring_of("A1500/21")[4] == [dms(120, 55), dms(36, 6)]
    assert len(ring_of("A1500/21")) == 6


def test_a_numbered_area_after_a_line_ending_in_a_digit_stays_apart() -> None:
    raw = (
        "A0001/26 NOTAMN\nQ) LCCC/QRDCA/IV/BO/W/000/100/3500N03600E010\n"
        "A) LCCC B) 2612031200 C) 2612031800\nE) DANGER AREAS:\n"
        "1. AREA 350000N0360000E-350000N0361500E-344800N0361500E SFC-FL100\n"
        "2. CIRCLE RADIUS 2KM CENTRE 351000N0360000E SFC-FL050\nF) SFC G) FL100"
    )
    area, circle = action(parse_notam(raw)).drafts[0]["volumes"]
    assert len(area["geometry"]["coordinates"][0]) == 4
    assert area["altitude_upper_m"] == 100 * 30.48
    assert circle["circle"]["radius_m"] == 2000.0
    assert circle["altitude_upper_m"] == 50 * 30.48


def test_an_area_bounded_by_named_points_is_refused_naming_the_point() -> None:
    with pytest.raises(NotamError, match=r"'GURIN' after 'N220216E1130000' is a named point"):
        action(parse_notam(numbered("international", "A2400/21")))


def test_a_circle_within_the_nodes_notam_max_circle_km_is_read_as_sectors_that_cover_it() -> None:
    raw = numbered("international", "A0043/21").replace(
        "E) A TEMPORARY", "E) WI 600NM RADIUS OF 370000N0890000E A TEMPORARY"
    )
    settings = NotamSettings(max_circle_m=2_000_000.0)
    done = action(parse_notam(raw), settings=settings)
    radius = 600 * NM_M
    sectors = [
        parse_volume(v, index=i, limits=Limits()).footprint
        for i, v in enumerate(done.drafts[0]["volumes"])
        if v["time_start"] == "2021-01-11T02:50:00.000Z"
        and v.get("geometry", {}).get("coordinates", [[None]])[0][0] == [89.0, 37.0]
    ]
    assert len(sectors) == 5  # each within a volume's 1,000,000 km², the rules accept them all
    assert any("a circle of 1111.2 km radius is over the 1000 km" in w for w in done.warnings)
    centre = (dms(89, 0), dms(37, 0))
    shapes = [Shape.of(s) for s in sectors]
    for azimuth in range(0, 360, 5):  # the circle's edge is inside the sectors
        lon, lat, _ = forward(centre[0], centre[1], azimuth, radius - 1.0)
        edge = Shape.of(Circle(lat=float(lat[0]), lon=float(lon[0]), radius_m=0.5))
        assert min(distance_m(edge, s) for s in shapes) == 0.0, azimuth
    corners = [p for s in sectors for p in s.rings[0]]
    farthest = max(geodesic_m(list(centre), list(p)) for p in corners)
    assert radius < farthest < radius * 1.01  # and they reach little beyond it


def test_unl_is_read_as_the_nodes_notam_unlimited_m() -> None:
    notam = parse_notam(numbered("international", "A0043/21"))
    settings = NotamSettings(unlimited_m=60_000.0)
    volumes = action(notam, settings=settings).drafts[0]["volumes"]
    assert {v["altitude_upper_m"] for v in volumes} == {60_000.0}
