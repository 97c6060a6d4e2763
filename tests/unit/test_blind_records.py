"""A blind notification's own record names the parties it is blind with; what crosses the line
never does, and a peer's record that does is refused; a transcript can leave its entries out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openline.domain.bodies import Link, read_notification
from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind, Notification, Status
from openline.domain.transcripts import HIDE_FILTERS
from openline.domain.volumes import Circle, Limits, Volume4D

NOON = datetime(2026, 12, 8, 12, tzinfo=UTC)
VOLUME = Volume4D(Circle(36.1, 38.6, 1500.0), 0.0, 300.0, NOON, NOON.replace(hour=14))


def blind_to(*parties: str, share_with: tuple[str, ...] = ()) -> Notification:
    return Notification(
        "ntf_1", "BLUE", Kind.GROUND_OPERATION, "patrol", Status.PLANNED, (VOLUME,), share_with,
        NOON, NOON, blind_with=parties,
    )  # fmt: skip


def test_the_owners_record_keeps_blind_with_and_reads_back():
    record = blind_to("RED").to_json()

    assert record["blind_with"] == ["RED"]
    assert Notification.from_json(record, limits=Limits()).blind_with == ("RED",)


def test_the_shared_record_never_names_the_parties_it_is_blind_with():
    shared = blind_to("GREEN", share_with=("RED",)).shared_json()

    assert "blind_with" not in shared
    assert read_notification(shared, Link("BLUE", "RED", 1000)).share_with == ("RED",)


def test_a_peers_record_naming_blind_parties_is_refused():
    record = blind_to("GREEN", share_with=("RED",)).to_json()

    with pytest.raises(InvalidInput, match="blind with"):
        read_notification(record, Link("BLUE", "RED", 1000))


@pytest.mark.parametrize(
    ("kind", "data", "hidden"),
    [
        ("notification.created", {"blind_with": ["RED"]}, True),
        ("notification.updated", {"blind_with": ["RED"]}, True),
        ("notification.created", {"share_with": ["RED"]}, False),
        ("conflict.blind_run", {"items": 3}, False),
    ],
)
def test_a_transcript_hides_the_entries_holding_a_blind_record(kind, data, hidden):
    assert HIDE_FILTERS["blind"](kind, data) is hidden
