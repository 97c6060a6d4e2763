"""Russia's domestic NOTAMs, read as completely as ICAO's: public ones from the corpus with their
fields written out here by hand, and hand-written ones for each spelling and error."""

# Russian NOTAMs are in Cyrillic on purpose (RUF001 and RUF003 warn of Cyrillic look-alikes).
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from openline.domain.notifications import parse_notification_draft
from openline.domain.volumes import Limits
from openline.interop.formats import notam_plan
from openline.interop.notam import FL_M, NotamError, parse_notam, split_notams
from openline.interop.notam_drafts import action, altitudes, windows
from openline.interop.notam_text import NM_M
from openline.interop.plans import Action
from tests.support.notams import numbered


def dms(deg: int, minutes: int, seconds: int = 0) -> float:
    return float(deg + Fraction(minutes, 60) + Fraction(seconds, 3600))


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def volumes(raw: str) -> list[dict]:
    return [v for body in action(parse_notam(raw)).drafts for v in body["volumes"]]


# --- public NOTAMs, their fields written out by hand -----------------------------------------


def test_a_circle_and_a_polygon_each_with_its_own_limits_every_day() -> None:
    raw = numbered("russian", "Ж2553/22")
    notam = parse_notam(raw)
    assert (str(notam.id), notam.type, notam.ref) == ("Ж2553/22", "NOTAMN", None)
    assert notam.locations == ("URRV",)  # УРРЖ in the telegraph alphabet
    assert notam.q is not None
    assert notam.q.code == "QRTCA"
    assert (notam.q.lat, notam.q.lon, notam.q.radius_nm) == (dms(42, 30), dms(47, 54), 13)
    assert (notam.start, notam.end) == (utc("2022-03-15 03:00"), utc("2022-03-20 18:00"))
    days = windows(notam)
    assert len(days) == 6  # ЕЖЕДНЕВНО 0300-1800, 15 to 20 March
    assert days[0] == (utc("2022-03-15 03:00"), utc("2022-03-15 18:00"))
    assert days[-1] == (utc("2022-03-20 03:00"), utc("2022-03-20 18:00"))

    done = action(notam)
    assert (done.action, done.notam_id) == (Action.CREATE, "URRV Ж2553/22")
    (body,) = done.drafts
    assert body["kind"] == "danger-area"  # QRTCA: a temporary restricted area
    assert body["title"].startswith("Ж2553/22 ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА:")
    circle, polygon = body["volumes"][0], body["volumes"][6]
    assert circle["circle"] == {"lat": dms(42, 26), "lon": dms(47, 48), "radius_m": 500.0}
    assert (circle["altitude_lower_m"], circle["altitude_upper_m"]) == (0.0, 700.0)
    assert polygon["geometry"]["coordinates"] == [
        [
            [dms(47, 44), dms(42, 36)],
            [dms(47, 41), dms(42, 26)],
            [dms(47, 46), dms(42, 18)],
            [dms(48, 4), dms(42, 23)],
            [dms(47, 51), dms(42, 34)],
            [dms(47, 44), dms(42, 36)],
        ]
    ]
    assert (polygon["altitude_lower_m"], polygon["altitude_upper_m"]) == (300.0, 700.0)
    assert len(body["volumes"]) == 12
    parse_notification_draft(body, limits=Limits())


def test_a_circle_daily_with_a_ceiling_above_ground() -> None:
    notam = parse_notam(numbered("russian", "Ж2530/22"))
    assert windows(notam) == [
        (utc("2022-03-16 06:00"), utc("2022-03-16 15:00")),
        (utc("2022-03-17 06:00"), utc("2022-03-17 15:00")),
    ]
    assert altitudes(notam) == (0.0, 250.0)  # ПОВЕРХНОСТЬ, 250 М УР.ЗЕМЛИ
    (first, _) = volumes(notam.raw)
    assert first["circle"] == {"lat": dms(42, 58, 10), "lon": dms(44, 38, 9), "radius_m": 1000.0}


