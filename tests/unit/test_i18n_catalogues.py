"""The catalogues: complete in every language, placeholders in step, plural forms right."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.messages import State
from openline.domain.phrasebook import FIELD_KINDS, TEMPLATES
from openline.domain.precedence import Precedence
from openline.i18n import LANGUAGES, catalogue, precedence_name, state_name, template_catalogue
from openline.i18n.catalogues import placeholders
from openline.i18n.plural import CATEGORIES, plural_category
from openline.i18n.schemas import field_schema

OTHERS = [lang for lang in LANGUAGES if lang != "en"]
ENGLISH = catalogue("en")
COUNTS = [0, 1, 2, 3, 5, 11, 21, 22, 25, 100, 101, 102]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")
# Latin words that belong in every language: the names of standards, never English prose.
NOT_ENGLISH = {"WGS84", "UTC", "ISO"}


def test_the_four_languages_are_english_russian_french_and_arabic() -> None:
    assert LANGUAGES == ("en", "ru", "fr", "ar")


@pytest.mark.parametrize("lang", OTHERS)
def test_every_text_of_english_is_in_every_language_and_nothing_else(lang: str) -> None:
    assert set(catalogue(lang).texts) == set(ENGLISH.texts)
    assert set(catalogue(lang).plurals) == set(ENGLISH.plurals)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_field_precedence_and_state_has_its_words(lang: str) -> None:
    words = catalogue(lang)
    for template in TEMPLATES.values():
        assert words.text(f"templates.{template.name}.title")
        assert words.text(f"templates.{template.name}.description")
        for spec in template.fields:
            assert words.text(f"fields.{spec.name}.label")
            assert words.text(f"fields.{spec.name}.help")
    assert all(precedence_name(p, lang) for p in Precedence)
    assert all(state_name(s, lang) for s in State)
    for code in LANGUAGES:
        assert words.has(f"languages.{code}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_count_that_is_not_a_distance_has_a_plural_entry(lang: str) -> None:
    counts = {
        spec.name
        for template in TEMPLATES.values()
        for spec in template.fields
        if spec.kind == "count" and not spec.name.endswith("_m")
    }
    assert counts == {"vehicles"}
    assert all(f"plurals.{name}" in catalogue(lang).plurals for name in counts)


@pytest.mark.parametrize("lang", OTHERS)
def test_every_text_has_the_placeholders_of_english(lang: str) -> None:
    words = catalogue(lang)
    wrong = {
        key: text
        for key, text in words.texts.items()
        if placeholders(text) != placeholders(ENGLISH.texts[key])
    }
    assert wrong == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_plural_entry_has_exactly_the_forms_of_its_language(lang: str) -> None:
    for key, forms in catalogue(lang).plurals.items():
        assert tuple(sorted(forms)) == tuple(sorted(CATEGORIES[lang])), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_use_only_the_placeholders_of_english_and_other_uses_them_all(
    lang: str,
) -> None:
    # Arabic writes one and two as the noun's own form ("مركبتان": two vehicles), without {n}.
    for key, forms in catalogue(lang).plurals.items():
        expected = placeholders(ENGLISH.plurals[key]["other"])
        assert placeholders(forms["other"]) == expected, key
        assert all(placeholders(form) <= expected for form in forms.values()), key


@pytest.mark.parametrize("lang", ["ru", "ar"])
def test_no_latin_word_but_standards_and_codes_appears_in_cyrillic_or_arabic(lang: str) -> None:
    leaked = {
        key: text
        for key, text in [*catalogue(lang).texts.items(), *_plural_texts(lang)]
        if key not in ("language.direction", "fields.lang.help")  # ltr/rtl; codes en, ru...
        and set(LATIN_WORD.findall(text)) - NOT_ENGLISH - placeholders(text)
    }
    assert leaked == {}


def test_no_french_text_is_left_as_the_english_one() -> None:
    french = catalogue("fr")
    same_by_right = {
        "words.message",  # "Message" is French too
        "words.list_separator",
        "words.label_value",
        "units.m",
        "units.ft",
        "precedence.flash",  # the degrees of urgence FLASH and ROUTINE are the same words
        "precedence.routine",
        "fields.description.label",  # "Description"
        "fields.site.label",  # "Site"
        "fields.destination.label",  # "Destination"
        "rules.zone",  # "zone"
        "language.direction",
    }
    same = {k for k, v in french.texts.items() if v == ENGLISH.texts[k]} - same_by_right
    assert same == set()


def _plural_texts(lang: str) -> list[tuple[str, str]]:
    return [
        (f"{key}.{category}", form)
        for key, forms in catalogue(lang).plurals.items()
        for category, form in forms.items()
    ]


@pytest.mark.parametrize(
    ("n", "category"),
    [
        (0, "many"),
        (1, "one"),
        (2, "few"),
        (3, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (25, "many"),
        (100, "many"),
        (101, "one"),
        (102, "few"),
        (111, "many"),
        (112, "many"),
        (1_000_000, "many"),
    ],
)
def test_russian_plural_categories_follow_cldr(n: int, category: str) -> None:
    assert plural_category("ru", n) == category


@pytest.mark.parametrize(
    ("n", "category"),
    [
        (0, "zero"),
        (1, "one"),
        (2, "two"),
        (3, "few"),
        (5, "few"),
        (10, "few"),
        (11, "many"),
        (21, "many"),
        (22, "many"),
        (25, "many"),
        (99, "many"),
        (100, "other"),
        (101, "other"),
        (102, "other"),
        (103, "few"),
        (111, "many"),
        (1000, "other"),
    ],
)
def test_arabic_plural_categories_follow_cldr(n: int, category: str) -> None:
    assert plural_category("ar", n) == category


@pytest.mark.parametrize(
    ("lang", "n", "category"),
    [
        ("en", 0, "other"),
        ("en", 1, "one"),
        ("en", 2, "other"),
        ("fr", 0, "one"),
        ("fr", 1, "one"),
        ("fr", 2, "other"),
        ("fr", 1_000_000, "many"),
        ("fr", 2_000_001, "other"),
    ],
)
def test_english_and_french_plural_categories_follow_cldr(lang: str, n: int, category: str) -> None:
    assert plural_category(lang, n) == category


RUSSIAN_VEHICLES = {
    0: "0 машин",
    1: "1 машина",
    2: "2 машины",
    3: "3 машины",
    5: "5 машин",
    11: "11 машин",
    21: "21 машина",
    22: "22 машины",
    25: "25 машин",
    100: "100 машин",
    101: "101 машина",
    102: "102 машины",
}
ARABIC_VEHICLES = {
    0: "0 مركبة",
    1: "مركبة واحدة",
    2: "مركبتان",
    3: "3 مركبات",
    5: "5 مركبات",
    11: "11 مركبة",
    21: "21 مركبة",
    22: "22 مركبة",
    25: "25 مركبة",
    100: "100 مركبة",
    101: "101 مركبة",
    102: "102 مركبة",
}


@pytest.mark.parametrize("n", COUNTS)
def test_russian_counts_of_vehicles_agree_with_the_number(n: int) -> None:
    assert catalogue("ru").plural("plurals.vehicles", n) == RUSSIAN_VEHICLES[n]


@pytest.mark.parametrize("n", COUNTS)
def test_arabic_counts_of_vehicles_agree_with_the_number(n: int) -> None:
    assert catalogue("ar").plural("plurals.vehicles", n) == ARABIC_VEHICLES[n]


@pytest.mark.parametrize(
    ("n", "russian", "arabic"),
    [
        (3, "3 вершины", "3 رؤوس"),
        (5, "5 вершин", "5 رؤوس"),
        (11, "11 вершин", "11 رأسًا"),
        (21, "21 вершина", "21 رأسًا"),
        (100, "100 вершин", "100 رأس"),
        (102, "102 вершины", "102 رأس"),
    ],
)
def test_counts_of_vertices_agree_with_the_number(n: int, russian: str, arabic: str) -> None:
    assert catalogue("ru").plural("plurals.vertices", n) == russian
    assert catalogue("ar").plural("plurals.vertices", n) == arabic


@pytest.mark.parametrize(
    ("n", "french"), [(0, "0 véhicule"), (1, "1 véhicule"), (2, "2 véhicules")]
)
def test_french_counts_zero_and_one_as_singular(n: int, french: str) -> None:
    assert catalogue("fr").plural("plurals.vehicles", n) == french


def test_a_negative_count_has_no_plural_form() -> None:
    with pytest.raises(ValueError, match="negative"):
        plural_category("ru", -1)


def test_arabic_is_right_to_left_and_the_others_left_to_right() -> None:
    assert [catalogue(lang).right_to_left for lang in LANGUAGES] == [False, False, False, True]


@pytest.mark.parametrize("lang", ["de", "EN", "", "english", None])
def test_a_language_without_a_catalogue_is_refused_naming_the_four(lang: object) -> None:
    with pytest.raises(InvalidInput, match="one of en, ru, fr, ar") as e:
        catalogue(lang)  # type: ignore[arg-type]
    assert e.value.field == "lang"


def test_the_precedence_words_are_those_of_each_language_s_military_usage() -> None:
    assert [precedence_name(p, "ru") for p in Precedence] == [
        "МОЛНИЯ",
        "ВНЕ ОЧЕРЕДИ",  # noqa: RUF001 - Cyrillic on purpose
        "СРОЧНАЯ",
        "ОБЫЧНАЯ",
    ]
    assert precedence_name("immediate", "fr") == "IMMÉDIAT"
    assert precedence_name("flash", "en") == "FLASH"


# template_catalogue: the field schemas say what the phrasebook's checks accept, no more, no less.


def test_the_template_catalogue_lists_every_template_and_field_in_order() -> None:
    listed = template_catalogue("ru")
    assert [t["name"] for t in listed] == list(TEMPLATES)
    for entry, template in zip(listed, TEMPLATES.values(), strict=True):
        assert entry["answers_message"] is template.answers_message
        assert [(f["name"], f["kind"], f["required"]) for f in entry["fields"]] == [
            (f.name, f.kind, f.required) for f in template.fields
        ]


def valid(schema: Mapping[str, Any], value: Any) -> bool:
    """A JSON Schema check of the keywords these schemas use (``format`` is an annotation)."""
    if "oneOf" in schema:
        return sum(valid(option, value) for option in schema["oneOf"]) == 1
    if "const" in schema and value != schema["const"]:
        return False
    if isinstance(value, bool):
        return False  # no field takes true or false, and JSON's true is not the number 1
    kind = schema.get("type")
    if kind is not None and not isinstance(value, TYPES[kind]):
        return False
    if isinstance(value, int | float):
        return schema.get("minimum", -math.inf) <= value <= schema.get(
            "maximum", math.inf
        ) and value > schema.get("exclusiveMinimum", -math.inf)
    if isinstance(value, str):
        return (
            schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", math.inf)
            and re.search(schema.get("pattern", ""), value) is not None
            and len(value.encode()) <= schema.get("x-max-utf8-bytes", math.inf)
        )
    if isinstance(value, list):
        return _valid_array(schema, value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return (
            all(name in value for name in schema.get("required", ()))
            and (schema.get("additionalProperties", True) or set(value) <= set(properties))
            and all(valid(properties[k], v) for k, v in value.items() if k in properties)
        )
    return True


TYPES: Mapping[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "integer": int,  # stricter than JSON Schema, whose integer takes 3.0: as check_count is
    "object": dict,
    "array": list,
}


def _valid_array(schema: Mapping[str, Any], value: list[Any]) -> bool:
    if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", math.inf):
        return False
    prefix = schema.get("prefixItems", [])
    if not all(valid(s, v) for s, v in zip(prefix, value, strict=False)):
        return False
    rest = value[len(prefix) :]
    items = schema.get("items", True)
    if items is False:
        return not rest
    return items is True or all(valid(items, v) for v in rest)


def accepted(kind: str, value: Any) -> bool:
    try:
        FIELD_KINDS[kind](value, "field")
    except InvalidInput:
        return False
    return True


RING = [[37.0, 36.0], [37.1, 36.0], [37.1, 36.1], [37.0, 36.0]]
POINT = {"lat": 36.2, "lon": 37.15}
SAMPLES: Mapping[str, list[Any]] = {
    "text": ["a", " a ", "", "   ", "\n\t", "x" * 2000, "x" * 2001, 5, ["a"], True],
    "callsign": ["EAGLE 1-1", "A", "A" * 32, "A" * 33, "-A", " A", "A_b/c", "é", "", 5, "A\tB"],
    "count": [0, 1, 1_000_000, 1_000_001, -1, True, 2.5, "3", None],
    "point": [
        POINT,
        {"lat": 90, "lon": 180},
        {"lat": -90, "lon": -180},
        {"lat": 90.5, "lon": 0},
        {"lat": 0, "lon": -180.5},
        {"lat": 1},
        {"lat": 1, "lon": 2, "alt": 3},
        {"lat": "1", "lon": 2},
        {"lat": True, "lon": 2},
        [36.2, 37.15],
        "36.2 37.15",
    ],
    "altitude_band": [
        {"lower_m": 0, "upper_m": 100},
        {"lower_m": -500, "upper_m": 100_000},
        {"lower_m": -501, "upper_m": 0},
        {"lower_m": 0, "upper_m": 100_001},
        {"lower_m": 0},
        {"lower_m": 0, "upper_m": 1, "ref": "msl"},
        {"lower_m": "0", "upper_m": 1},
        5,
    ],
    "time_window": [
        {"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T13:00:00Z"},
        {"start": "2024-12-03T12:00:00Z"},
        {"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T13:00:00Z", "tz": "Z"},
        {"start": 5, "end": "2024-12-03T13:00:00Z"},
        "2024-12-03T12:00:00Z/2024-12-03T13:00:00Z",
    ],
    "area": [
        {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 5000}},
        {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 0}},
        {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 1_000_000}},
        {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 1_000_001}},
        {"circle": {"lat": 36.2, "lon": 37.15}},
        {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 5, "alt": 1}},
        {"circle": {"lat": 95, "lon": 37.15, "radius_m": 5}},
        {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 5}, "type": "Polygon"},
        {"type": "Polygon", "coordinates": [RING]},
        {"type": "Polygon", "coordinates": [RING, RING]},
        {"type": "MultiPolygon", "coordinates": [RING]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": RING},
        {"type": "Polygon", "coordinates": [RING[1:]]},
        {"type": "Polygon", "coordinates": [[[37.0, 36.0, 5.0], *RING[1:-1], [37.0, 36.0, 5.0]]]},
        {"type": "Polygon", "coordinates": [[[181.0, 36.0], *RING[1:-1], [181.0, 36.0]]]},
        {"type": "Polygon", "coordinates": [[[37.0, 91.0], *RING[1:-1], [37.0, 91.0]]]},
        {"type": "Polygon", "coordinates": [RING], "bbox": [0, 0, 1, 1]},
        {"type": "Polygon"},
        [RING],
        {"corridor": {"path": RING[:2], "half_width_m": 500}},
        {"corridor": {"path": RING[:1], "half_width_m": 500}},
        {"corridor": {"path": RING[:2], "half_width_m": 0}},
        {"corridor": {"path": RING[:2], "half_width_m": 1_000_001}},
        {"corridor": {"path": RING[:2]}},
        {"corridor": {"path": [[37.0, 91.0], *RING[1:2]], "half_width_m": 5}},
        {"corridor": {"path": RING[:2], "half_width_m": 5}, "type": "LineString"},
    ],
    "language": ["en", "fra", "EN", "e", "engl", "e1", 5],
    "notification": ["ntf_01JEXAMPLE", "", "ntf 1", " ntf", "n" * 64, "n" * 65, 5, None],
}


def test_every_field_kind_has_samples_here() -> None:
    assert set(SAMPLES) == set(FIELD_KINDS) - {"time"}  # a date-time format is an annotation


@pytest.mark.parametrize(
    ("kind", "value"), [(kind, value) for kind, values in SAMPLES.items() for value in values]
)
def test_a_field_schema_accepts_exactly_what_the_phrasebook_accepts(kind: str, value: Any) -> None:
    assert valid(field_schema(kind), value) == accepted(kind, value)


def test_the_schema_of_free_text_counts_bytes_of_utf8() -> None:
    free_text = next(
        t for t in template_catalogue("en", max_text_bytes=8) if t["name"] == "free-text"
    )
    schema = free_text["fields"][0]["schema"]
    assert valid(schema, "12345678")
    assert not valid(schema, "ééééé")  # 5 characters, 10 bytes
    assert not valid(schema, " ")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_template_catalogue_is_json_ready(lang: str) -> None:
    listed = template_catalogue(lang)
    assert json.loads(json.dumps(listed)) == listed
