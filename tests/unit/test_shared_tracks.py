"""Track reports between a node's processes: what one process NOTIFYs, the others read back
(node/shared_tracks.py; the processes themselves in test_processes_share_tracks.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from openline.domain.tracks import TrackReport
from openline.node.shared_tracks import REPORTS_PER_PAYLOAD, heard, payloads

NOTIFY_LIMIT_BYTES = 8000  # PostgreSQL refuses a longer payload


def widest(party: str, n: int) -> TrackReport:
    """A report as long as a report gets: a 64-character track_id, 17-digit numbers."""
    time = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(milliseconds=n)
    return TrackReport(
        party, f"{n:064}", time, -89.12345678901234, -179.1234567890123, 12345.678901234567,
        1999.1234567890123, 359.12345678901234, "ground",
    )  # fmt: skip


def test_reports_travel_in_payloads_under_the_limit_and_are_read_back_by_other_processes() -> None:
    sent = [widest("BLUE", n) for n in range(45)] + [widest("RED", n) for n in range(3)]

    notified = payloads("process-1", sent)

    assert [len(json.loads(p)["tracks"]) for p in notified] == [20, 20, 5, 3]
    assert REPORTS_PER_PAYLOAD == 20
    assert max(len(p.encode()) for p in notified) < NOTIFY_LIMIT_BYTES
    assert heard(notified, "process-2") == sent
    assert heard(notified, "process-1") == []  # its own, already held


def test_a_payload_that_cannot_be_read_is_dropped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = payloads("process-1", [widest("BLUE", 1)])
    unreadable = ["not json", "[]", '{"sender": "process-1"}', '{"sender":"p","party":"B"}']
    malformed = json.dumps({"sender": "p", "party": "BLUE", "tracks": [{"lat": 100}]})

    assert heard([*unreadable, malformed, *good], "process-2") == [widest("BLUE", 1)]
    assert len([r for r in caplog.records if "dropped" in r.message]) == 5
