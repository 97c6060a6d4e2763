"""The state of a line to a peer: up, degraded or down, from what was last heard.

``up``: the peer was heard (a signed receipt or envelope from it) within two line-check
intervals and nothing is waiting. ``degraded``: heard within two intervals, but envelopes wait
in the outbox longer than one interval, or the last attempt to deliver failed. ``down``: not
heard for longer than two intervals, or never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class LineStatus(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class LineReading:
    """What the line's status is judged on, at one instant."""

    now: datetime
    interval_s: float
    last_heard: datetime | None
    oldest_waiting: datetime | None  # the oldest envelope without a receipt, if any
    last_attempt_failed: bool


def line_status(reading: LineReading) -> tuple[LineStatus, str]:
    """The status and, in words, why."""
    interval = timedelta(seconds=reading.interval_s)
    if reading.last_heard is None:
        return LineStatus.DOWN, "never heard"
    silent = reading.now - reading.last_heard
    if silent > 2 * interval:
        return LineStatus.DOWN, f"not heard for {silent.total_seconds():.1f} s"
    if reading.last_attempt_failed:
        return LineStatus.DEGRADED, "the last delivery attempt failed; retrying"
    if reading.oldest_waiting is not None and reading.now - reading.oldest_waiting > interval:
        waited = (reading.now - reading.oldest_waiting).total_seconds()
        return LineStatus.DEGRADED, f"envelopes waiting for {waited:.1f} s"
    return LineStatus.UP, "heard recently, nothing waiting"
