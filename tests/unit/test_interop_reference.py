"""A notification's reference: the outside document it was made from (a NOTAM number, a zone's
identifier), kept in its record for peers, checked like every other member."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.notifications import (
    Notification,
    new_notification,
    parse_notification_draft,
)
from openline.domain.volumes import Limits

LIMITS = Limits()
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def body(**extra: Any) -> dict[str, Any]:
    volume = {
        "circle": {"lat": 35.0, "lon": 38.0, "radius_m": 500.0},
        "altitude_lower_m": 0,
        "altitude_upper_m": 100,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T13:00:00Z",
    }
    return {"kind": "firing", "title": "A1234/26 MISSILE FIRING", "volumes": [volume], **extra}


def test_a_reference_is_kept_in_the_record_and_read_back_from_a_peer():
    draft = parse_notification_draft(body(reference="A1234/26"), limits=LIMITS)
    made = new_notification(draft, notification_id="ntf_1", owner="BLUE", now=NOW)

    record = made.to_json()

    assert record["reference"] == "A1234/26"
    assert Notification.from_json(record, limits=LIMITS) == made


def test_a_notification_without_a_reference_has_the_record_it_had_before_references():
    draft = parse_notification_draft(body(), limits=LIMITS)
    made = new_notification(draft, notification_id="ntf_1", owner="BLUE", now=NOW)

    record = made.to_json()

    assert "reference" not in record  # a node that predates references reads it unchanged
    assert made.reference is None
    assert Notification.from_json(record, limits=LIMITS) == made


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (" A1234/26", "reference: ' A1234/26' starts or ends with a space"),
        ("", "reference: '' is not a reference: give printable text"),
        ("A\n1", "reference: 'A\\n1' is not a reference: give printable text"),
        (42, "reference: 42 is not a reference: give printable text"),
        ("x" * 65, "reference: 65 characters, over the limit of 64"),
    ],
)
def test_a_bad_reference_is_refused_naming_it(value: Any, message: str):
    with pytest.raises(InvalidInput) as caught:
        parse_notification_draft(body(reference=value), limits=LIMITS)

    assert caught.value.message == message
    assert caught.value.field == "reference"


def test_a_zone_identifier_with_spaces_inside_is_a_reference():
    draft = parse_notification_draft(body(reference="Montreux Concert Area"), limits=LIMITS)

    assert draft.reference == "Montreux Concert Area"
