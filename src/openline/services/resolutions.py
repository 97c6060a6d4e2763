"""Resolving a conflict between two parties: proposals, counters and the agreed outcome.

A possible conflict found blind (docs/blind.md) is resolved the same way, under its own key:
neither side knows the other's notification, so an agreement names none to revise.

A proposal is stored, journaled (``conflict.proposed``) and sealed for the other party as a
``resolution`` envelope in one writer operation; the other party's node stores and journals it
as it arrives. Accepting one is journaled (``conflict.agreed``) on the accepting node and,
through the ``resolution_accept`` envelope, on the proposer's, with the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openline.domain.blind import PossibleConflict
from openline.domain.bodies import read_acceptance, read_proposal
from openline.domain.conflict_reports import other_owner
from openline.domain.conflicts import DetectedConflict, StoredConflict
from openline.domain.envelopes import Envelope
from openline.domain.errors import Conflict, InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.quoting import quote
from openline.domain.resolutions import (
    REVISING,
    Acceptance,
    Proposal,
    ProposalDraft,
    ProposalState,
    conflict_state,
)
from openline.node.assembly import Node
from openline.services.outbox import arrived_on, seal_for
from openline.store import blind as blind_store
from openline.store import notifications as notifications_store
from openline.store import resolutions as store
from openline.store.writer import Operation, UnitOfWork


def propose(node: Node, key: str, draft: ProposalDraft, operator: str) -> Operation[Proposal]:
    """Propose an outcome for a conflict, or counter the other party's proposal."""

    def run(uow: UnitOfWork) -> Proposal:
        other = _undecided(uow, key).other(node.party)
        waiting = [p for p in store.thread(uow.conn, key) if p.state is ProposalState.WAITING]
        countered = waiting[-1].id if waiting and waiting[-1].party == other else None
        now = node.clock()
        proposal = Proposal(
            node.new_id("rsl", now),
            key,
            draft.outcome,
            draft.text,
            draft.window,
            node.party,
            operator,
            now,
            countered,
        )
        store.insert_proposal(uow.conn, proposal)
        uow.record(JournalKind.CONFLICT_PROPOSED, proposal.record())
        seal_for(uow, node, other, "resolution", proposal.record())
        return proposal

    return run


def accept(node: Node, key: str, proposal_id: str, operator: str) -> Operation[Proposal]:
    """Accept the other party's proposal: the conflict is agreed on both nodes."""

    def run(uow: UnitOfWork) -> Proposal:
        conflict = _live(uow, key)
        proposal = store.get(uow.conn, proposal_id)
        if proposal is None or proposal.key != key:
            raise NotFound(f"no proposal {quote(proposal_id)} on conflict {key}", field="id")
        if proposal.party == node.party:
            raise Conflict(
                f"proposal {proposal_id} is {node.party}'s own: the other party accepts it",
                field="id",
            )
        if proposal.state is not ProposalState.WAITING:
            raise Conflict(f"proposal {proposal_id} is {proposal.state} already", field="id")
        accepted = proposal.accepted(operator, node.clock())
        _agree(uow, conflict, accepted, node.party)
        assert accepted.accepted_at is not None
        answer = Acceptance(key, proposal_id, operator, accepted.accepted_at)
        seal_for(uow, node, proposal.party, "resolution_accept", answer.to_json())
        return accepted

    return run


@dataclass(frozen=True)
class _Subject:
    """What a thread of proposals is about: a conflict, or a possible conflict found blind
    (``conflict`` None: this node knows only the other party)."""

    key: str
    state: str
    conflict: DetectedConflict | None
    party: str | None = None  # a possible conflict's other party

    def other(self, us: str) -> str:
        if self.conflict is None:
            assert self.party is not None
            return self.party
        return _other_party(self.conflict, us)

    def has(self, party: str) -> bool:
        if self.conflict is None:
            return party == self.party
        return party in (self.conflict.a.owner, self.conflict.b.owner)


def _subject(uow: UnitOfWork, key: str) -> _Subject | None:
    stored = notifications_store.get_conflict(uow.conn, key)
    if stored is not None:
        return _Subject(key, stored.state, stored.conflict)
    held = blind_store.get_possible(uow.conn, key)
    if held is not None:
        return _Subject(key, held.conflict.state, None, held.conflict.party)
    return None


def _undecided(uow: UnitOfWork, key: str) -> _Subject:
    """The conflict, not cleared and not agreed already (else a 404 or 409 naming the key)."""
    stored = _live(uow, key)
    if any(p.state is ProposalState.ACCEPTED for p in store.thread(uow.conn, key)):
        raise Conflict(f"conflict {key} is agreed already", field="key")
    return stored


def _live(uow: UnitOfWork, key: str) -> _Subject:
    """The conflict, not cleared (else a 404 or 409 naming the key)."""
    stored = _subject(uow, key)
    if stored is None:
        raise NotFound(f"no conflict {quote(key)} on this node", field="key")
    if stored.state == "cleared":
        raise Conflict(f"conflict {key} is cleared: its notifications no longer clash", field="key")
    return stored


