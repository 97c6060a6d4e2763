"""The phrasebook: every template takes its typed fields, and every bad field is named."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.phrasebook import FREE_TEXT, TEMPLATES, check_fields, get_template

MAX_TEXT_BYTES = 65536

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[36.0, 35.0], [36.5, 35.0], [36.5, 35.5], [36.0, 35.5], [36.0, 35.0]]],
}
SQUARE_CHECKED = copy.deepcopy(SQUARE)
# Times are given with offsets and read back as UTC text with milliseconds.
WINDOW = {"start": "2024-12-03T15:00:00+03:00", "end": "2024-12-03T13:30:00.250+00:00"}
WINDOW_CHECKED = {"start": "2024-12-03T12:00:00.000Z", "end": "2024-12-03T13:30:00.250Z"}
BAND = {"lower_m": 0, "upper_m": 3000}
BAND_CHECKED = {"lower_m": 0.0, "upper_m": 3000.0}
POINT = {"lat": 35, "lon": -36.25}
POINT_CHECKED = {"lat": 35.0, "lon": -36.25}

# Each template with every one of its fields filled, and what check_fields makes of it.
VALID: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "planned-operation": (
        {
            "area": SQUARE,
            "time_window": WINDOW,
            "altitude_band": BAND,
            "activity": "Close air support",
            "unit": "VIPER 1-1",
            "remarks": "Two ship",
        },
        {
            "area": SQUARE_CHECKED,
            "time_window": WINDOW_CHECKED,
            "altitude_band": BAND_CHECKED,
            "activity": "Close air support",
            "unit": "VIPER 1-1",
            "remarks": "Two ship",
        },
    ),
    "deconfliction-request": (
        {
            "area": {"circle": {"lat": 35, "lon": 36, "radius_m": 5000}},
            "time_window": WINDOW,
            "altitude_band": BAND,
            "request": "Keep clear of the area",
            "remarks": "Просим подтвердить",
        },
        {
            "area": {"circle": {"lat": 35.0, "lon": 36.0, "radius_m": 5000.0}},
            "time_window": WINDOW_CHECKED,
            "altitude_band": BAND_CHECKED,
            "request": "Keep clear of the area",
            "remarks": "Просим подтвердить",
        },
    ),
    "confirm": ({"remarks": "Wilco"}, {"remarks": "Wilco"}),
    "unable": (
        {"reason": "Ongoing operation", "remarks": "Propose 1400Z"},
        {"reason": "Ongoing operation", "remarks": "Propose 1400Z"},
    ),
    "imminent-activity-warning": (
        {
            "area": {"corridor": {"path": [[36, 35], [36.5, 35.2]], "half_width_m": 500}},
            "time_window": WINDOW,
            "altitude_band": BAND,
            "activity": "Artillery fire",
            "remarks": "Danger close",
        },
        {
            "area": {"corridor": {"path": [[36.0, 35.0], [36.5, 35.2]], "half_width_m": 500.0}},
            "time_window": WINDOW_CHECKED,
            "altitude_band": BAND_CHECKED,
            "activity": "Artillery fire",
            "remarks": "Danger close",
        },
    ),
    "request-cease-activity": (
        {"location": POINT, "activity": "UAV loitering", "unit": "RAVEN_2", "remarks": "Now"},
        {
            "location": POINT_CHECKED,
            "activity": "UAV loitering",
            "unit": "RAVEN_2",
            "remarks": "Now",
        },
    ),
    "unsafe-encounter-report": (
        {
            "location": POINT,
            "time": "2024-12-03T07:15:30.5-05:00",
            "own_unit": "EAGLE/2",
            "other_unit": "Su-35 pair",
            "closest_distance_m": 150,
            "description": "Crossed ahead at the same level",
        },
        {
            "location": POINT_CHECKED,
            "time": "2024-12-03T12:15:30.500Z",
            "own_unit": "EAGLE/2",
            "other_unit": "Su-35 pair",
            "closest_distance_m": 150,
            "description": "Crossed ahead at the same level",
        },
    ),
    "protected-site-notice": (
        {
            "location": POINT,
            "site": "Hospital",
            "radius_m": 500,
            "time_window": WINDOW,
            "remarks": "ICRC",
        },
        {
            "location": POINT_CHECKED,
            "site": "Hospital",
            "radius_m": 500,
            "time_window": WINDOW_CHECKED,
            "remarks": "ICRC",
        },
    ),
    "movement-notice": (
        {
            "origin": POINT,
            "destination": {"lat": -90, "lon": 180},
            "time_window": {"start": "2024-12-03T12:00:00Z", "end": "2024-12-04T00:00:00Z"},
            "unit": "Convoy 7",
            "vehicles": 0,
            "notification": "ntf_01JEXAMPLE",
            "remarks": "Humanitarian",
        },
        {
            "origin": POINT_CHECKED,
            "destination": {"lat": -90.0, "lon": 180.0},
            "time_window": {"start": "2024-12-03T12:00:00.000Z", "end": "2024-12-04T00:00:00.000Z"},
            "unit": "Convoy 7",
            "vehicles": 0,
            "notification": "ntf_01JEXAMPLE",
            "remarks": "Humanitarian",
        },
    ),
    "line-check": ({"remarks": "Hourly"}, {"remarks": "Hourly"}),
    "free-text": (
        {"text": "Перейдите на запасной канал", "lang": "ru"},
        {"text": "Перейдите на запасной канал", "lang": "ru"},
    ),
}


def check(template: str, fields: object, max_text_bytes: int = MAX_TEXT_BYTES) -> dict[str, Any]:
    return check_fields(get_template(template), fields, max_text_bytes=max_text_bytes)


def test_every_template_has_a_valid_example_here() -> None:
    assert set(VALID) == set(TEMPLATES)


@pytest.mark.parametrize("template", sorted(VALID))
def test_every_template_accepts_a_complete_example_and_normalises_it(template: str) -> None:
    given, expected = VALID[template]
    assert check(template, copy.deepcopy(given)) == expected


@pytest.mark.parametrize("template", sorted(VALID))
def test_every_template_accepts_its_required_fields_alone(template: str) -> None:
    required = {spec.name for spec in get_template(template).fields if spec.required}
    given, expected = VALID[template]
    minimal = {name: value for name, value in given.items() if name in required}
    assert check(template, minimal) == {k: v for k, v in expected.items() if k in required}


def test_checking_does_not_change_what_it_was_given() -> None:
    given = copy.deepcopy(VALID["planned-operation"][0])
    check("planned-operation", given)
    assert given == VALID["planned-operation"][0]


@pytest.mark.parametrize("name", ["planned-op", "", "Free-Text", None, 7, ["confirm"]])
def test_an_unknown_template_is_refused_naming_the_template_field(name: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_template(name)
    assert caught.value.field == "template"
    assert repr(name) in caught.value.message
    assert "planned-operation" in caught.value.message  # it lists the ones that exist


def with_fields(template: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    """The template's valid example with some fields replaced (or removed, when ``...``)."""
    fields = copy.deepcopy(VALID[template][0])
    for name, value in changes.items():
        if value is ...:
            del fields[name]
        else:
            fields[name] = value
    return template, fields