def test_a_named_zone_is_the_q_line_circle_between_flight_levels_on_listed_days() -> None:
    notam = parse_notam(numbered("russian", "К9304/22"))
    assert notam.locations == ("UUWV", "UWWW")  # УУВЖ УВВВ
    assert notam.office == "UUWV"
    assert altitudes(notam) == (130 * FL_M, 980 * FL_M)  # ЭШ130, ЭШ980
    days = windows(notam)
    # 14 15 17-22 24-29 31 0700-1700 (15 days), 16 23 30 0700-2100 (3 days)
    assert len(days) == 18
    assert days[0] == (utc("2022-03-14 07:00"), utc("2022-03-14 17:00"))
    assert (utc("2022-03-16 07:00"), utc("2022-03-16 21:00")) in days
    assert days[-1] == (utc("2022-03-31 07:00"), utc("2022-03-31 17:00"))
    first = volumes(notam.raw)[0]
    assert first["circle"] == {"lat": dms(54, 23), "lon": dms(42, 34), "radius_m": 55 * NM_M}


def test_a_corridor_that_comes_back_over_itself_is_read_as_corridors_end_to_end() -> None:
    notam = parse_notam(numbered("russian", "Я1767/22"))
    done = action(notam)
    axis = [
        [dms(40, 31, 55), dms(64, 29, 37)],
        [dms(40, 11, 52), dms(64, 31, 24)],
        [dms(41, 0), dms(64, 13)],
        [dms(40, 43, 59), dms(64, 9)],
        [dms(41, 24), dms(64, 21)],
        [dms(40, 48), dms(64, 32)],
        [dms(41, 24), dms(64, 21)],
        [dms(41, 0), dms(64, 13)],
        [dms(40, 11, 52), dms(64, 31, 24)],
        [dms(40, 31, 55), dms(64, 29, 37)],
    ]
    pieces = [v for v in done.drafts[0]["volumes"] if "corridor" in v]
    first_day = [v for v in pieces if v["time_start"] == "2022-03-16T07:00:00.000Z"]
    joined = first_day[0]["corridor"]["path"]
    for piece in first_day[1:]:
        assert piece["corridor"]["path"][0] == joined[-1]  # one after the other
        joined += piece["corridor"]["path"][1:]
    assert joined == axis
    assert {v["corridor"]["half_width_m"] for v in pieces} == {2000.0}  # ПО 2КМ В ОБЕ СТОРОНЫ
    assert {(v["altitude_lower_m"], v["altitude_upper_m"]) for v in pieces} == {(450.0, 550.0)}
    assert any("comes back over itself" in w for w in done.warnings)
    circles = [v for v in done.drafts[0]["volumes"] if "circle" in v]
    assert circles[0]["circle"] == {
        "lat": dms(64, 29, 37),
        "lon": dms(40, 31, 55),
        "radius_m": 500.0,
    }
    assert (circles[0]["altitude_lower_m"], circles[0]["altitude_upper_m"]) == (0.0, 550.0)
    assert len(circles) == 7  # 16-22 0700-1500


# --- every spelling, hand-written --------------------------------------------------------------


def russian(
    e: str,
    *,
    header: str = "(К1234/24 НОТАМН",
    d: str | None = None,
    f: str = "ПОВЕРХНОСТЬ",
    g: str = "ЭШ100",
    b: str = "2404010600",
    c: str = "2404052100",
) -> str:
    lines = [header, "Щ)УУВЖ/ЩРТЦА/ИЖ/БО/В/000/100/5515С03730В005", f"А)УУВЖ Б){b} Ц){c}"]
    if d:
        lines.append(f"Д){d}")
    lines += [f"Е){e}", f"Ф){f} Г){g})"]
    return "\n".join(lines)


CIRCLE = (
    "ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА ОКРУЖНОСТЬ РАДИУС 2КМ ЦЕНТР 551000С0372000В."
)


