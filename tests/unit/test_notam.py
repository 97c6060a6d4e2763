"""ICAO NOTAMs in: the header, Q-line and items, D) schedules, F)/G) limits, E) areas, the
notification drafts and actions, the dry-run GeoJSON, and each error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from openline.domain.notifications import Kind, parse_notification_draft
from openline.domain.separation import Minima, Rule, separation_rules
from openline.domain.volumes import Limits
from openline.interop.formats import dry_run, notam_plan
from openline.interop.geojson import notification_body
from openline.interop.notam import (
    FL_M,
    PERM_HORIZON,
    UNL_M,
    NotamError,
    parse_file,
    parse_notam,
    split_notams,
)
from openline.interop.notam_areas import footprints
from openline.interop.notam_drafts import (
    NotamAction,
    action,
    altitudes,
    drafts,
    limit_m,
    windows,
)
from openline.interop.notam_text import FT_M, AreaTextError, angle, parse_position
from openline.interop.plans import Action
from tests.support.shared_data import SHARED_DATA, needs_shared_data

Q = "LCCC/QRDCA/IV/BO/W/000/100/3512N03601E005"
DBRGN = SHARED_DATA / "notam" / "dbrgn-notam-parse" / "notam-A0513-14.txt"


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%y%m%d%H%M").replace(tzinfo=UTC)


def notam(
    e: str,
    *,
    header: str = "A1234/26 NOTAMN",
    q: str = "LCCC/QRDCA/IV/BO/W/000/100/3512N03601E005",
    b: str = "2612031200",
    c: str = "2612041200",
    d: str | None = None,
    f: str | None = None,
    g: str | None = None,
) -> str:
    lines = [header, f"Q) {q}", f"A) LCCC B) {b} C) {c}"]
    if d is not None:
        lines.append(f"D) {d}")
    lines.append(f"E) {e}")
    if f is not None:
        lines.append(f"F) {f} G) {g}")
    return "\n".join(lines)


def dms(deg: int, minutes: int, seconds: Fraction | int = 0) -> float:
    return float(deg + Fraction(minutes, 60) + Fraction(seconds) / 3600)


# --- positions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lon", "lat"),
    [
        ("095200N1104200E", dms(110, 42), dms(9, 52)),
        ("095200N 1104200E", dms(110, 42), dms(9, 52)),
        ("N095200E1104200", dms(110, 42), dms(9, 52)),
        ("N095200 E1104200", dms(110, 42), dms(9, 52)),
        ("0952N11042E", dms(110, 42), dms(9, 52)),
        ("3512N03601E", dms(36, 1), dms(35, 12)),
        ("512107.5N0003608.25W", -dms(0, 36, Fraction(825, 100)), dms(51, 21, Fraction(75, 10))),
        ("335959S0700001W", -dms(70, 0, 1), -dms(33, 59, 59)),
    ],
)
def test_a_position_is_read_to_the_nearest_float_of_its_exact_value(
    text: str, lon: float, lat: float
) -> None:
    assert parse_position(text) == (lon, lat)


def test_095200N_is_exactly_9_and_52_minutes() -> None:
    assert angle("095200", 2) == 9.866666666666667 == float(Fraction(148, 15))


def test_a_minute_of_60_is_refused() -> None:
    with pytest.raises(AreaTextError, match="below 60"):
        parse_position("096000N1104200E")


# --- E) areas -------------------------------------------------------------------------------

SQUARE = [[dms(110, 42), dms(9, 52)], [dms(111, 9), dms(9, 52)], [dms(111, 9), dms(9, 40)]]


@pytest.mark.parametrize(
    "text",
    [
        "DANGER AREA 095200N1104200E-095200N1110900E-094000N1110900E-095200N1104200E.",
        "DANGER AREA 095200N1104200E - 095200N1110900E - 094000N1110900E",
        "DANGER AREA 095200N1104200E 095200N1110900E 094000N1110900E",
        "DANGER AREA N095200E1104200 TO N095200E1110900 TO N094000E1110900 TO N095200E1104200",
        "DANGER AREA 095200N 1104200E, 095200N 1110900E,\n094000N 1110900E",
        "DANGER AREA 0952N11042E-0952N11109E-0940N11109E",
    ],
)
def test_a_coordinate_chain_in_each_spelling_is_a_closed_polygon(text: str) -> None:
    (footprint,) = footprints(parse_notam(notam(text)))
    assert footprint == {"geometry": {"type": "Polygon", "coordinates": [[*SQUARE, SQUARE[0]]]}}


@pytest.mark.parametrize(
    ("text", "radius_m"),
    [
        ("FIRING WI RADIUS 5NM CENTRED ON 3512N03601E", 5 * 1852.0),
        ("CIRCLE RADIUS 2KM CENTRE 351200N0360100E", 2000.0),
        ("UAS OPS WI 3NM OF 3512N03601E", 3 * 1852.0),
        ("FIREWORK DISPLAY WI 0.5NM RADIUS: 351200N 0360100E (TOWN).", 926.0),
        ("AREA CENTRED ON 3512N03601E RADIUS 500M", 500.0),
        ("AREA CENTRED ON N3512 E03601 WITH A RADIUS OF 1000FT", 1000 * FT_M),
    ],
)
def test_a_circle_in_each_spelling(text: str, radius_m: float) -> None:
    (footprint,) = footprints(parse_notam(notam(text)))
    assert footprint == {"circle": {"lat": 35.2, "lon": dms(36, 1), "radius_m": radius_m}}


def test_several_areas_in_one_notam_are_each_a_footprint() -> None:
    text = (
        "AREA 1: 095200N1104200E-095200N1110900E-094000N1110900E. "
        "AREA 2: RADIUS 5NM CENTRED ON 3512N03601E."
    )
    first, second = footprints(parse_notam(notam(text)))
    assert first["geometry"]["coordinates"][0][:3] == SQUARE
    assert second == {"circle": {"lat": 35.2, "lon": dms(36, 1), "radius_m": 9260.0}}


@pytest.mark.parametrize(
    "text",
    ["RWY 09L CLSD", "CRANE ERECTED PSN 351200N 0360100E HGT 150FT AGL"],
)
def test_the_q_line_circle_is_used_only_when_the_text_has_no_area(text: str) -> None:
    (footprint,) = footprints(parse_notam(notam(text)))
    assert footprint == {"circle": {"lat": 35.2, "lon": dms(36, 1), "radius_m": 5 * 1852.0}}


# --- D) schedules ---------------------------------------------------------------------------


def spans(raw: str) -> list[tuple[str, str]]:
    return [
        (a.strftime("%m%d %H%M"), b.strftime("%m%d %H%M")) for a, b in windows(parse_notam(raw))
    ]


@pytest.mark.parametrize(
    ("d", "b", "c", "expected"),
    [
        (None, "2612031200", "2612041200", [("1203 1200", "1204 1200")]),
        ("H24", "2612031200", "2612041200", [("1203 1200", "1204 1200")]),
        (
            "DLY 2200-0600",
            "2612032200",
            "2612060600",
            [("1203 2200", "1204 0600"), ("1204 2200", "1205 0600"), ("1205 2200", "1206 0600")],
        ),
        (
            "DAILY 0800-1000 1400-1600",
            "2612030000",
            "2612042359",
            [
                ("1203 0800", "1203 1000"),
                ("1203 1400", "1203 1600"),
                ("1204 0800", "1204 1000"),
                ("1204 1400", "1204 1600"),
            ],
        ),
        (
            "MON WED FRI 0800-1000",  # 2026-12-07 is a Monday
            "2612070000",
            "2612132359",
            [("1207 0800", "1207 1000"), ("1209 0800", "1209 1000"), ("1211 0800", "1211 1000")],
        ),
        (
            "MON-WED 0800-1000",
            "2612090000",
            "2612152359",
            [("1209 0800", "1209 1000"), ("1214 0800", "1214 1000"), ("1215 0800", "1215 1000")],
        ),
        (
            "JAN 02 05 09-11 1000-1100",
            "2701010000",
            "2701312359",
            [
                ("0102 1000", "0102 1100"),
                ("0105 1000", "0105 1100"),
                ("0109 1000", "0109 1100"),
                ("0110 1000", "0110 1100"),
                ("0111 1000", "0111 1100"),
            ],
        ),
        (
            "DEC 30 31 JAN 01 0800-0900",
            "2612300000",
            "2701012359",
            [("1230 0800", "1230 0900"), ("1231 0800", "1231 0900"), ("0101 0800", "0101 0900")],
        ),
        (
            "DEC 31-JAN 01 2300-0100",
            "2612310000",
            "2701020000",
            [("1231 2300", "0101 0100"), ("0101 2300", "0102 0000")],
        ),
        (
            "29 30 01 1200-1300",  # no month: on or after B), so 01 is the next month's
            "2611290000",
            "2612012359",
            [("1129 1200", "1129 1300"), ("1130 1200", "1130 1300"), ("1201 1200", "1201 1300")],
        ),
        (
            "03 0700-2100 04 0000-2359",
            "2612030700",
            "2612042359",
            [("1203 0700", "1203 2100"), ("1204 0000", "1204 2359")],
        ),
        (
            "2200-0200",  # the window that began the evening before B) is clipped to B)
            "2612030000",
            "2612040100",
            [("1203 0000", "1203 0200"), ("1203 2200", "1204 0100")],
        ),
    ],
)
def test_d_schedules_expand_to_utc_windows_within_b_to_c(
    d: str | None, b: str, c: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(notam("RWY CLSD", b=b, c=c, d=d)) == expected


def test_a_perm_notam_is_notified_for_a_year_from_b() -> None:
    parsed = parse_notam(notam("RWY CLSD", c="PERM"))
    assert parsed.permanent
    assert windows(parsed) == [(utc("2612031200"), utc("2612031200") + PERM_HORIZON)]


def test_a_window_longer_than_the_volume_limit_is_cut_into_pieces() -> None:
    parsed = parse_notam(notam("RWY CLSD", b="2601010000", c="2801010000"))
    found = windows(parsed, Limits())
    assert [b - a for a, b in found] == [Limits().max_duration, timedelta(days=730 - 366)]
    assert found[0][1] == found[1][0]
    assert found[0][0] == utc("2601010000")
    assert found[-1][1] == utc("2801010000")


# --- F) and G) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("SFC", 0.0),
        ("GND", 0.0),
        ("UNL", UNL_M),
        ("FL100", 100 * FL_M),
        ("FL 245", 245 * FL_M),
        ("5000FT AMSL", 5000 * FT_M),
        ("5000 FT MSL", 5000 * FT_M),
        ("1500M AMSL", 1500.0),
        ("1500M", 1500.0),
        ("500FT AGL", 500 * FT_M),
    ],
)
def test_limits_are_read_in_metres(text: str, metres: float) -> None:
    assert limit_m(text, "G)") == pytest.approx(metres, abs=1e-9)


def test_without_f_and_g_the_q_line_flight_levels_are_the_limits() -> None:
    assert altitudes(parse_notam(notam("RWY CLSD"))) == (0.0, 100 * FL_M)


def test_f_and_g_replace_the_q_line_levels() -> None:
    parsed = parse_notam(notam("RWY CLSD", f="SFC", g="5000FT AMSL"))
    assert altitudes(parsed) == (0.0, 5000 * FT_M)


# --- header, Q-line, items ------------------------------------------------------------------


def test_every_field_of_an_icao_notam_is_read() -> None:
    raw = (
        "(A3799/24 NOTAMR A3700/24\nQ) LCCC/QWMLW/IV/BO/W/000/150/3512N03601E005\n"
        "A) LCCC LCRA B) 2612031200 C) 2612041200EST\nD) DLY 1200-1400\n"
        "E) MISSILE FIRING WI RADIUS 5NM CENTRED ON 3512N03601E\nF) SFC G) FL150)"
    )
    parsed = parse_notam(raw)
    assert parsed.id is not None
    assert (parsed.id.series, parsed.id.number, parsed.id.year) == ("A", 3799, 24)
    assert (parsed.type, str(parsed.ref)) == ("NOTAMR", "A3700/24")
    q = parsed.q
    assert q is not None
    assert (q.fir, q.code, q.subject, q.condition) == ("LCCC", "QWMLW", "WM", "LW")
    assert (q.traffic, q.purpose, q.scope, q.lower_fl, q.upper_fl) == ("IV", "BO", "W", 0, 150)
    assert (q.lat, q.lon, q.radius_nm) == (35.2, dms(36, 1), 5)
    assert parsed.locations == ("LCCC", "LCRA")
    assert (parsed.start, parsed.end, parsed.end_estimated) == (
        utc("2612031200"),
        utc("2612041200"),
        True,
    )
    assert (parsed.schedule, parsed.lower, parsed.upper) == ("DLY 1200-1400", "SFC", "FL150")
    assert parsed.text == "MISSILE FIRING WI RADIUS 5NM CENTRED ON 3512N03601E"


def test_a_notamn_is_created_with_a_draft_the_api_accepts() -> None:
    result = action(
        parse_notam(notam("DANGER AREA 095200N1104200E-095200N1110900E-094000N1110900E"))
    )
    # a number is unique within its office: the reference is keyed by A)
    assert (result.action, result.notam_id, result.replaces) == (
        "create",
        "LCCC A1234/26",
        None,
    )
    (body,) = result.drafts
    assert body["kind"] == "danger-area"
    assert body["title"].startswith("A1234/26 DANGER AREA")
    draft = parse_notification_draft(body, limits=Limits())
    assert len(draft.volumes) == 1


def test_a_notamr_replaces_and_a_notamc_cancels() -> None:
    replace = action(parse_notam(notam("RWY CLSD", header="A1235/26 NOTAMR A1234/26")))
    assert (replace.action, replace.replaces) == ("replace", "LCCC A1234/26")
    assert replace.drafts
    raw = f"A1236/26 NOTAMC A1235/26\nQ) {Q}\nA) LCCC B) 2612031300\nE) CANCELLED"
    cancel = action(parse_notam(raw))
    assert cancel == NotamAction(
        action=Action.CANCEL, notam_id="LCCC A1236/26", replaces="LCCC A1235/26", drafts=[]
    )


def test_one_volume_per_area_and_window() -> None:
    text = "AREA 1: 095200N1104200E-095200N1110900E-094000N1110900E. AREA 2: WI 3NM OF 3512N03601E"
    raw = notam(text, b="2612030000", c="2612052359", d="DLY 0800-1000")
    (body,) = drafts(parse_notam(raw))
    assert len(body["volumes"]) == 2 * 3
    assert {v["time_start"] for v in body["volumes"]} == {
        "2026-12-03T08:00:00.000Z",
        "2026-12-04T08:00:00.000Z",
        "2026-12-05T08:00:00.000Z",
    }


def test_more_volumes_than_a_notification_holds_become_several_parts() -> None:
    raw = notam("RWY CLSD", b="2601010000", c="2605312359", d="DLY 0800-1000")  # 151 days
    bodies = drafts(parse_notam(raw))
    assert [len(b["volumes"]) for b in bodies] == [100, 51]
    assert bodies[1]["title"].endswith("(part 2/2)")


@pytest.mark.parametrize(
    ("text", "code", "kind"),
    [
        ("MISSILE FIRING", "QWMLW", Kind.FIRING),
        ("FIREWORK DISPLAY", "QWMLW", Kind.FIRING),
        ("ROCKET LAUNCH", "QWLLW", Kind.LAUNCH),
        ("MILITARY EXERCISE", "QRTCA", Kind.EXERCISE),
        ("LASER DISPLAY", "QWELW", Kind.EXERCISE),
        ("ACTIVE", "QRDCA", Kind.DANGER_AREA),
        ("PARACHUTE JUMPING", "QWPLW", Kind.DANGER_AREA),
        ("RWY 09 CLSD", "QMRLC", Kind.ZONE),
    ],
)
def test_the_kind_comes_from_the_text_then_the_q_code(text: str, code: str, kind: Kind) -> None:
    raw = notam(text, q=f"LCCC/{code}/IV/BO/W/000/100/3512N03601E005")
    assert action(parse_notam(raw)).drafts[0]["kind"] == kind.value


# --- files, dry run -------------------------------------------------------------------------

ONE = notam("RWY CLSD")
TWO = notam("TWY CLSD", header="A1235/26 NOTAMN")


@pytest.mark.parametrize(
    "text",
    [
        f"{ONE}\n\n{TWO}\n",
        f"{ONE}\n{TWO}",
        f"({ONE})\n({TWO})",
        f"\r\n{ONE}\r\n\r\n\r\n{TWO}".replace("\n", "\r\n"),
    ],
)
def test_a_file_is_split_into_its_notams(text: str) -> None:
    pieces = split_notams(text)
    assert [p.split()[0].lstrip("(") for p in pieces] == ["A1234/26", "A1235/26"]


def test_unnumbered_notams_apart_by_blank_lines_are_split() -> None:
    body = "Q) LCCC/QMRLC/IV/BO/A/000/100/3512N03601E005\nA) LCCC B) 2612031200 C) 2612041200\nE) X"
    assert len(parse_file(f"{body}\n\n{body}\n").notams) == 2


def test_the_dry_run_is_one_feature_per_volume() -> None:
    raw = notam("WI 3NM OF 3512N03601E", b="2612030000", c="2612042359", d="DLY 0800-1000")
    plan = notam_plan(raw + "\n\n" + notam("RWY CLSD", header="A1235/26 NOTAMN"), limits=Limits())
    collection = dry_run(plan)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 3
    props = features[0]["properties"]
    assert props["notam_id"] == "LCCC A1234/26"
    assert (props["time_start"], props["time_end"]) == (
        "2026-12-03T08:00:00.000Z",
        "2026-12-03T10:00:00.000Z",
    )
    assert (props["altitude_lower_m"], props["altitude_upper_m"]) == (0.0, 100 * FL_M)
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [dms(36, 1), 35.2]}
    # the dry run reads back through the GeoJSON import as the same volumes
    first_two = {"type": "FeatureCollection", "features": features[:2]}
    assert notification_body(first_two)["volumes"] == plan.records[0].drafts[0]["volumes"]


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (
            "A1/26 NOTAMN\nQ) LCCC/QRDCA/IV/BO/W/000/100/3512N03601E005\nA) LCCC E) X",
            "B)",
            "B) is missing",
        ),
        (notam("X", b="26120312"), "B)", "'26120312' is not a time"),
        (notam("X", b="2613031200"), "B)", "not a real date"),
        (notam("X", c="SOON"), "C)", "'SOON' is not a time"),
        (notam("X", c="2612021200"), "C)", "2612021200 is not after B) 2612031200"),
        (notam("X", q="LCCC/QRDCA/IV/BO"), "Q)", "has 4 fields"),
        (notam("X", q="LCCC/RDCA/IV/BO/W/000/100/3512N03601E005"), "Q)", "'RDCA' is not Q"),
        (notam("X", q="LCCC/QRDCA/IV/BO/W/000/100/3512N036E005"), "Q)", "'3512N036E005'"),
        (notam("X", f="SFC", g="HIGH"), "G)", "'HIGH' is not a limit"),
        (notam("X", f="FL100", g="FL050"), "G)", "below F)"),
        (notam("X", d="SR-SS"), "D)", "SR (sunrise/sunset) is not supported"),
        (notam("X", d="MON-FRI"), "D)", "no time"),
        (notam("X", d="FEB 30 1000-1100"), "D)", "day 30 does not exist in FEB"),
        (notam("X", d="SOMETIMES 1000-1100"), "D)", "'SOMETIMES' is not a day"),
        (notam("X", d="DEC 01 1000-1100"), "D)", "gives no time within B) to C)"),
        (notam("X", q="LCCC/QRDCA/IV/BO/W/000/100/"), "E)", "no area"),
        (notam("AREA 096000N1104200E-095200N1110900E-094000N1110900E"), "E)", "below 60"),
        (
            f"A1/26 NOTAMC\nQ) {Q}\nA) LCCC B) 2612031200\nE) X",
            "header",
            "names no NOTAM",
        ),
    ],
)
def test_each_error_names_the_item_and_the_text(raw: str, field: str, words: str) -> None:
    with pytest.raises(NotamError, match=words.replace("(", r"\(").replace(")", r"\)")) as error:
        action(parse_notam(raw))
    assert error.value.field == field


def test_a_volume_the_rules_refuse_is_an_error_naming_the_place() -> None:
    raw = notam("AREA 095200N1104200E-094000N1110900E-095200N1110900E-094000N1104200E")  # a bow tie
    with pytest.raises(
        NotamError, match=r"^volumes\[0\]\.geometry\.coordinates\[0\]: the ring crosses itself"
    ):
        action(parse_notam(raw))


def test_a_file_with_bad_notams_keeps_the_good_ones_and_reports_each_bad_one() -> None:
    bad_b = notam("X", header="A0002/26 NOTAMN", b="SOON")
    bad_d = notam("X", header="A0003/26 NOTAMN", d="SR-SS")
    plan = notam_plan("\n\n".join([ONE, bad_b, TWO, bad_d]), limits=Limits())
    assert [r.notam_id for r in plan.records] == ["LCCC A1234/26", "LCCC A1235/26"]
    assert [e.field for e in plan.errors] == ["B)", "D)"]
    assert "A0002/26" in plan.errors[0].item
    assert "A0003/26" in plan.errors[1].item


# --- the dbrgn NOTAM ------------------------------------------------------------------------


@needs_shared_data(DBRGN)
def test_the_dbrgn_notam_parses_and_its_schedule_expands() -> None:
    (parsed,) = parse_file(DBRGN.read_text()).notams
    assert str(parsed.id) == "A0513/14"
    assert parsed.type == "NOTAMN"
    q = parsed.q
    assert q is not None
    assert (q.fir, q.code, q.traffic, q.purpose, q.scope) == ("LSAS", "QANCH", "I", "NBO", "E")
    assert (q.lower_fl, q.upper_fl, q.radius_nm) == (195, 660, 999)
    assert (q.lat, q.lon) == (dms(46, 45), dms(8, 8))
    assert parsed.locations == ("LSAS",)
    assert parsed.text.startswith("NEW RESTRICTION ESTABLISHED:")
    assert parsed.text.endswith("SOURCE: LSSNYNYX")
    assert [(a.strftime("%d %H%M"), b.strftime("%d %H%M")) for a, b in windows(parsed)] == [
        ("02 0700", "02 2100"),
        ("03 0700", "03 2359"),
        ("04 0000", "04 2359"),
        ("05 0000", "05 2259"),
    ]
    # The Q-line radius 999 NM (the whole FIR) is over the largest circle a volume may have.
    whole_fir = r"circle of 999 NM \(1850 km, the whole FIR\) is over"
    with pytest.raises(NotamError, match=whole_fir) as error:
        action(parsed)
    assert error.value.field == "Q)"


def test_a_weekday_range_may_wrap_past_sunday() -> None:
    raw = notam("RWY CLSD", b="2612040000", c="2612082359", d="FRI-MON 0800-0900")  # Fri 4th
    assert [a for a, _ in spans(raw)] == ["1204 0800", "1205 0800", "1206 0800", "1207 0800"]


@pytest.mark.parametrize("kind", [Kind.FIRING, Kind.LAUNCH])
def test_firings_and_launches_are_kept_clear_of_like_artillery(kind: Kind) -> None:
    rules = separation_rules("default")
    assert rules.rule_for(kind, "BLUE", Kind.AIR_OPERATION, "RED") == (
        Rule.SEPARATION,
        Minima(5_000.0, 100_000.0, 900.0),
    )
    assert rules.rule_for(kind, "BLUE", Kind.DANGER_AREA, "RED") is not None
    assert rules.rule_for(Kind.DANGER_AREA, "BLUE", Kind.ZONE, "RED") == (
        Rule.ZONE,
        Minima(0, 0, 0),
    )
