"""The message catalogues: one TOML file per language in ``locales/``, read with tomllib.

A catalogue is a tree of tables (``[templates.confirm]``, ``[fields.area]``, ``[words]``...)
flattened here into dotted keys (``templates.confirm.title``). Texts are ``str.format``
patterns with named placeholders (``{n}``, ``{start}``). Tables under ``[plurals]`` are plural
entries: one pattern per CLDR plural category of the language (``one``, ``few``, ``many``...),
chosen by ``openline.i18n.plural``.

Every key of ``en.toml`` must be in every other catalogue and nothing else may be: a missing key
is a ``KeyError`` when rendering, never a silent fallback to English.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from openline.domain.errors import InvalidInput
from openline.i18n.plural import plural_category

LANGUAGES = ("en", "ru", "fr", "ar")
PLURALS = "plurals"


@dataclass(frozen=True)
class Catalogue:
    """One language's texts, by dotted key, and its plural entries."""

    lang: str
    texts: Mapping[str, str]
    plurals: Mapping[str, Mapping[str, str]]  # key -> CLDR category -> pattern

    @property
    def right_to_left(self) -> bool:
        return self.texts["language.direction"] == "rtl"

    def text(self, key: str, **params: object) -> str:
        """The text at ``key`` with its placeholders filled in."""
        return self.texts[key].format(**params) if params else self.texts[key]

    def plural(self, key: str, n: int, **params: object) -> str:
        """The plural entry ``key`` in the form this language uses for ``n``, with ``{n}``."""
        forms = self.plurals[key]
        return forms[plural_category(self.lang, n)].format(n=n, **params)

    def has(self, key: str) -> bool:
        return key in self.texts or key in self.plurals


def check_lang(lang: object, *, field: str = "lang") -> str:
    """``lang`` if Openline has a catalogue for it, else an error naming the four it has."""
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise InvalidInput(
            f"{field} {lang!r} is not a language Openline renders: one of {', '.join(LANGUAGES)}",
            field=field,
        )
    return lang


def catalogue(lang: str) -> Catalogue:
    """The catalogue of ``lang`` (en, ru, fr or ar), read once and kept."""
    return _load(check_lang(lang))


@cache
def _load(lang: str) -> Catalogue:
    source = files("openline.i18n").joinpath("locales", f"{lang}.toml")
    tree = tomllib.loads(source.read_text(encoding="utf-8"))
    plurals = tree.pop(PLURALS, {})
    return Catalogue(
        lang,
        dict(_flatten(tree)),
        {f"{PLURALS}.{name}": dict(forms) for name, forms in plurals.items()},
    )


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            found.extend(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            found.append((key, value))
        else:
            raise TypeError(f"catalogue key {key} holds {value!r}, not text")
    return found


def placeholders(pattern: str) -> set[str]:
    """The named placeholders of a ``str.format`` pattern: ``{n} of {total}`` -> n, total."""
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
