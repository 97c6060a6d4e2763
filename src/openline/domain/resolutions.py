"""Resolving a conflict: one party proposes an outcome, the other accepts it or counters.

A proposal names the conflict by its key (the same on both nodes), an outcome, a free text and,
for ``delay``, the new window. It crosses the line as a ``resolution`` envelope; accepting it
as a ``resolution_accept`` envelope. A new proposal on the same conflict, by either party,
supersedes the one waiting (a counter). A conflict's state reads ``open`` (nothing proposed),
``proposed`` (a proposal waits), ``agreed`` (one was accepted) or ``cleared`` (its
notifications no longer clash, whatever was said). A conflict that clears and opens again
starts a new thread: the proposals of its earlier opening are ``closed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from openline.domain.conflicts import TimeWindow
from openline.domain.errors import InvalidInput
from openline.domain.timeutil import format_utc, parse_utc

MAX_TEXT_CHARS = 2000


class Outcome(StrEnum):
    PROCEED = "proceed"  # both go ahead, with coordination
    JOINT = "joint"  # one operation, planned together
    DELAY = "delay"  # one goes later: the new window
    REROUTE = "reroute"
    CANCEL = "cancel"
    OBJECT = "object"  # the proposer objects to the other's operation


# An owner who agrees to one of these has a notification to revise (or cancel).
REVISING = frozenset({Outcome.DELAY, Outcome.REROUTE, Outcome.CANCEL})


class ProposalState(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"  # countered by a later proposal
    CLOSED = "closed"  # made before the conflict cleared and opened again: a past episode


@dataclass(frozen=True, slots=True)
class ProposalDraft:
    """What an operator proposes, checked."""

    outcome: Outcome
    text: str
    window: TimeWindow | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposal as both nodes hold it, and as the ``resolution`` envelope carries it (without
    ``state`` and the acceptance, which each node keeps)."""

    id: str
    key: str
    outcome: Outcome
    text: str
    window: TimeWindow | None
    party: str
    by: str
    at: datetime
    counters: str | None = None
    state: ProposalState = ProposalState.WAITING
    accepted_by: str | None = None  # the operator of the other party
    accepted_at: datetime | None = None

    def record(self) -> dict[str, Any]:
        """What crosses the line and the journal keeps."""
        return {
            "id": self.id,
            "key": self.key,
            "outcome": self.outcome.value,
            "text": self.text,
            "window": None if self.window is None else self.window.to_json(),
            "party": self.party,
            "by": self.by,
            "at": format_utc(self.at),
            "counters": self.counters,
        }

    def to_json(self) -> dict[str, Any]:
        """As the API shows it."""
        return {
            **self.record(),
            "state": self.state.value,
            "accepted_by": self.accepted_by,
            "accepted_at": None if self.accepted_at is None else format_utc(self.accepted_at),
        }

    def accepted(self, by: str, at: datetime) -> Proposal:
        return replace(self, state=ProposalState.ACCEPTED, accepted_by=by, accepted_at=at)


def parse_draft(body: Mapping[str, Any], *, max_text_bytes: int) -> ProposalDraft:
    """An operator's proposal: ``outcome``, ``text``, and ``window`` for (and only for) a delay."""
    unknown = sorted(set(body) - {"outcome", "text", "window"})
    if unknown:
        raise InvalidInput(
            f"unknown member {unknown[0]!r:.40}; expected outcome, text, window", field=unknown[0]
        )
    outcome = _outcome(body.get("outcome"))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("text: say what is proposed, in a few words", field="text")
    if len(text) > MAX_TEXT_CHARS or len(text.encode()) > max_text_bytes:
        raise InvalidInput(
            f"text: {len(text)} characters, over the limit of {MAX_TEXT_CHARS}", field="text"
        )
    window = body.get("window")
    if outcome is Outcome.DELAY and window is None:
        raise InvalidInput("window: a delay gives its new window {start, end}", field="window")
    if outcome is not Outcome.DELAY and window is not None:
        raise InvalidInput(f"window: only a delay gives a window, not {outcome}", field="window")
    return ProposalDraft(outcome, text, None if window is None else read_window(window))


def _outcome(value: object) -> Outcome:
    if isinstance(value, str) and value in Outcome.__members__.values():
        return Outcome(value)
    raise InvalidInput(
        f"outcome: {value!r:.40} is not one of {', '.join(Outcome)}", field="outcome"
    )


def read_window(value: object) -> TimeWindow:
    if not isinstance(value, Mapping) or set(value) != {"start", "end"}:
        raise InvalidInput("window: give exactly {start, end}", field="window")
    if not isinstance(value["start"], str) or not isinstance(value["end"], str):
        raise InvalidInput("window: start and end are ISO 8601 date-times", field="window")
    start = parse_utc(value["start"], field="window.start")
    end = parse_utc(value["end"], field="window.end")
    if end <= start:
        raise InvalidInput(
            f"window.end {format_utc(end)} is not after window.start {format_utc(start)}",
            field="window.end",
        )
    return TimeWindow(start, end)


def read_proposal(body: Mapping[str, Any], sender: str) -> Proposal:
    """A ``resolution`` envelope's body, from ``sender``."""
    members = {"id", "key", "outcome", "text", "window", "party", "by", "at", "counters"}
    if set(body) != members:
        raise InvalidInput(f"a proposal has exactly {', '.join(sorted(members))}")
    draft = parse_draft(
        {k: body[k] for k in ("outcome", "text", "window") if body[k] is not None},
        max_text_bytes=4 * MAX_TEXT_CHARS,
    )
    for name in ("id", "key", "party", "by"):
        if not isinstance(body[name], str) or not 0 < len(body[name]) <= 64:
            raise InvalidInput(f"{name}: text of 1 to 64 characters", field=name)
    if body["party"] != sender:
        raise InvalidInput(f"a proposal of {body['party']} in an envelope from {sender}")
    if body["counters"] is not None and not isinstance(body["counters"], str):
        raise InvalidInput("counters: a proposal's id or null", field="counters")
    return Proposal(
        body["id"],
        body["key"],
        draft.outcome,
        draft.text,
        draft.window,
        body["party"],
        body["by"],
        parse_utc(body["at"], field="at"),
        body["counters"],
    )


@dataclass(frozen=True, slots=True)
class Acceptance:
    """What crosses the line when a party accepts a proposal."""

    key: str
    proposal: str
    by: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "proposal": self.proposal,
            "by": self.by,
            "at": format_utc(self.at),
        }


def read_acceptance(body: Mapping[str, Any]) -> Acceptance:
    """A ``resolution_accept`` envelope's body."""
    if set(body) != {"key", "proposal", "by", "at"}:
        raise InvalidInput("an acceptance has exactly key, proposal, by and at")
    for name in ("key", "proposal", "by"):
        if not isinstance(body[name], str) or not 0 < len(body[name]) <= 64:
            raise InvalidInput(f"{name}: text of 1 to 64 characters", field=name)
    return Acceptance(body["key"], body["proposal"], body["by"], parse_utc(body["at"], field="at"))


def conflict_state(stored_state: str, thread: Sequence[Proposal]) -> str:
    """``cleared`` once the notifications no longer clash; else ``agreed`` if a proposal was
    accepted, ``proposed`` if one waits, ``open`` if none was made."""
    if stored_state == "cleared":
        return "cleared"
    if any(p.state is ProposalState.ACCEPTED for p in thread):
        return "agreed"
    if any(p.state is ProposalState.WAITING for p in thread):
        return "proposed"
    return "open"