@pytest.mark.parametrize(
    ("header", "kind", "number", "replaces"),
    [
        ("(К1234/24 НОТАМН", Action.CREATE, "UUWV К1234/24", None),
        ("(К1235/24 НОТАМЗ К1234/24", Action.REPLACE, "UUWV К1235/24", "UUWV К1234/24"),
        ("(К1236/24 НОТАМР К1234/24", Action.REPLACE, "UUWV К1236/24", "UUWV К1234/24"),
        ("(К1237/24 НОТАМО К1235/24", Action.CANCEL, "UUWV К1237/24", "UUWV К1235/24"),
        ("(К1238/24 НОТАМЦ К1235/24", Action.CANCEL, "UUWV К1238/24", "UUWV К1235/24"),
    ],
)
def test_types_are_read_as_n_r_c_keyed_by_the_office(
    header: str, kind: Action, number: str, replaces: str | None
) -> None:
    done = action(parse_notam(russian(CIRCLE, header=header)))
    assert (done.action, done.notam_id, done.replaces) == (kind, number, replaces)


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("ПОВЕРХНОСТЬ", 0.0),
        ("ЗЕМЛЯ", 0.0),
        ("ЭШ100", 100 * FL_M),
        ("900 М СР.УР.МОРЯ", 900.0),
        ("900М СР.УР.МОРЯ", 900.0),
        ("150 М УР.ЗЕМЛИ", 150.0),
        ("НЕОГР", 999 * FL_M),
    ],
)
def test_russian_limits_are_read_in_metres(text: str, metres: float) -> None:
    assert altitudes(parse_notam(russian(CIRCLE, f="ПОВЕРХНОСТЬ", g=text))) == (0.0, metres)


@pytest.mark.parametrize(
    ("schedule", "first", "count"),
    [
        ("ЕЖЕДНЕВНО 0600-1500", ("2024-04-01 06:00", "2024-04-01 15:00"), 5),
        ("03 04 0500-2100, 05 0500-1200", ("2024-04-03 05:00", "2024-04-03 21:00"), 3),
        ("01-03 0600-1500", ("2024-04-01 06:00", "2024-04-01 15:00"), 3),
        ("ПН ЧТ 0600-1500", ("2024-04-01 06:00", "2024-04-01 15:00"), 2),
        ("КРУГЛОСУТОЧНО", ("2024-04-01 06:00", "2024-04-05 21:00"), 1),
        ("01-03 0600-\n1500, 04 0700-1200", ("2024-04-01 06:00", "2024-04-01 15:00"), 4),
    ],
)
def test_russian_schedules_expand_to_windows(
    schedule: str, first: tuple[str, str], count: int
) -> None:
    found = windows(parse_notam(russian(CIRCLE, d=schedule)))
    assert (found[0], len(found)) == ((utc(first[0]), utc(first[1])), count)


