"""Messages: what operators send across the line, and the states each one goes through.

A message has one sender party and one or more recipient parties. Each recipient has its own
delivery state (queued, delivered, acknowledged); the message's state, as the sender sees it,
is derived from them and from the acknowledgement deadline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from openline.domain.errors import Conflict, InvalidInput
from openline.domain.parties import check_party_code
from openline.domain.phrasebook import FREE_TEXT, check_fields, get_template
from openline.domain.precedence import Precedence, ack_deadline, parse_precedence
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc, parse_utc

MAX_RECIPIENTS = 16


class State(StrEnum):
    """Where a message stands. ``overdue`` is derived: past its deadline, not acknowledged."""

    QUEUED = "queued"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Recipient:
    """One recipient party of a message and how far the message got with it."""

    party: str
    state: State = State.QUEUED
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


_RECORD_KEYS = frozenset(
    (
        "id",
        "from",
        "to",
        "precedence",
        "template",
        "fields",
        "in_reply_to",
        "created_at",
        "deadline",
        "created_by",
    )
)


@dataclass(frozen=True)
class Message:
    """A message as both nodes hold it: the sender's fields, never a translation."""

    id: str
    sender: str
    precedence: Precedence
    template: str
    fields: Mapping[str, Any]
    created_at: datetime
    deadline: datetime
    created_by: str
    recipients: tuple[Recipient, ...]
    in_reply_to: str | None = None

    @property
    def to(self) -> tuple[str, ...]:
        return tuple(r.party for r in self.recipients)

    def recipient(self, party: str) -> Recipient | None:
        return next((r for r in self.recipients if r.party == party), None)

    def to_json(self) -> dict[str, Any]:
        """The message as the journal keeps it and the line carries it: everything needed to
        prove what was said, and nothing of any recipient's state."""
        return {
            "id": self.id,
            "from": self.sender,
            "to": list(self.to),
            "precedence": self.precedence.value,
            "template": self.template,
            "fields": dict(self.fields),
            "in_reply_to": self.in_reply_to,
            "created_at": format_utc(self.created_at),
            "deadline": format_utc(self.deadline),
            "created_by": self.created_by,
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any], *, max_text_bytes: int) -> Message:
        """A message received from another node (as :meth:`to_json` wrote it), checked as
        strictly as one composed here.

        The sender's deadline is kept, so both sides count down to the same instant.
        """
        if set(record) != _RECORD_KEYS:
            raise InvalidInput(f"a message record has exactly the members {sorted(_RECORD_KEYS)}")
        template = get_template(record["template"])
        in_reply_to = record["in_reply_to"]
        if in_reply_to is not None and not isinstance(in_reply_to, str):
            raise InvalidInput(f"in_reply_to {quote(in_reply_to)} is not a message id")
        for key in ("id", "created_by"):
            if not isinstance(record[key], str) or not record[key]:
                raise InvalidInput(f"{key} {quote(record[key])} is not valid")
        return cls(
            id=record["id"],
            sender=check_party_code(record["from"], field="from"),
            precedence=parse_precedence(record["precedence"]),
            template=template.name,
            fields=check_fields(template, record["fields"], max_text_bytes=max_text_bytes),
            created_at=parse_utc(record["created_at"], field="created_at"),
            deadline=parse_utc(record["deadline"], field="deadline"),
            created_by=record["created_by"],
            recipients=tuple(Recipient(party) for party in check_recipients(record["to"])),
            in_reply_to=in_reply_to,
        )


@dataclass(frozen=True)
class Draft:
    """What an operator asks to send, before it is checked."""

    to: Sequence[str]
    precedence: str
    template: str
    fields: Mapping[str, Any]
    in_reply_to: str | None = None
    fields_named_as: str = "fields."  # how errors name a field: the key the client sent


def free_text_draft(
    to: Sequence[str], precedence: str, text: str, lang: str, in_reply_to: str | None = None
) -> Draft:
    """Free text is the ``free-text`` template: it crosses unchanged, marked with its language."""
    return Draft(to, precedence, FREE_TEXT, {"text": text, "lang": lang}, in_reply_to, "")


