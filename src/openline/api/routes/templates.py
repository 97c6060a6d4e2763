"""/api/v1/templates: the phrasebook with field schemas and labels in a language."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from openline.api.deps import NodeDep, Operator, requires
from openline.domain.roles import Action
from openline.i18n import template_catalogue

router = APIRouter(prefix="/api/v1/templates", tags=["phrasebook"])


class TemplateField(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    kind: str = Field(description="text, callsign, count, time, time_window, point, area, ...")
    required: bool
    label: str
    help: str
    # "schema" would shadow a BaseModel attribute: the key is named by its alias.
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema of the value.")


class TemplatePublic(BaseModel):
    name: str
    title: str
    description: str
    answers_message: bool = Field(description="Whether the message needs in_reply_to.")
    fields: list[TemplateField]


class TemplateList(BaseModel):
    lang: str
    templates: list[TemplatePublic]


@router.get("", response_model=TemplateList, dependencies=requires(Action.READ))
async def list_templates(
    node: NodeDep,
    _operator: Operator,
    lang: Annotated[
        str | None, Query(max_length=8, description="en, ru, fr or ar; default: the node's.")
    ] = None,
) -> TemplateList:
    chosen = node.settings.lang if lang is None else lang
    found = template_catalogue(chosen, max_text_bytes=node.settings.max_text_bytes)
    return TemplateList.model_validate({"lang": chosen, "templates": found})
