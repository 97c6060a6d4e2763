"""The state of a line to a peer: up, degraded or down, from what was last heard.

``up``: the peer was heard (a signed receipt or envelope from it) within two line-check
intervals and nothing is waiting. ``degraded``: heard within two intervals, but envelopes wait
in the outbox longer than one interval, or the last attempt to deliver failed. ``down``: not
heard for longer than two intervals, or never.

With several paths to the peer (``domain/paths.py``): a line that would be ``up`` is
``degraded`` while its preferred path is not up and a backup path (or the relay) carries the
traffic. A line none of whose paths works (each one's last delivery or check failed) is
``down`` at once, whenever the peer was last heard: no path carries anything to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from openline.domain.paths import PathStatus


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
    paths: tuple[PathStatus, ...] = ()  # each path's status, the preferred first
    carrying: str | None = None  # the via of the path the last batch went by


def line_status(reading: LineReading) -> tuple[LineStatus, str]:
    """The status and, in words, why."""
    interval = timedelta(seconds=reading.interval_s)
    if reading.last_heard is None:
        return LineStatus.DOWN, "never heard"
    silent = reading.now - reading.last_heard
    if silent > 2 * interval:
        return LineStatus.DOWN, f"not heard for {silent.total_seconds():.1f} s"
    if reading.paths and all(path is PathStatus.DOWN for path in reading.paths):
        return LineStatus.DOWN, "no path answers"
    if reading.last_attempt_failed:
        return LineStatus.DEGRADED, "the last delivery attempt failed; retrying"
    if reading.oldest_waiting is not None and reading.now - reading.oldest_waiting > interval:
        waited = (reading.now - reading.oldest_waiting).total_seconds()
        return LineStatus.DEGRADED, f"envelopes waiting for {waited:.1f} s"
    if backup_only(reading.paths):
        return LineStatus.DEGRADED, f"the preferred path is down; by a backup: {reading.carrying}"
    return LineStatus.UP, "heard recently, nothing waiting"


def backup_only(paths: tuple[PathStatus, ...]) -> bool:
    """Whether the preferred path is down and only a backup path works."""
    return bool(paths) and paths[0] is PathStatus.DOWN and PathStatus.UP in paths[1:]