def square_with(ring: list[Any]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


OPEN_RING = [[36.0, 35.0], [36.5, 35.0], [36.5, 35.5], [36.0, 35.5]]
CLOSED_TRIANGLE_WITH_3_POSITIONS = [[36.0, 35.0], [36.5, 35.0], [36.0, 35.0]]
TOO_LONG = "Ж" * (MAX_TEXT_BYTES // 2) + "a"  # 32,769 characters, 65,537 bytes

BAD_INPUTS = [
    # (what, (template, fields), field named, words the message must contain)
    ("fields not an object", ("confirm", ["remarks"]), "fields", "must be an object"),
    (
        "missing required field",
        with_fields("planned-operation", activity=...),
        "fields.activity",
        "required",
    ),
    (
        "required field null",
        with_fields("planned-operation", activity=None),
        "fields.activity",
        "required",
    ),
    (
        "unknown field",
        with_fields("planned-operation", colour="red"),
        "fields.colour",
        "not a field of planned-operation",
    ),
    (
        "unknown field on a template with none required",
        ("line-check", {"remark": "x"}),
        "fields.remark",
        "remarks",
    ),
    ("text of the wrong type", with_fields("unable", reason=42), "fields.reason", "non-empty text"),
    ("text blank", with_fields("unable", reason="   "), "fields.reason", "non-empty text"),
    (
        "remarks over 2000 characters",
        with_fields("confirm", remarks="x" * 2001),
        "fields.remarks",
        "2001 characters, over the limit of 2000",
    ),
    (
        "count of the wrong type",
        with_fields("movement-notice", vehicles="12"),
        "fields.vehicles",
        "'12' is not a whole number",
    ),
    ("count true", with_fields("movement-notice", vehicles=True), "fields.vehicles", "True"),
    ("count negative", with_fields("movement-notice", vehicles=-1), "fields.vehicles", "-1"),
    ("count fractional", with_fields("movement-notice", vehicles=2.5), "fields.vehicles", "2.5"),
    (
        "point not an object",
        with_fields("movement-notice", origin=[35, 36]),
        "fields.origin",
        "lat, lon",
    ),
    (
        "point missing lon",
        with_fields("movement-notice", origin={"lat": 1}),
        "fields.origin",
        "missing lon",
    ),
    (
        "latitude a string",
        with_fields("request-cease-activity", location={"lat": "35", "lon": 36}),
        "fields.location.lat",
        "'35' is not a number",
    ),
    (
        "latitude a boolean",
        with_fields("request-cease-activity", location={"lat": True, "lon": 36}),
        "fields.location.lat",
        "True is not a number",
    ),
    (
        "latitude 91",
        with_fields("request-cease-activity", location={"lat": 91, "lon": 36}),
        "fields.location.lat",
        "latitude 91 is outside -90 to 90",
    ),
    (
        "latitude -90.000001",
        with_fields("request-cease-activity", location={"lat": -90.000001, "lon": 36}),
        "fields.location.lat",
        "outside -90 to 90",
    ),
    (
        "longitude -181",
        with_fields("request-cease-activity", location={"lat": 35, "lon": -181}),
        "fields.location.lon",
        "longitude -181 is outside -180 to 180",
    ),
    (
        "latitude NaN",
        with_fields("request-cease-activity", location={"lat": math.nan, "lon": 36}),
        "fields.location.lat",
        "nan is not a finite number",
    ),
    (
        "longitude infinite",
        with_fields("request-cease-activity", location={"lat": 35, "lon": -math.inf}),
        "fields.location.lon",
        "not a finite number",
    ),
    (
        "altitude NaN",
        with_fields("planned-operation", altitude_band={"lower_m": math.nan, "upper_m": 10}),
        "fields.altitude_band.lower_m",
        "not a finite number",
    ),
    (
        "lower altitude above upper",
        with_fields("planned-operation", altitude_band={"lower_m": 3000, "upper_m": 2999.5}),
        "fields.altitude_band",
        "lower_m 3000.0 is above upper_m 2999.5",
    ),
    (
        "altitude above 100 km",
        with_fields("planned-operation", altitude_band={"lower_m": 0, "upper_m": 100_001}),
        "fields.altitude_band.upper_m",
        "outside -500 to 100000 m",
    ),
    (
        "altitude below -500 m",
        with_fields("planned-operation", altitude_band={"lower_m": -501, "upper_m": 0}),
        "fields.altitude_band.lower_m",
        "outside -500 to 100000 m",
    ),
    (
        "end equal to start",
        with_fields(
            "planned-operation",
            time_window={"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T15:00:00+03:00"},
        ),
        "fields.time_window",
        "is not after start",
    ),
    (
        "end before start",
        with_fields(
            "planned-operation",
            time_window={"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T11:59:59.999Z"},
        ),
        "fields.time_window",
        "end 2024-12-03T11:59:59.999Z is not after start 2024-12-03T12:00:00.000Z",
    ),
    (
        "naive start time",
        with_fields(
            "planned-operation",
            time_window={"start": "2024-12-03T12:00:00", "end": "2024-12-03T13:00:00Z"},
        ),
        "fields.time_window.start",
        "has no time zone",
    ),
    (
        "naive end time",
        with_fields(
            "planned-operation",
            time_window={"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T13:00:00"},
        ),
        "fields.time_window.end",
        "has no time zone",
    ),
    (
        "naive report time",
        with_fields("unsafe-encounter-report", time="2024-12-03T12:00:00"),
        "fields.time",
        "'2024-12-03T12:00:00' has no time zone",
    ),
    (
        "time not a date",
        with_fields("unsafe-encounter-report", time="yesterday"),
        "fields.time",
        "'yesterday' is not an ISO 8601 date-time",
    ),
    (
        "time a number",
        with_fields("unsafe-encounter-report", time=1733227200),
        "fields.time",
        "1733227200",
    ),
    (
        "time window missing end",
        with_fields("planned-operation", time_window={"start": "2024-12-03T12:00:00Z"}),
        "fields.time_window",
        "missing end",
    ),
    (
        "time window start a number",
        with_fields("planned-operation", time_window={"start": 0, "end": "2024-12-03T12:00:00Z"}),
        "fields.time_window.start",
        "not an ISO 8601 date-time",
    ),
    (
        "unclosed polygon ring",
        with_fields("planned-operation", area=square_with([*OPEN_RING, [36.1, 35.1]])),
        "fields.area.coordinates[0]",
        "not closed",
    ),
    (
        "ring with 3 positions",
        with_fields("planned-operation", area=square_with(CLOSED_TRIANGLE_WITH_3_POSITIONS)),
        "fields.area.coordinates[0]",
        "4 to 10000 positions",
    ),
    (
        "ring position latitude 91",
        with_fields(
            "planned-operation",
            area=square_with([[36.0, 35.0], [36.5, 91.0], [36.5, 35.5], [36.0, 35.0]]),
        ),
        "fields.area.coordinates[0][1][1]",
        "latitude 91 is outside",
    ),
    (
        "ring position not a pair",
        with_fields(
            "planned-operation",
            area=square_with([[36.0, 35.0], [36.5], [36.5, 35.5], [36.0, 35.0]]),
        ),
        "fields.area.coordinates[0][1]",
        "[36.5] is not a [lon, lat] position",
    ),
    (
        "polygon with no rings",
        with_fields("planned-operation", area={"type": "Polygon", "coordinates": []}),
        "fields.area.coordinates",
        "list of linear rings",
    ),
    (
        "area of another GeoJSON type",
        with_fields("planned-operation", area={"type": "Point", "coordinates": [36, 35]}),
        "fields.area",
        "'Point' is not Polygon",
    ),
    (
        "circle radius 0",
        with_fields("planned-operation", area={"circle": {"lat": 35, "lon": 36, "radius_m": 0}}),
        "fields.area.circle.radius_m",
        "0 m is not more than 0 and at most 1000000 m",
    ),
    (
        "circle radius over 1000 km",
        with_fields(
            "planned-operation", area={"circle": {"lat": 35, "lon": 36, "radius_m": 1_000_001}}
        ),
        "fields.area.circle.radius_m",
        "1000001 m is not more than 0 and at most 1000000 m",
    ),
    (
        "extra key in a point",
        with_fields(
            "request-cease-activity",
            location={"lat": 35, "lon": 36, "alt_m": 5},
            activity="artillery",
        ),
        "fields.location",
        "unknown key 'alt_m'",
    ),
    (
        "extra key in a time window",
        with_fields(
            "planned-operation",
            time_window={"start": "2024-12-03T12:00Z", "end": "2024-12-03T13:00Z", "tz": "Z"},
        ),
        "fields.time_window",
        "unknown key 'tz'",
    ),
    (
        "extra key beside a circle",
        with_fields(
            "planned-operation",
            area={"circle": {"lat": 35, "lon": 36, "radius_m": 5}, "type": "Polygon"},
        ),
        "fields.area",
        "unknown key 'type'",
    ),
    (
        "polygon position with a height",
        with_fields(
            "planned-operation",
            area={"type": "Polygon", "coordinates": [[[36, 35, 9], [37, 35], [37, 36], [36, 35]]]},
        ),
        "fields.area.coordinates[0][0]",
        "heights go in altitude_band",
    ),
    (
        "corridor of one position",
        with_fields(
            "planned-operation", area={"corridor": {"path": [[36, 35]], "half_width_m": 5}}
        ),
        "fields.area.corridor.path",
        "a path needs 2 to",
    ),
    (
        "corridor width 0",
        with_fields(
            "planned-operation",
            area={"corridor": {"path": [[36, 35], [36.1, 35]], "half_width_m": 0}},
        ),
        "fields.area.corridor.half_width_m",
        "0 m is not more than 0",
    ),
    (
        "corridor position with a height",
        with_fields(
            "planned-operation",
            area={"corridor": {"path": [[36, 35], [36.1, 35, 9]], "half_width_m": 5}},
        ),
        "fields.area.corridor.path[1]",
        "heights go in altitude_band",
    ),
    (
        "movement notification id with a space",
        with_fields("movement-notice", notification="ntf 1"),
        "fields.notification",
        "holds a space",
    ),
    (
        "circle centre latitude 91",
        with_fields("planned-operation", area={"circle": {"lat": 91, "lon": 36, "radius_m": 5}}),
        "fields.area.circle.lat",
        "latitude 91 is outside",
    ),
    (
        "callsign with bad characters",
        with_fields("planned-operation", unit="VIPER;DROP TABLE"),
        "fields.unit",
        "'VIPER;DROP TABLE' is not a unit or callsign",
    ),
    ("callsign empty", with_fields("planned-operation", unit=""), "fields.unit", "not a unit"),
    (
        "callsign over 32 characters",
        with_fields("planned-operation", unit="A" * 33),
        "fields.unit",
        "1 to 32",
    ),
    (
        "callsign starting with a space",
        with_fields("planned-operation", unit=" VIPER"),
        "fields.unit",
        "not a unit",
    ),
    ("free text empty", with_fields(FREE_TEXT, text=""), "fields.text", "non-empty text"),
    ("free text blank", with_fields(FREE_TEXT, text=" \n\t"), "fields.text", "non-empty text"),
    ("free text not text", with_fields(FREE_TEXT, text=["hi"]), "fields.text", "non-empty text"),
    (
        "free text one byte over the limit",
        with_fields(FREE_TEXT, text=TOO_LONG),
        "fields.text",
        "65537 bytes, over the limit of 65536 bytes",
    ),
    ("free text without a language", with_fields(FREE_TEXT, lang=...), "fields.lang", "required"),
    (
        "free text language not a code",
        with_fields(FREE_TEXT, lang="Russian"),
        "fields.lang",
        "'Russian' is not an ISO 639 language code",
    ),
]


@pytest.mark.parametrize(
    ("case", "field", "says"),
    [(case, field, says) for _what, case, field, says in BAD_INPUTS],
    ids=[what for what, *_ in BAD_INPUTS],
)
def test_bad_input_is_refused_naming_the_field(
    case: tuple[str, Any], field: str, says: str
) -> None:
    template, fields = case
    with pytest.raises(InvalidInput) as caught:
        check(template, fields)
    assert caught.value.field == field
    assert caught.value.message.startswith(field)
    assert says in caught.value.message


def test_every_missing_field_is_named_at_once_the_first_as_the_errors_field() -> None:
    template, fields = with_fields("planned-operation", area=..., activity=None)

    with pytest.raises(InvalidInput) as caught:
        check(template, fields)

    assert caught.value.field == "fields.area"
    assert caught.value.message == "fields.area, fields.activity: required by planned-operation"


def test_free_text_exactly_at_the_limit_in_bytes_of_utf8_is_accepted() -> None:
    text = "Ж" * (MAX_TEXT_BYTES // 2)  # 32,768 characters, 2 bytes each
    assert len(text.encode("utf-8")) == MAX_TEXT_BYTES
    assert check(FREE_TEXT, {"text": text, "lang": "ru"})["text"] == text


def test_free_text_is_measured_in_bytes_not_characters() -> None:
    text = "Ж" * (MAX_TEXT_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    assert len(text) < MAX_TEXT_BYTES < len(text.encode("utf-8"))
    with pytest.raises(InvalidInput, match="65538 bytes"):
        check(FREE_TEXT, {"text": text, "lang": "ru"})


def test_the_free_text_limit_is_the_one_configured() -> None:
    check(FREE_TEXT, {"text": "abcd", "lang": "en"}, max_text_bytes=4)
    with pytest.raises(InvalidInput, match="5 bytes, over the limit of 4 bytes"):
        check(FREE_TEXT, {"text": "abcde", "lang": "en"}, max_text_bytes=4)


def test_free_text_crosses_unchanged() -> None:
    text = "  Line one\n\tлиния два  مرحبا  "
    assert check(FREE_TEXT, {"text": text, "lang": "ar"}) == {"text": text, "lang": "ar"}
