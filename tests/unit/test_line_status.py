"""The status of a line from what was last heard: up, degraded, down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openline.domain.line import LineReading, LineStatus, line_status

NOW = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)


def reading(heard_s_ago: float | None, waiting_s: float | None = None, failed: bool = False):
    return LineReading(
        now=NOW,
        interval_s=60,
        last_heard=None if heard_s_ago is None else NOW - timedelta(seconds=heard_s_ago),
        oldest_waiting=None if waiting_s is None else NOW - timedelta(seconds=waiting_s),
        last_attempt_failed=failed,
    )


@pytest.mark.parametrize(
    ("case", "status"),
    [
        (reading(None), LineStatus.DOWN),
        (reading(0), LineStatus.UP),
        (reading(119.9), LineStatus.UP),
        (reading(120.0), LineStatus.UP),
        (reading(120.1), LineStatus.DOWN),
        (reading(5, waiting_s=59), LineStatus.UP),
        (reading(5, waiting_s=61), LineStatus.DEGRADED),
        (reading(5, failed=True), LineStatus.DEGRADED),
        (reading(500, waiting_s=400, failed=True), LineStatus.DOWN),
    ],
    ids=[
        "never heard",
        "just heard",
        "just inside two intervals",
        "exactly two intervals",
        "past two intervals",
        "a fresh backlog",
        "a backlog older than an interval",
        "retrying",
        "silent beats everything",
    ],
)
def test_status(case: LineReading, status: LineStatus):
    assert line_status(case)[0] is status
