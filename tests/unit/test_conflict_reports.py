"""The conflict_report envelope's body (domain/conflict_reports.py): what one owner's node tells
the other of a conflict it opened or cleared, read as strictly as every body."""

from __future__ import annotations

from typing import Any

import pytest

from openline.domain.conflict_reports import ConflictReport, other_owner, read_report
from openline.domain.conflicts import VolumeClash, gather
from openline.domain.errors import InvalidInput
from openline.domain.separation import Minima, Rule
from tests.unit.test_conflict_rules import BLUE_VOLUMES, RED_VOLUME

CONFLICT = gather(
    Rule.SEPARATION,
    Minima(1000.0, 300.0, 600.0),
    [VolumeClash(b, RED_VOLUME, 10.0) for b in BLUE_VOLUMES],
)
AT = "2026-12-03T12:00:00.000Z"
CLEARED = ConflictReport(
    "cleared", AT, CONFLICT, {"because": "ntf_B", "status": "planned", "version": 3}
)


def test_a_report_reads_back_as_it_was_written_by_either_owner():
    opened = ConflictReport("opened", AT, CONFLICT, {})

    assert read_report(opened.to_json(), "BLUE", "RED") == opened
    assert read_report(CLEARED.to_json(), "RED", "BLUE") == CLEARED
    assert other_owner(CONFLICT, "BLUE") == "RED"
    assert other_owner(CONFLICT, "GREEN") is None


@pytest.mark.parametrize(
    ("change", "sender", "receiver", "field"),
    [
        ({"event": "updated"}, "BLUE", "RED", "event"),
        ({"because": None}, "BLUE", "RED", "because"),
        ({"version": "3"}, "BLUE", "RED", "because"),
        ({"at": "yesterday"}, "BLUE", "RED", "at"),
        ({}, "GREEN", "RED", "conflict"),  # GREEN owns neither notification
        ({}, "BLUE", "GREEN", "conflict"),  # nor is GREEN the other owner
        (
            {"conflict": {**CONFLICT.to_json(), "key": "cfl-000000000000000000000000"}},
            "BLUE",
            "RED",
            "conflict",
        ),
        ({"conflict": {"key": "cfl-x"}}, "BLUE", "RED", "conflict"),
    ],
    ids=["event", "because", "version", "at", "sender", "receiver", "key", "record"],
)
def test_a_bad_report_is_refused_naming_the_field(
    change: dict[str, Any], sender: str, receiver: str, field: str
):
    with pytest.raises(InvalidInput) as refused:
        read_report({**CLEARED.to_json(), **change}, sender, receiver)

    assert refused.value.field == field


def test_an_opening_with_a_clearings_members_is_refused():
    with pytest.raises(InvalidInput, match="has exactly at, conflict, event"):
        read_report({**CLEARED.to_json(), "event": "opened"}, "BLUE", "RED")
