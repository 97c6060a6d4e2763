"""The console's word catalogues (src/openline/web/static/i18n), as the console reads them."""

from __future__ import annotations

import json

from tests.support import REPO

STATIC = REPO / "src" / "openline" / "web" / "static"
LANGUAGES = ("en", "ru", "fr", "ar")


def catalogue(lang: str) -> dict[str, str]:
    words: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return words