def _other_party(conflict: DetectedConflict, us: str) -> str:
    other = other_owner(conflict, us)
    if other is None:
        raise Conflict(
            f"conflict {conflict.key} is between {conflict.a.owner} and {conflict.b.owner}: "
            f"{us} has no other party in it to agree with",
            field="key",
        )
    return other


def _agree(uow: UnitOfWork, subject: _Subject, accepted: Proposal, by: str) -> None:
    """Store and journal the agreement: the same data on both nodes."""
    store.accept(uow.conn, accepted)
    if subject.conflict is None:  # found blind: no notification of the other's to name
        record = {**_agreed(subject.key, accepted, by), "revise": None}
    else:
        record = agreement(subject.conflict, accepted, by)
    uow.record(JournalKind.CONFLICT_AGREED, record)


def _agreed(key: str, accepted: Proposal, by: str) -> dict[str, Any]:
    assert accepted.accepted_at is not None
    return {
        "key": key,
        "resolution": accepted.record(),
        "accepted_by": by,
        "operator": accepted.accepted_by,
        "at": accepted.to_json()["accepted_at"],
    }


def agreement(conflict: DetectedConflict, accepted: Proposal, by: str) -> dict[str, Any]:
    """What both nodes journal: the proposal, who accepted it and when, and the notification
    whose owner agreed to a delay, a reroute or a cancellation and so must revise it."""
    return {**_agreed(conflict.key, accepted, by), "revise": _to_revise(conflict, accepted, by)}


def _to_revise(conflict: DetectedConflict, accepted: Proposal, by: str) -> str | None:
    if accepted.outcome not in REVISING:
        return None
    side = conflict.a if conflict.a.owner == by else conflict.b
    return side.notification


# --- what the line brings in ---------------------------------------------------------------


def apply_proposal(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """The other party of a conflict proposes an outcome, or counters ours."""
    proposal = read_proposal(envelope.body, arrived_on(node, envelope))
    stored = _subject(uow, proposal.key)
    if stored is None:
        raise InvalidInput(f"no conflict {quote(proposal.key)} on {node.party}")
    if not stored.has(envelope.sender):
        raise InvalidInput(f"{envelope.sender} is no party of conflict {proposal.key}")
    if store.get(uow.conn, proposal.id) is not None:
        raise InvalidInput(f"proposal {quote(proposal.id)} is held already")
    store.insert_proposal(uow.conn, proposal)
    uow.record(JournalKind.CONFLICT_PROPOSED, proposal.record())


def apply_acceptance(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """The other party accepted our proposal."""
    answer = read_acceptance(envelope.body, arrived_on(node, envelope))
    proposal = store.get(uow.conn, answer.proposal)
    stored = _subject(uow, answer.key)
    if proposal is None or stored is None or proposal.key != answer.key:
        raise InvalidInput(f"no proposal {quote(answer.proposal)} on conflict {answer.key} here")
    if proposal.party != node.party or proposal.state is not ProposalState.WAITING:
        raise InvalidInput(f"proposal {answer.proposal} is not {node.party}'s, waiting")
    _agree(uow, stored, proposal.accepted(answer.by, answer.at), envelope.sender)


# --- reading -------------------------------------------------------------------------------


def thread(node: Node, key: str) -> list[Proposal]:
    known = node.read(
        lambda conn: (
            notifications_store.get_conflict(conn, key) or blind_store.get_possible(conn, key)
        )
    )
    if known is None:
        raise NotFound(f"no conflict {quote(key)} on this node", field="key")
    return node.read(lambda conn: store.thread(conn, key))


def with_resolutions(
    node: Node, conflicts: list[StoredConflict] | list[PossibleConflict]
) -> list[dict[str, Any]]:
    """Each conflict as the API shows it, its state read with its proposals: open, proposed,
    agreed or cleared; ``resolution`` the latest proposal (waiting or accepted), and
    ``revise`` the notification its owner agreed to revise."""
    threads = node.read(lambda conn: store.threads(conn, [c.key for c in conflicts]))
    return [_shown(stored, threads.get(stored.key, [])) for stored in conflicts]


def _shown(stored: StoredConflict | PossibleConflict, proposals: list[Proposal]) -> dict[str, Any]:
    current = (ProposalState.WAITING, ProposalState.ACCEPTED)  # not superseded, not closed
    latest = next((p for p in reversed(proposals) if p.state in current), None)
    revise = None
    accepted = latest is not None and latest.state is ProposalState.ACCEPTED
    if latest is not None and accepted and isinstance(stored, StoredConflict):
        accepting = other_owner(stored.conflict, latest.party)
        revise = None if accepting is None else _to_revise(stored.conflict, latest, accepting)
    return {
        **stored.to_json(),
        "state": conflict_state(stored.state, proposals),
        "resolution": None if latest is None else latest.to_json(),
        "revise": revise,
    }
