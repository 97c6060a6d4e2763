"""What the body of each kind of envelope must be for its receiver to take it.

One set of rules, read twice: by the receiver when an envelope arrives (``line/receiver.py``
and the use cases it calls), and by the sender before it seals one (``services/outbox.py``),
so a node never sends what it would itself refuse. What depends on the receiver's records (a
message already held, a notification's newer version) is checked on arrival only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openline.domain import acknowledgements, blind, conflict_reports, resolutions
from openline.domain.errors import InvalidInput
from openline.domain.messages import Message
from openline.domain.notifications import Notification
from openline.domain.rotations import Rotation, read_rotation
from openline.domain.timeutil import parse_utc
from openline.domain.tracks import TrackReport, parse_reports
from openline.domain.volumes import Limits
from openline.domain.witnessing import read_offer, read_reply

NOTIFICATION_LIMITS = Limits()


@dataclass(frozen=True)
class Link:
    """Who sends a body to whom, and the receiver's limit on free text."""

    sender: str
    receiver: str
    max_text_bytes: int


@dataclass(frozen=True)
class Ack:
    message_id: str
    by: str
    at: datetime


def read_message(body: Mapping[str, Any], link: Link) -> Message:
    message = Message.from_json(body, max_text_bytes=link.max_text_bytes)
    if message.sender != link.sender:
        raise InvalidInput(f"a message from {message.sender} in an envelope from {link.sender}")
    if message.recipient(link.receiver) is None:
        raise InvalidInput(f"message {message.id} is addressed to {', '.join(message.to)}")
    return message


def read_ack(body: Mapping[str, Any], _link: Link) -> Ack:
    if set(body) != {"message_id", "by", "at"} or not all(
        isinstance(v, str) and v for v in body.values()
    ):
        raise InvalidInput("an acknowledgement has exactly message_id, by and at, as text")
    return Ack(body["message_id"], body["by"], parse_utc(body["at"], field="at"))


def read_reminder(body: Mapping[str, Any], _link: Link) -> str:
    """The id of the message a reminder is about."""
    if set(body) != {"message_id", "deadline", "alarm"}:
        raise InvalidInput("a reminder has exactly message_id, deadline and alarm")
    return str(body["message_id"])


def read_notification(body: Mapping[str, Any], link: Link) -> Notification:
    try:
        notification = Notification.from_json(body, limits=NOTIFICATION_LIMITS)
    except InvalidInput as exc:
        raise InvalidInput(f"notification: {exc.message}", field=exc.field) from None
    if notification.owner != link.sender:
        raise InvalidInput(
            f"notification {notification.id} of {notification.owner} in an envelope from "
            f"{link.sender}"
        )
    if link.receiver not in notification.share_with:
        raise InvalidInput(f"notification {notification.id} is not shared with {link.receiver}")
    if notification.blind_with:  # an owner's own record, never sent (docs/blind.md)
        raise InvalidInput(f"notification {notification.id} names the parties it is blind with")
    return notification


def read_tracks(body: Mapping[str, Any], link: Link) -> list[TrackReport]:
    if set(body) != {"tracks"}:
        raise InvalidInput(f"track: the body holds {sorted(body)}, not ['tracks']")
    try:
        return parse_reports(body["tracks"], party=link.sender)
    except InvalidInput as exc:
        raise InvalidInput(f"track: {exc.message}", field=exc.field) from None


def read_notification_ack(body: Mapping[str, Any], _link: Link) -> acknowledgements.NotificationAck:
    return acknowledgements.read_ack(body)


def read_notification_reminder(body: Mapping[str, Any], _link: Link) -> tuple[str, int]:
    return acknowledgements.read_reminder(body)


def read_proposal(body: Mapping[str, Any], link: Link) -> resolutions.Proposal:
    return resolutions.read_proposal(body, link.sender)


def read_acceptance(body: Mapping[str, Any], _link: Link) -> resolutions.Acceptance:
    return resolutions.read_acceptance(body)


def read_conflict_report(body: Mapping[str, Any], link: Link) -> conflict_reports.ConflictReport:
    return conflict_reports.read_report(body, link.sender, link.receiver)


def read_key_rotation(body: Mapping[str, Any], link: Link) -> Rotation:
    return read_rotation(body, link.sender)  # its two signatures: keys/rotation.py


def _run_body(kind: str) -> Callable[[Mapping[str, Any], Link], blind.RunBody]:
    """The reader of one of a blind run's bodies (domain/blind.py)."""
    return lambda body, _link: blind.read_run_body(kind, body, blind.MAX_POINTS)


def _anything(_body: Mapping[str, Any], _link: Link) -> None:
    """Line checks and their replies: the receiver reads nothing of the body."""


READERS: dict[str, Callable[[Mapping[str, Any], Link], object]] = {
    "message": read_message,
    "ack": read_ack,
    "reminder": read_reminder,
    "line_check": _anything,
    "line_check_reply": _anything,
    "notification": read_notification,
    "notification_update": read_notification,
    "track": read_tracks,
    "checkpoint": read_offer,  # witnessing: domain/witnessing.py
    "cosignature": read_reply,
    "notification_ack": read_notification_ack,  # domain/acknowledgements.py
    "notification_reminder": read_notification_reminder,
    "resolution": read_proposal,  # domain/resolutions.py
    "resolution_accept": read_acceptance,
    "conflict_report": read_conflict_report,  # domain/conflict_reports.py
    "key_rotation": read_key_rotation,  # domain/rotations.py
    "blind_offer": _run_body("blind_offer"),  # domain/blind.py
    "blind_reply": _run_body("blind_reply"),
    "blind_finish": _run_body("blind_finish"),
}


def check_body(kind: str, body: Mapping[str, Any], link: Link) -> None:
    """Refuse (``InvalidInput``) a body of ``kind`` that the receiver would refuse on arrival."""
    reader = READERS.get(kind)
    if reader is None:
        raise InvalidInput(f"no node takes {kind} envelopes")
    reader(body, link)
