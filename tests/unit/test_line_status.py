"""The status of a line from what was last heard: up, degraded, down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openline.domain.line import LineReading, LineStatus, line_status
from openline.domain.paths import PathStatus

UP, DOWN, UNKNOWN = PathStatus.UP, PathStatus.DOWN, PathStatus.UNKNOWN

NOW = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)


def reading(
    heard_s_ago: float | None,
    waiting_s: float | None = None,
    failed: bool = False,
    paths: tuple[PathStatus, ...] = (),
):
    return LineReading(
        now=NOW,
        interval_s=60,
        last_heard=None if heard_s_ago is None else NOW - timedelta(seconds=heard_s_ago),
        oldest_waiting=None if waiting_s is None else NOW - timedelta(seconds=waiting_s),
        last_attempt_failed=failed,
        paths=paths,
        carrying="http://backup:8470",
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


@pytest.mark.parametrize(
    ("paths", "status"),
    [
        ((UP,), LineStatus.UP),
        ((UP, DOWN), LineStatus.UP),
        ((UP, UP, DOWN), LineStatus.UP),
        ((DOWN, UP), LineStatus.DEGRADED),
        ((DOWN, DOWN, UP), LineStatus.DEGRADED),
        ((UNKNOWN, UP), LineStatus.UP),
        ((DOWN, DOWN), LineStatus.DOWN),
        ((DOWN,), LineStatus.DOWN),
    ],
    ids=[
        "one path up",
        "the preferred up, a backup down",
        "two up, one down",
        "only the backup up",
        "only the last path up",
        "the preferred not checked yet",
        "no path up, though heard within two intervals",
        "the one path down",
    ],
)
def test_a_line_is_degraded_on_a_backup_path_alone_and_down_on_none(
    paths: tuple[PathStatus, ...], status
):
    judged, reason = line_status(reading(5, paths=paths))

    assert judged is status
    if status is LineStatus.DEGRADED and UP in paths:
        assert reason == "the preferred path is down; by a backup: http://backup:8470"
    if UP not in paths and UNKNOWN not in paths:
        assert reason == "no path answers"


def test_a_silent_peer_is_down_whatever_its_paths_say():
    assert line_status(reading(121, paths=(DOWN, UP)))[0] is LineStatus.DOWN
