"""A person of a party acknowledging a notification shared with it: each version asks again.

When a live version of a notification is shared with a party, that party owes an
acknowledgement of it by a deadline set by the notification's kind (protected sites and
movements sooner). Both the owner's node and the party's hold what is awaited; the
acknowledgement crosses the line as a ``notification_ack`` envelope, and a version overdue
raises the same escalation as a message (``line/escalation.py``): an alarm on both nodes and a
``notification_reminder`` envelope to the party.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind, Notification, Status
from openline.domain.timeutil import format_utc, parse_utc

DEFAULT_DEADLINE_S = 10800  # three hours, as a priority message
SOONER_S = 1800  # protected sites and movements: half an hour, as an immediate message
DEFAULT_DEADLINES: dict[str, int] = {
    kind.value: SOONER_S if kind in (Kind.PROTECTED_SITE, Kind.MOVEMENT) else DEFAULT_DEADLINE_S
    for kind in Kind
}
MAX_DEADLINE_S = 30 * 86400


def deadline_table(given: Mapping[str, Any]) -> dict[str, int]:
    """The deadlines of every kind, in seconds: those ``given`` (a kind to a whole number of
    seconds) in place of the defaults they name."""
    table = dict(DEFAULT_DEADLINES)
    for kind, seconds in given.items():
        if kind not in table:
            raise InvalidInput(
                f"{kind!r:.40} is not a notification kind: one of {', '.join(table)}", field=kind
            )
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise InvalidInput(f"{kind}: {seconds!r:.40} is not a whole number of seconds")
        if not 0 < seconds <= MAX_DEADLINE_S:
            raise InvalidInput(f"{kind}: {seconds} s is not from 1 to {MAX_DEADLINE_S} s (30 days)")
        table[kind] = seconds
    return table


def asks(notification: Notification) -> bool:
    """Whether this version asks the parties it is shared with to acknowledge it: a live one
    does; completing or cancelling asks nothing more."""
    return notification.status in (Status.PLANNED, Status.ACTIVE) and bool(notification.share_with)


def deadline_of(notification: Notification, deadlines: Mapping[str, int]) -> datetime:
    """When this version must be acknowledged by: its time of change plus its kind's deadline
    (both nodes compute it from the owner's time, with their own settings)."""
    return notification.updated_at + timedelta(seconds=deadlines[notification.kind.value])


@dataclass(frozen=True, slots=True)
class Awaited:
    """One version of a notification, and one party that owes its acknowledgement."""

    notification: str
    version: int
    owner: str
    party: str
    deadline: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None

    def state(self, now: datetime) -> str:
        """``acknowledged``, ``overdue`` (past the deadline) or ``waiting``."""
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "overdue" if now > self.deadline else "waiting"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "notification": self.notification,
            "version": self.version,
            "owner": self.owner,
            "party": self.party,
            "deadline": format_utc(self.deadline),
            "state": self.state(now),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": (
                None if self.acknowledged_at is None else format_utc(self.acknowledged_at)
            ),
        }


@dataclass(frozen=True, slots=True)
class NotificationAck:
    """What crosses the line: a person (``by``) of the sending party acknowledged ``version``."""

    notification: str
    version: int
    by: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "notification": self.notification,
            "version": self.version,
            "by": self.by,
            "at": format_utc(self.at),
        }


def read_ack(body: Mapping[str, Any]) -> NotificationAck:
    """A ``notification_ack`` envelope's body."""
    if set(body) != {"notification", "version", "by", "at"}:
        raise InvalidInput(
            "a notification acknowledgement has exactly notification, version, by, at"
        )
    notification, version, by = body["notification"], body["version"], body["by"]
    _check_reference(notification, version)
    if not isinstance(by, str) or not 0 < len(by) <= 64:
        raise InvalidInput("by: an operator's name of 1 to 64 characters", field="by")
    return NotificationAck(notification, version, by, parse_utc(body["at"], field="at"))


def read_reminder(body: Mapping[str, Any]) -> tuple[str, int]:
    """A ``notification_reminder`` envelope's body: the notification and version awaited."""
    if set(body) != {"notification", "version", "deadline", "alarm"}:
        raise InvalidInput(
            "a notification reminder has exactly notification, version, deadline and alarm"
        )
    _check_reference(body["notification"], body["version"])
    parse_utc(body["deadline"], field="deadline")
    if isinstance(body["alarm"], bool) or not isinstance(body["alarm"], int):
        raise InvalidInput("alarm: a count of alarms", field="alarm")
    return body["notification"], body["version"]


def _check_reference(notification: object, version: object) -> None:
    if not isinstance(notification, str) or not notification.startswith("ntf_"):
        raise InvalidInput("notification: a notification's id", field="notification")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput("version: a version number from 1", field="version")
