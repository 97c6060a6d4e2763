"""The phrasebook as a form needs it: every template, its fields, labels, help and schemas."""

from __future__ import annotations

from typing import Any

from openline.domain.phrasebook import FREE_TEXT, TEMPLATES, FieldSpec, Template
from openline.i18n.catalogues import Catalogue, catalogue
from openline.i18n.schemas import field_schema, free_text_schema


def template_catalogue(lang: str, *, max_text_bytes: int | None = None) -> list[dict[str, Any]]:
    """Every template in ``lang``: ``{"name", "title", "description", "answers_message",
    "fields": [{"name", "kind", "required", "label", "help", "schema"}]}``.

    ``schema`` is the JSON Schema of the field's value. Free text is limited in bytes of
    UTF-8, a node setting: pass ``max_text_bytes`` to have it stated in the schema.
    """
    words = catalogue(lang)
    return [_template(words, template, max_text_bytes) for template in TEMPLATES.values()]


def _template(words: Catalogue, template: Template, max_text_bytes: int | None) -> dict[str, Any]:
    key = f"templates.{template.name}"
    return {
        "name": template.name,
        "title": words.text(f"{key}.title"),
        "description": words.text(f"{key}.description"),
        "answers_message": template.answers_message,
        "fields": [_field(words, template, spec, max_text_bytes) for spec in template.fields],
    }


def _field(
    words: Catalogue, template: Template, spec: FieldSpec, max_text_bytes: int | None
) -> dict[str, Any]:
    free_text = template.name == FREE_TEXT and spec.name == "text"
    return {
        "name": spec.name,
        "kind": spec.kind,
        "required": spec.required,
        "label": words.text(f"fields.{spec.name}.label"),
        "help": words.text(f"fields.{spec.name}.help"),
        "schema": free_text_schema(max_text_bytes) if free_text else field_schema(spec.kind),
    }
