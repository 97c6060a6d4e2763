"""One conflict, the same on both sides: what an owner's node tells the other owner's node of a
conflict between their notifications that it opened or cleared.

Each node finds conflicts at the moment each change reaches it, so when both owners revise at
the same time, a conflict may open and clear again on one node only (it held the other's old
version a moment longer). So that both journals hold every conflict either side saw, the node
that opens or clears a conflict between its own party's notification and a notification of the
party it shares that notification with sends that party a ``conflict_report`` envelope; the
other node journals what it had not journaled itself (services/notifications.py,
docs/deconfliction.md#sharing-over-the-line-and-the-same-result-on-both-sides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from openline.domain.conflicts import DetectedConflict, conflict_key
from openline.domain.errors import InvalidInput
from openline.domain.timeutil import format_utc, parse_utc

Event = Literal["opened", "cleared"]
EVENTS = ("opened", "cleared")
# What a clearing says of the change that cleared it (as the conflict.cleared entry).
CAUSE = ("because", "status", "version")


@dataclass(frozen=True, slots=True)
class ConflictReport:
    """A conflict its sender's node opened or cleared, at ``at`` (its own time)."""

    event: Event
    at: str
    conflict: DetectedConflict
    cause: Mapping[str, Any]  # a clearing's because, status and version; empty for an opening

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "at": self.at,
            "conflict": self.conflict.to_json(),
            **self.cause,
        }


def other_owner(conflict: DetectedConflict, party: str) -> str | None:
    """The owner of the conflict's other notification, if ``party`` owns one of them and that
    owner is another party; else None."""
    owners = (conflict.a.owner, conflict.b.owner)
    if party not in owners or owners[0] == owners[1]:
        return None
    return owners[1] if owners[0] == party else owners[0]


def read_report(body: Mapping[str, Any], sender: str, receiver: str) -> ConflictReport:
    """A ``conflict_report`` envelope's body: a conflict between a notification of ``sender``
    and one of ``receiver``."""
    event = body.get("event")
    if event not in EVENTS:
        raise InvalidInput(f"event: {event!r:.40} is not one of {', '.join(EVENTS)}", field="event")
    expected = {"event", "at", "conflict", *(CAUSE if event == "cleared" else ())}
    if set(body) != expected:
        raise InvalidInput(
            f"a conflict report of a conflict {event} has exactly {', '.join(sorted(expected))}"
        )
    at = format_utc(parse_utc(body["at"], field="at"))
    try:
        conflict = DetectedConflict.from_json(body["conflict"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidInput(
            f"conflict: not a conflict record ({error!s:.80})", field="conflict"
        ) from None
    if conflict.key != conflict_key(conflict.a.notification, conflict.b.notification):
        raise InvalidInput(
            f"conflict: {conflict.key!r:.40} is not its notifications' key", field="conflict"
        )
    if other_owner(conflict, sender) != receiver:
        raise InvalidInput(
            f"conflict: {conflict.key} is not between a notification of {sender} and one of "
            f"{receiver}",
            field="conflict",
        )
    cause = {name: body[name] for name in CAUSE if name in body}
    if cause and not (
        isinstance(cause["because"], str)
        and cause["because"] in (conflict.a.notification, conflict.b.notification)
        and isinstance(cause["status"], str)
        and isinstance(cause["version"], int)
    ):
        raise InvalidInput(
            "because, status, version: the notification of the conflict whose change cleared "
            "it, its status and version",
            field="because",
        )
    return ConflictReport(event, at, conflict, cause)
