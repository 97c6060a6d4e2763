"""The console's word catalogues: one per language, the same keys in each, every key the
console's code asks for present. (No browser: they read the files.)"""

from __future__ import annotations

import re

import pytest

from openline.domain.journal import JournalKind
from openline.domain.notifications import Kind
from tests.support.catalogues import LANGUAGES, STATIC, catalogue


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_catalogue_has_the_english_keys_and_no_other(lang: str) -> None:
    assert sorted(catalogue(lang)) == sorted(catalogue("en"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_placeholder_of_a_phrase_is_the_english_ones(lang: str) -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    english = catalogue("en")
    assert {k: names(v) for k, v in catalogue(lang).items()} == {
        k: names(v) for k, v in english.items()
    }


def test_only_arabic_reads_right_to_left() -> None:
    assert {lang: catalogue(lang)["dir"] for lang in LANGUAGES} == {
        "en": "ltr",
        "ru": "ltr",
        "fr": "ltr",
        "ar": "rtl",
    }


def test_every_key_the_console_asks_for_is_in_the_catalogue() -> None:
    code = "\n".join(path.read_text("utf-8") for path in (STATIC / "js").glob("*.js"))
    html = (STATIC / "index.html").read_text("utf-8")
    asked = set(re.findall(r"""\bt\(["'`]([\w.]+)["'`]""", code))
    asked |= set(re.findall(r'data-i18n="([\w.]+)"', html))
    assert asked, "no key found: the pattern no longer matches the code"
    assert asked - set(catalogue("en")) == set()


def test_every_kind_of_notification_has_a_name() -> None:
    assert {f"kind.{kind.value}" for kind in Kind} <= set(catalogue("en"))


def test_every_kind_of_journal_entry_has_a_name() -> None:
    """The journal viewer names each entry's kind in the console's language."""
    assert {f"journal.kind.{kind.value}" for kind in JournalKind} <= set(catalogue("en"))