def test_an_area_a_circle_and_a_corridor_numbered_in_one_notam() -> None:
    text = (
        "ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА:\n"
        "1. РАЙОН: 551512С0373015В-551512С0374015В-550512С0374015В-551512С0373015В\n"
        "   ПОВЕРХНОСТЬ-900М СР.УР.МОРЯ.\n"
        "2. ОКРУЖНОСТЬ РАДИУС 2КМ ЦЕНТР 551000С0372000В ПОВЕРХНОСТЬ-ЭШ100.\n"
        "3. ПОЛОСА ШИРИНОЙ ПО 2КМ В ОБЕ СТОРОНЫ ОТ ОСИ МАРШРУТА 551000С0372000В-"
        "552000С0373000В. 150М УР.ЗЕМЛИ-ЭШ100."
    )
    area, circle, corridor = volumes(russian(text))
    assert area["geometry"]["coordinates"][0][:2] == [
        [dms(37, 30, 15), dms(55, 15, 12)],
        [dms(37, 40, 15), dms(55, 15, 12)],
    ]
    assert (area["altitude_lower_m"], area["altitude_upper_m"]) == (0.0, 900.0)
    assert circle["circle"] == {"lat": dms(55, 10), "lon": dms(37, 20), "radius_m": 2000.0}
    assert circle["altitude_upper_m"] == 100 * FL_M
    assert corridor["corridor"] == {
        "path": [[dms(37, 20), dms(55, 10)], [dms(37, 30), dms(55, 20)]],
        "half_width_m": 2000.0,
    }
    assert (corridor["altitude_lower_m"], corridor["altitude_upper_m"]) == (150.0, 100 * FL_M)


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (russian(CIRCLE, b="24040106"), "Б)", "Б) '24040106' is not a time"),
        (russian(CIRCLE, c="2403010600"), "Ц)", "is not after Б)"),
        (russian(CIRCLE, g="ВЫСОКО"), "Г)", "Г) 'ВЫСОКО' is not a limit"),
        (russian(CIRCLE, d="ВОСХ-ЗАХ"), "Д)", "SR (sunrise/sunset) is not supported"),
        (russian(CIRCLE, f="ЭШ200", g="ЭШ100"), "Г)", "below Ф)"),
        (russian("РАЙОН: 556000С0373015В-551512С0374015В-550512С0374015В"), "Е)", "below 60"),
        (russian(CIRCLE).replace("Б)2404010600 ", ""), "Б)", "Б) is missing"),
        (russian(CIRCLE).replace("/5515С03730В005", "/5515С037В005"), "Щ)", "not a position"),
    ],
)
def test_each_error_names_the_item_as_the_notam_writes_it(raw: str, field: str, words: str) -> None:
    with pytest.raises(NotamError, match=words.replace("(", r"\(").replace(")", r"\)")) as error:
        action(parse_notam(raw))
    assert error.value.field == field


def test_the_title_keeps_the_russian_text_and_an_english_node_names_the_kind_of_area() -> None:
    (record,) = notam_plan(russian(CIRCLE), limits=Limits()).records
    (body,) = record.drafts
    assert body["title"] == f"К1234/24 {CIRCLE}"
    english = Path(__file__).parents[2] / "src/openline/web/static/i18n/en.json"
    assert json.loads(english.read_text())[f"kind.{body['kind']}"] == "Danger area"
    firing = russian("СТРЕЛЬБЫ ОКРУЖНОСТЬ РАДИУС 2КМ ЦЕНТР 551000С0372000В.")
    assert action(parse_notam(firing)).drafts[0]["kind"] == "firing"


def test_a_notam_in_parts_numbered_after_its_number_is_read_as_one() -> None:
    def part(letter: str, e: str, tail: str = "") -> str:
        return (
            f"(К0336/22{letter}02 НОТАМН\nЩ)УУВЖ/ЩРТЦА/ИЖ/БО/В/000/100/5515С03730В005\n"
            f"А)УУВЖ Б)2404010600 Ц)2404052100\nЕ){e}{tail})"
        )

    first = part(
        "А", "ЗАПРЕЩЕНО ИСПОЛЬЗОВАНИЕ ВОЗДУШНОГО ПРОСТРАНСТВА:\n1. РАЙОН: 551512С0373015В-"
    )
    second = part(
        "Б", "551512С0374015В-550512С0374015В-551512С0373015В.", "\nФ)ПОВЕРХНОСТЬ Г)ЭШ100"
    )
    (whole,) = split_notams(f"{first}\n{second}")
    notam = parse_notam(whole)
    assert str(notam.id) == "К0336/22"
    (area,) = volumes(whole)
    assert len(area["geometry"]["coordinates"][0]) == 4  # the chain across the two parts
    assert area["altitude_upper_m"] == 100 * FL_M  # part 2's Г)
    with pytest.raises(NotamError, match="PART 2 OF 2 is missing"):
        parse_notam(split_notams(first)[0])
