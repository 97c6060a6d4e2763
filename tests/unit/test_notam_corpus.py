"""The public NOTAM corpus (tests/data/notams), by class: how many are imported and read right
(tests/support/notam_corpus.py says what "read right" checks) may not fall below what
docs/interop.md reports. The NOTAMs not imported are refused, each naming its item: that every
one of them is refused for a reason written in docs/interop.md is checked too."""

# Russian class names are in Cyrillic on purpose (RUF001 warns of Cyrillic look-alikes).
# ruff: noqa: RUF001

from __future__ import annotations

import re

import pytest

from openline.interop import notam, notam_drafts
from tests.support.notam_corpus import shares
from tests.support.notams import corpus

# class: (NOTAMs, imported at least, read right at least), as docs/interop.md reports them
REPORTED = {
    "russian": {
        "all": (1161, 1145, 1143),
        "area (РАЙОН)": (406, 397, 395),
        "circle (ОКРУЖНОСТЬ)": (423, 418, 418),
        "corridor (ПОЛОСА)": (187, 184, 184),
        "numbered areas": (315, 310, 310),
        "schedule (Д))": (1028, 1019, 1019),
        "flight levels (ЭШ)": (268, 266, 266),
        "above sea level (СР.УР.МОРЯ)": (786, 778, 776),
        "above ground (УР.ЗЕМЛИ)": (164, 161, 161),
        "replacing (НОТАМР)": (3, 0, 0),
    },
    "international": {
        "all": (1332, 1305, 1295),
        "edges over 500 km": (85, 85, 85),
        "D) DAILY/DLY": (119, 117, 117),
        "D) HHMM/HHMM": (28, 26, 26),
        "D) times before days (ON, AND)": (19, 16, 16),
        "D) FM/BTN ... TO": (4, 4, 4),
        "G) with a trailer": (9, 7, 7),
        "PART n OF m": (12, 8, 8),
        "coordinates with spaces": (35, 29, 29),
        "coordinate broken by a line break": (46, 46, 46),
    },
}
# Why a public NOTAM is refused: each is a rule of docs/interop.md, named in the message.
REASONS = re.compile(
    r"the ring crosses itself|is a named point, not a position|over the limit of|"
    r"does not exist|is not a day, month, weekday or time|has \d+ fields, not 8|"
    r"describes no area|is below|is missing|is outside"
)


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_each_class_is_imported_and_read_right_at_least_as_reported(name: str) -> None:
    found = {s.name: (s.total, s.imported, s.right) for s in shares(name)}
    assert set(found) == set(REPORTED[name])
    for label, (total, imported, right) in REPORTED[name].items():
        assert found[label][0] == total, label
        assert found[label][1] >= imported, label
        assert found[label][2] >= right, label


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_every_notam_refused_is_refused_naming_its_item_for_a_documented_reason(name: str) -> None:
    refused = []
    for raw in corpus(name):
        try:
            notam_drafts.action(notam.parse_notam(notam.split_notams(raw)[0]))
        except notam.NotamError as error:
            refused.append(error)
    assert refused
    assert [e.message for e in refused if not e.field or not REASONS.search(e.message)] == []
