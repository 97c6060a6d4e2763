"""CLDR plural rules for whole numbers, in the four languages Openline speaks.

Every count Openline renders is a whole number (vehicles, vertices), so only the integer part
of each rule is needed: with the CLDR operands ``i = n`` and ``v = 0``. The rules are those of
the Unicode CLDR plural rules chart (cardinal), release 46:

- en: one (``i = 1 and v = 0``), other.
- fr: one (``i = 0,1``), many (``e = 0 and i != 0 and i % 1000000 = 0 and v = 0``), other.
- ru: one (``v = 0 and i % 10 = 1 and i % 100 != 11``), few (``i % 10 = 2..4 and i % 100 !=
  12..14``), many (``i % 10 = 0 or i % 10 = 5..9 or i % 100 = 11..14``), other (fractions only,
  never reached by a whole number; kept so catalogues stay complete by CLDR's measure).
- ar: zero (``n = 0``), one (``n = 1``), two (``n = 2``), few (``n % 100 = 3..10``), many
  (``n % 100 = 11..99``), other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def _english(n: int) -> str:
    return "one" if n == 1 else "other"


def _french(n: int) -> str:
    if n in (0, 1):
        return "one"
    if n % 1_000_000 == 0:
        return "many"  # "1 000 000 de véhicules": French counts millions with "de"
    return "other"


def _russian(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _arabic(n: int) -> str:
    if n in (0, 1, 2):
        return ("zero", "one", "two")[n]
    if 3 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 99:
        return "many"
    return "other"


RULES: Mapping[str, Callable[[int], str]] = {
    "en": _english,
    "fr": _french,
    "ru": _russian,
    "ar": _arabic,
}
# The categories each language's catalogue must give for every plural entry.
CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "en": ("one", "other"),
    "fr": ("one", "many", "other"),
    "ru": ("one", "few", "many", "other"),
    "ar": ("zero", "one", "two", "few", "many", "other"),
}


def plural_category(lang: str, n: int) -> str:
    """The CLDR plural category of the whole number ``n`` in ``lang``: ``one``, ``few``, ..."""
    if n < 0:
        raise ValueError(f"count {n} is negative: plural rules here cover counts from 0")
    return RULES[lang](n)
