"""The words a NOTAM is written in: one reader (``openline.interop.notam``), several vocabularies.

ICAO's NOTAMs and Russia's domestic NOTAMs share one structure (a header, a Q-line, items
A) to G)) and differ in their words: the items' letters, the types, the hemispheres, the names
of limits, days and areas. A ``Vocabulary`` says how a NOTAM's items are labelled and turns each
item's text into ICAO's words, which the one reader then reads; an error names the item by the
letter the NOTAM itself uses. ICAO's vocabulary changes nothing; the Russian one is in
``openline.interop.notam_ru``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

ITEMS = "QABCDEFG"  # in the order a NOTAM gives them


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Vocabulary:
    """How one family of NOTAMs writes its words, as functions from its text to ICAO's."""

    name: str
    letters: Mapping[str, str] = field(default_factory=lambda: {i: i for i in ITEMS})
    types: Mapping[str, str] = field(
        default_factory=lambda: {"NOTAMN": "NOTAMN", "NOTAMR": "NOTAMR", "NOTAMC": "NOTAMC"}
    )
    series: str = "A-Z"  # the letters a NOTAM's series may be (a regex class's inside)
    qline: Callable[[str], str] = _same
    locations: Callable[[str], str] = _same
    until: Callable[[str], str] = _same  # C): PERM and EST in ICAO's words
    schedule: Callable[[str], str] = _same
    area_text: Callable[[str], str] = _same  # E), for reading its areas (the title keeps E))
    limit: Callable[[str], str] = _same

    def label(self, item: str) -> str:
        """The item as this NOTAM writes it: ``B)``, or ``Б)`` in a Russian NOTAM."""
        return f"{self.letters[item]})"

    def item_of(self, letter: str) -> str | None:
        """ICAO's letter of an item this vocabulary writes ``letter``."""
        for icao, own in self.letters.items():
            if own == letter:
                return icao
        return None


ICAO = Vocabulary("ICAO")
