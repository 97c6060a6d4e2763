"""Message catalogues that render phrasebook messages in each operator's language.

``render_message`` writes a message in en, ru, fr or ar; ``template_catalogue`` lists the
templates with their labels, help and JSON Schemas for a compose form. docs/phrasebook.md
describes both and how to add a language.
"""

from __future__ import annotations

from openline.domain.messages import State
from openline.domain.precedence import Precedence
from openline.i18n.catalogues import LANGUAGES, Catalogue, catalogue, check_lang
from openline.i18n.render import render_message
from openline.i18n.templates import template_catalogue

__all__ = [
    "LANGUAGES",
    "Catalogue",
    "catalogue",
    "check_lang",
    "precedence_name",
    "render_message",
    "state_name",
    "template_catalogue",
]


def precedence_name(precedence: Precedence | str, lang: str) -> str:
    """``flash`` as an operator of ``lang`` reads it: FLASH, МОЛНИЯ, FLASH, فوري جدًا."""
    return catalogue(lang).text(f"precedence.{Precedence(precedence).value}")


def state_name(state: State | str, lang: str) -> str:
    """A message state (queued, delivered, acknowledged, overdue) in ``lang``."""
    return catalogue(lang).text(f"state.{State(state).value}")
