"""Rendering: every template in every language, with every location, time and count intact."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openline.domain.dtg import format_dtg
from openline.domain.messages import Draft, Message, compose
from openline.domain.phrasebook import TEMPLATES
from openline.domain.precedence import DEFAULT_ACK_DEADLINES, Precedence
from openline.domain.timeutil import format_utc, parse_utc
from openline.geo.coords import format_dd, format_mgrs
from openline.i18n import LANGUAGES, catalogue, render_message
from openline.i18n.render import LRI, MAX_LISTED_VERTICES, PDI

NOW = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(seconds=DEFAULT_ACK_DEADLINES[Precedence.FLASH])
ANSWERED = "msg_01JEXAMPLE0000000000000000"
WINDOW = {"start": "2024-12-03T14:00:00Z", "end": "2024-12-03T18:30:00+03:00"}
BAND = {"lower_m": 150, "upper_m": 3048.5}
TRIANGLE = {
    "type": "Polygon",
    "coordinates": [
        [[37.15, 36.2], [37.3, 36.2], [37.3, 36.35], [37.15, 36.2]],
        [[37.2, 36.22], [37.25, 36.22], [37.25, 36.27], [37.2, 36.22]],
    ],
}
CIRCLE = {"circle": {"lat": 35.95, "lon": 39.01, "radius_m": 5000}}
# Every template with every field filled, as an operator would send it.
FULL: Mapping[str, dict[str, Any]] = {
    "planned-operation": {
        "area": TRIANGLE,
        "time_window": WINDOW,
        "altitude_band": BAND,
        "activity": "air strike",
        "unit": "EAGLE 1-1",
        "remarks": "Coordinate on channel 2.",
    },
    "deconfliction-request": {
        "area": CIRCLE,
        "time_window": WINDOW,
        "altitude_band": BAND,
        "request": "Keep clear of the area.",
        "remarks": "Reply by 1300Z.",
    },
    "confirm": {"remarks": "Confirmed."},
    "unable": {"reason": "Units already committed.", "remarks": "Propose 1800Z."},
    "imminent-activity-warning": {
        "area": TRIANGLE,
        "time_window": WINDOW,
        "altitude_band": BAND,
        "activity": "artillery fire",
        "remarks": "Danger close.",
    },
    "request-cease-activity": {
        "location": {"lat": -33.8688, "lon": 151.2093},
        "activity": "UAV flight",
        "unit": "HAWK/3",
        "remarks": "Civilians present.",
    },
    "unsafe-encounter-report": {
        "location": {"lat": 35.5, "lon": 35.78},
        "time": "2024-12-03T11:42:17.250Z",
        "own_unit": "VIPER 2",
        "other_unit": "RED_41",
        "closest_distance_m": 150,
        "description": "Crossed 150 m ahead, same altitude.",
    },
    "protected-site-notice": {
        "location": {"lat": 36.2021, "lon": 37.1343},
        "site": "Hospital",
        "radius_m": 500,
        "time_window": WINDOW,
        "remarks": "Permanent.",
    },
    "movement-notice": {
        "origin": {"lat": 36.2, "lon": 37.15},
        "destination": {"lat": 36.5, "lon": 37.95},
        "time_window": WINDOW,
        "unit": "CONVOY 7",
        "vehicles": 22,
        "notification": "ntf_01JEXAMPLE0000000000000000",
        "remarks": "Humanitarian convoy.",
    },
    "line-check": {"remarks": "Hourly check."},
    "free-text": {"text": "Проверка связи в 0600Z.\nКак слышите?", "lang": "ru"},  # noqa: RUF001
}
CASES = [(name, lang) for name in TEMPLATES for lang in LANGUAGES]


def message(template: str, fields: Mapping[str, Any], in_reply_to: str | None = None) -> Message:
    return compose(
        Draft(["RED", "GREEN"], "flash", template, fields, in_reply_to),
        message_id="msg_01JRENDERTEST00000000000000",
        sender="BLUE",
        created_by="duty-officer",
        now=NOW,
        deadlines=DEFAULT_ACK_DEADLINES,
        max_text_bytes=65536,
    )


def full(template: str) -> Message:
    return message(template, FULL[template], ANSWERED)


def points(fields: Mapping[str, Any]) -> Iterator[tuple[float, float]]:
    """Every (lat, lon) in the fields: points, circle centres, polygon vertices."""
    for value in fields.values():
        if isinstance(value, Mapping) and set(value) == {"lat", "lon"}:
            yield value["lat"], value["lon"]
        elif isinstance(value, Mapping) and "circle" in value:
            yield value["circle"]["lat"], value["circle"]["lon"]
        elif isinstance(value, Mapping) and value.get("type") == "Polygon":
            for ring in value["coordinates"]:
                yield from ((lat, lon) for lon, lat in ring[:-1])


def instants(fields: Mapping[str, Any]) -> Iterator[datetime]:
    for value in fields.values():
        if isinstance(value, str) and value[:4].isdigit() and "T" in value:
            yield parse_utc(value)
        elif isinstance(value, Mapping) and set(value) == {"start", "end"}:
            yield parse_utc(value["start"])
            yield parse_utc(value["end"])


def run(text: str, lang: str) -> str:
    """How a machine-readable run appears in ``lang``: isolated left to right in Arabic."""
    return f"{LRI}{text}{PDI}" if lang == "ar" else text


def test_every_template_has_a_full_message_here() -> None:
    assert set(FULL) == set(TEMPLATES)
    for name, template in TEMPLATES.items():
        assert set(FULL[name]) == {spec.name for spec in template.fields}


@pytest.mark.parametrize(("template", "lang"), CASES)
def test_a_message_renders_with_its_language_s_title_labels_and_precedence(
    template: str, lang: str
) -> None:
    words = catalogue(lang)
    rendered = render_message(full(template), lang)
    assert rendered["lang"] == lang
    assert rendered["title"] == words.text(f"templates.{template}.title")
    assert rendered["precedence"] == words.text("precedence.flash")
    assert [line["field"] for line in rendered["lines"]] == [
        "in_reply_to",
        *(spec.name for spec in TEMPLATES[template].fields),
    ]
    for line in rendered["lines"]:
        reply = line["field"] == "in_reply_to"
        assert line["label"] == words.text(
            "words.in_reply_to" if reply else f"fields.{line['field']}.label"
        )
        if reply or template != "free-text":  # free text follows its marker, unlabelled
            assert (
                words.text("words.label_value", label=line["label"], value="") in rendered["text"]
            )
    assert rendered["text"].startswith(f"{rendered['precedence']} — {rendered['title']}\n")


@pytest.mark.parametrize(("template", "lang"), CASES)
def test_every_location_shows_decimal_degrees_and_mgrs_unchanged(template: str, lang: str) -> None:
    rendered = render_message(full(template), lang)
    for lat, lon in points(FULL[template]):
        shown = f"{run(format_dd(lat, lon), lang)} ({run(format_mgrs(lat, lon), lang)})"
        assert shown in rendered["text"]


@pytest.mark.parametrize(("template", "lang"), CASES)
def test_every_time_shows_iso_8601_utc_and_its_dtg(template: str, lang: str) -> None:
    rendered = render_message(full(template), lang)
    for at in [*instants(FULL[template]), NOW, DEADLINE]:
        shown = f"{run(format_utc(at), lang)} ({run(format_dtg(at), lang)})"
        assert shown in rendered["text"]


@pytest.mark.parametrize(("template", "lang"), CASES)
def test_the_message_answered_the_sender_and_recipients_are_named(template: str, lang: str) -> None:
    text = render_message(full(template), lang)["text"]
    for code in (ANSWERED, "BLUE", "msg_01JRENDERTEST00000000000000"):
        assert run(code, lang) in text
    separator = catalogue(lang).text("words.list_separator")
    assert f"{run('GREEN', lang)}{separator}{run('RED', lang)}" in text


@pytest.mark.parametrize(("template", "lang"), CASES)
def test_only_arabic_carries_directional_isolates(template: str, lang: str) -> None:
    rendered = render_message(full(template), lang)
    marks = LRI in rendered["text"] or PDI in rendered["text"]
    assert marks == (lang == "ar")
    assert rendered["text"].count(LRI) == rendered["text"].count(PDI)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_free_text_crosses_unchanged_and_is_marked_untranslated(lang: str) -> None:
    text = FULL["free-text"]["text"]
    rendered = render_message(full("free-text"), lang)
    assert rendered["untranslated"] is True
    assert rendered["original_lang"] == "ru"
    assert rendered["text"].endswith("\n" + text)
    assert {"field": "text", "label": catalogue(lang).text("fields.text.label"), "value": text} in (
        rendered["lines"]
    )
    russian = catalogue(lang).text("languages.ru")
    marker = catalogue(lang).text("words.untranslated", language=f"{russian} (ru)")
    assert f"[{marker}]\n{text}" in rendered["text"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_free_text_in_a_language_without_a_name_here_is_marked_with_its_code(lang: str) -> None:
    rendered = render_message(message("free-text", {"text": "Hallo zusammen", "lang": "nl"}), lang)
    assert rendered["original_lang"] == "nl"
    assert catalogue(lang).text("words.untranslated", language="nl") in rendered["text"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_template_is_not_marked_untranslated(lang: str) -> None:
    rendered = render_message(full("line-check"), lang)
    assert (rendered["untranslated"], rendered["original_lang"]) == (False, None)


@pytest.mark.parametrize(
    ("lang", "band"),
    [
        ("en", "150 m (492 ft) to 3048.5 m (10002 ft)"),
        ("ru", "от 150 м (492 фт) до 3048.5 м (10002 фт)"),
        ("fr", "de 150 m (492 ft) à 3048.5 m (10002 ft)"),
        ("ar", "من 150 م (492 قدم) إلى 3048.5 م (10002 قدم)"),
    ],
)
def test_an_altitude_band_is_in_metres_with_feet_in_brackets(lang: str, band: str) -> None:
    assert _value(render_message(full("planned-operation"), lang), "altitude_band") == band


@pytest.mark.parametrize(
    ("lang", "vehicles"),
    [("en", "22 vehicles"), ("ru", "22 машины"), ("fr", "22 véhicules"), ("ar", "22 مركبة")],
)
def test_a_count_agrees_with_its_number(lang: str, vehicles: str) -> None:
    assert _value(render_message(full("movement-notice"), lang), "vehicles") == vehicles


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_circle_shows_its_centre_and_radius(lang: str) -> None:
    value = _value(render_message(full("deconfliction-request"), lang), "area")
    centre = f"{run(format_dd(35.95, 39.01), lang)} ({run(format_mgrs(35.95, 39.01), lang)})"
    radius = catalogue(lang).text("units.m", n=5000)
    assert value == catalogue(lang).text("words.circle", centre=centre, radius=radius)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_polygon_shows_its_vertex_count_and_each_vertex(lang: str) -> None:
    value = _value(render_message(full("planned-operation"), lang), "area").split("\n")
    words = catalogue(lang)
    assert value[0] == words.text("words.polygon", vertices=words.plural("plurals.vertices", 3))
    assert value[4] == words.text(
        "words.excluded_area", number=1, vertices=words.plural("plurals.vertices", 3)
    )
    assert len(value) == 8


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_corridor_shows_its_width_and_each_point_of_its_path(lang: str) -> None:
    area = {
        "corridor": {"path": [[37.15, 36.2], [37.3, 36.25], [37.4, 36.2]], "half_width_m": 2000}
    }
    fields = {**FULL["imminent-activity-warning"], "area": area}
    value = _value(render_message(message("imminent-activity-warning", fields), lang), "area")
    words = catalogue(lang)
    lines = value.split("\n")
    width = words.text("units.m", n=2000)
    vertices = words.plural("plurals.vertices", 3)
    assert lines[0] == words.text("words.corridor", width=width, vertices=vertices)
    last = f"{run(format_dd(36.2, 37.4), lang)} ({run(format_mgrs(36.2, 37.4), lang)})"
    assert lines[3] == f"  3. {last}"
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("lang", "more"),
    [
        ("en", "… and 10 more vertices"),
        ("ru", "… и ещё 10 вершин"),
        ("fr", "… et 10 autres sommets"),
        ("ar", "… و10 رؤوس أخرى"),
    ],
)
def test_a_large_polygon_lists_its_first_vertices_and_counts_the_rest(lang: str, more: str) -> None:
    ring = [[37.0 + i / 100, 36.0 + (i % 2) / 100] for i in range(MAX_LISTED_VERTICES + 10)]
    area = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    fields = {**FULL["imminent-activity-warning"], "area": area}
    value = _value(render_message(message("imminent-activity-warning", fields), lang), "area")
    lines = value.split("\n")
    assert len(lines) == 1 + MAX_LISTED_VERTICES + 1
    assert lines[-1] == f"  {more}"
    assert lines[MAX_LISTED_VERTICES].startswith(f"  {MAX_LISTED_VERTICES}. ")


def test_the_rendering_reads_as_an_operator_would_read_it() -> None:
    text = render_message(full("movement-notice"), "en")["text"]
    assert text.split("\n") == [
        "FLASH — Movement notice",
        "Message: msg_01JRENDERTEST00000000000000",
        "From: BLUE",
        "To: GREEN, RED",
        "Sent: 2024-12-03T12:00:00.000Z (031200ZDEC24)",
        "Acknowledge by: 2024-12-03T12:10:00.000Z (031210ZDEC24)",
        f"In reply to: {ANSWERED}",
        f"Origin: {format_dd(36.2, 37.15)} ({format_mgrs(36.2, 37.15)})",
        f"Destination: {format_dd(36.5, 37.95)} ({format_mgrs(36.5, 37.95)})",
        "Time window: from 2024-12-03T14:00:00.000Z (031400ZDEC24)"
        " to 2024-12-03T15:30:00.000Z (031530ZDEC24)",
        "Unit: CONVOY 7",
        "Vehicles: 22 vehicles",
        "Movement notification: ntf_01JEXAMPLE0000000000000000",
        "Remarks: Humanitarian convoy.",
    ]


def test_a_text_field_of_several_lines_continues_indented_and_its_value_is_unchanged() -> None:
    rendered = render_message(message("line-check", {"remarks": "one\ntwo"}), "en")
    assert _value(rendered, "remarks") == "one\ntwo"
    assert rendered["text"].endswith("\nRemarks: one\n  two")


def test_optional_fields_left_out_are_not_rendered() -> None:
    rendered = render_message(message("line-check", {}), "ru")
    assert rendered["lines"] == []
    assert rendered["text"].split("\n")[0] == "МОЛНИЯ — Проверка связи"


def test_the_rendering_is_json_ready() -> None:
    rendered = render_message(full("planned-operation"), "ar")
    assert json.loads(json.dumps(rendered)) == rendered
    assert set(rendered) == {
        "lang",
        "title",
        "precedence",
        "lines",
        "text",
        "untranslated",
        "original_lang",
    }


def _value(rendered: Mapping[str, Any], field: str) -> str:
    return next(line["value"] for line in rendered["lines"] if line["field"] == field)


@pytest.mark.parametrize(
    ("lat", "lon"), [(90.0, 0.0), (-90.0, 180.0), (84.5, 10.0), (-80.5, -10.0), (0.0, -180.0)]
)
def test_locations_at_the_poles_and_the_antimeridian_render_with_their_mgrs(
    lat: float, lon: float
) -> None:
    fields = {"location": {"lat": lat, "lon": lon}, "activity": "patrol"}
    rendered = render_message(message("request-cease-activity", fields), "en")
    assert f"{format_dd(lat, lon)} ({format_mgrs(lat, lon)})" in _value(rendered, "location")
