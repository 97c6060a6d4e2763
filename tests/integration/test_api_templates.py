"""GET /api/v1/templates: the phrasebook for a compose form, in the operator's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.domain.phrasebook import TEMPLATES
from openline.i18n import LANGUAGES, catalogue, template_catalogue
from openline.node.assembly import Node
from tests.support.backend import sqlite_only
from tests.support.nodes import InProcess, make_node_dir

pytestmark = sqlite_only("the phrasebook is read from the package's catalogues, not the database")

PATH = "/api/v1/templates"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_comes_in_the_language_asked_for(api: InProcess, lang: str) -> None:
    answer = api.client.get(PATH, params={"lang": lang})
    assert answer.status_code == 200
    body = answer.json()
    assert body["lang"] == lang
    assert [t["name"] for t in body["templates"]] == list(TEMPLATES)
    words = catalogue(lang)
    for template in body["templates"]:
        spec = TEMPLATES[template["name"]]
        assert template["title"] == words.text(f"templates.{spec.name}.title")
        assert template["description"] == words.text(f"templates.{spec.name}.description")
        assert template["answers_message"] is spec.answers_message
        assert [f["name"] for f in template["fields"]] == [f.name for f in spec.fields]
        for field, expected in zip(template["fields"], spec.fields, strict=True):
            assert (field["kind"], field["required"]) == (expected.kind, expected.required)
            assert field["label"] == words.text(f"fields.{expected.name}.label")
            assert field["help"] == words.text(f"fields.{expected.name}.help")
            assert isinstance(field["schema"], dict)


def test_the_answer_is_template_catalogue_with_the_node_s_text_limit(api: InProcess) -> None:
    body = api.client.get(PATH, params={"lang": "fr"}).json()
    expected = template_catalogue("fr", max_text_bytes=api.node.settings.max_text_bytes)
    assert body["templates"] == expected
    free_text = next(t for t in body["templates"] if t["name"] == "free-text")
    assert free_text["fields"][0]["schema"]["x-max-utf8-bytes"] == 65536


def test_without_lang_the_templates_come_in_the_node_s_language(api: InProcess) -> None:
    body = api.client.get(PATH).json()
    assert body["lang"] == "en"
    assert body["templates"][0]["title"] == "Planned operation"


def test_a_russian_node_answers_in_russian_by_default(tmp_path: Path) -> None:
    created = make_node_dir(tmp_path / "red", party="RED", lang="ru")
    node = Node.open(created.directory, environ={})
    try:
        with TestClient(create_app(node)) as client:
            answer = client.get(PATH, headers={"Authorization": f"Bearer {created.token}"})
    finally:
        node.close()
    assert answer.status_code == 200
    assert answer.json()["lang"] == "ru"
    assert answer.json()["templates"][0]["title"] == "Планируемая операция"


@pytest.mark.parametrize("lang", ["de", "EN", "", "english"])
def test_a_language_without_a_catalogue_is_a_422_naming_the_four(api: InProcess, lang: str) -> None:
    answer = api.client.get(PATH, params={"lang": lang})
    assert answer.status_code == 422
    assert answer.json() == {
        "error": {
            "code": "invalid",
            "message": f"lang {lang!r} is not a language Openline renders: one of en, ru, fr, ar",
            "field": "lang",
        }
    }


def test_an_overlong_lang_is_a_422_in_the_one_error_shape(api: InProcess) -> None:
    answer = api.client.get(PATH, params={"lang": "x" * 50})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "lang"
    assert answer.json()["error"]["code"] == "invalid"


def test_without_a_token_the_templates_are_refused(api: InProcess) -> None:
    answer = api.client.get(PATH, headers={"Authorization": ""})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_with_an_unknown_token_the_templates_are_refused(api: InProcess) -> None:
    answer = api.client.get(PATH, headers=api.auth("olt_" + "A" * 43))
    assert answer.status_code == 401


def test_the_route_is_in_the_openapi_document_with_its_field_schema_key(api: InProcess) -> None:
    document = api.client.get("/openapi.json").json()
    assert "/api/v1/templates" in document["paths"]
    properties = document["components"]["schemas"]["TemplateField"]["properties"]
    assert "schema" in properties