def check_recipients(to: object) -> tuple[str, ...]:
    """One to MAX_RECIPIENTS distinct party codes, in alphabetical order."""
    if isinstance(to, str) or not isinstance(to, Sequence) or not to:
        raise InvalidInput("to: name at least one recipient party, as a list", field="to")
    if len(to) > MAX_RECIPIENTS:
        raise InvalidInput(
            f"to: {len(to)} recipients, over the limit of {MAX_RECIPIENTS}", field="to"
        )
    codes = tuple(check_party_code(code, field="to") for code in to)
    if len(set(codes)) != len(codes):
        raise InvalidInput(f"to: a party is named twice in {list(codes)}", field="to")
    return tuple(sorted(codes))  # one canonical order, the same in the journal and everywhere


def compose(
    draft: Draft,
    *,
    message_id: str,
    sender: str,
    created_by: str,
    now: datetime,
    deadlines: Mapping[Precedence, int],
    max_text_bytes: int,
) -> Message:
    """Check a draft against the phrasebook and turn it into a message, queued for everyone."""
    recipients = check_recipients(draft.to)
    precedence = parse_precedence(draft.precedence)
    template = get_template(draft.template)
    fields = check_fields(
        template, draft.fields, max_text_bytes=max_text_bytes, prefix=draft.fields_named_as
    )
    if template.answers_message and not draft.in_reply_to:
        raise InvalidInput(
            f"in_reply_to: {template.name} answers a message; name the message it answers",
            field="in_reply_to",
        )
    return Message(
        id=message_id,
        sender=sender,
        precedence=precedence,
        template=template.name,
        fields=fields,
        created_at=now,
        deadline=now + ack_deadline(precedence, deadlines),
        created_by=created_by,
        recipients=tuple(Recipient(party) for party in recipients),
        in_reply_to=draft.in_reply_to,
    )


def recipient_state(recipient: Recipient, deadline: datetime, now: datetime) -> State:
    """A recipient's state, ``overdue`` once the deadline passed without acknowledgement."""
    if recipient.state is not State.ACKNOWLEDGED and now > deadline:
        return State.OVERDUE
    return recipient.state


def message_state(message: Message, now: datetime) -> State:
    """The state the sender sees: the least advanced of its recipients, overdue first."""
    states = {recipient_state(r, message.deadline, now) for r in message.recipients}
    for state in (State.OVERDUE, State.QUEUED, State.DELIVERED):
        if state in states:
            return state
    return State.ACKNOWLEDGED


def _update_recipient(message: Message, party: str, **changes: Any) -> Message:
    recipients = tuple(replace(r, **changes) if r.party == party else r for r in message.recipients)
    return replace(message, recipients=recipients)


def deliver(message: Message, party: str, now: datetime) -> Message:
    """Record delivery to ``party``; delivering twice changes nothing."""
    recipient = _require_recipient(message, party)
    if recipient.state is not State.QUEUED:
        return message
    return _update_recipient(message, party, state=State.DELIVERED, delivered_at=now)


def acknowledge(message: Message, party: str, operator: str, now: datetime) -> Message:
    """Record that an operator of ``party`` read and understood the message.

    Acknowledging twice changes nothing; a message not yet delivered cannot be acknowledged.
    """
    recipient = _require_recipient(message, party)
    if recipient.state is State.ACKNOWLEDGED:
        return message
    if recipient.state is State.QUEUED:
        raise Conflict(f"message {message.id} has not been delivered to {party} yet")
    return _update_recipient(
        message, party, state=State.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=operator
    )


def _require_recipient(message: Message, party: str) -> Recipient:
    recipient = message.recipient(party)
    if recipient is None:
        raise Conflict(
            f"message {message.id} is addressed to {', '.join(message.to)}, not to {party}"
        )
    return recipient
