"""The proposals made to resolve conflicts, under each conflict's key."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from openline.domain.resolutions import Proposal, ProposalState, read_proposal
from openline.domain.timeutil import format_utc, parse_utc
from openline.store.tables import conflict_resolutions


def _proposal(row: Row[Any]) -> Proposal:
    record = json.loads(row.record)
    proposal = read_proposal(record, record["party"])  # stored as it was checked
    accepted_at = None if row.accepted_at is None else parse_utc(row.accepted_at)
    return replace(
        proposal,
        state=ProposalState(row.state),
        accepted_by=row.accepted_by,
        accepted_at=accepted_at,
    )


def insert_proposal(conn: Connection, proposal: Proposal) -> None:
    """Store a proposal; the one it supersedes (any waiting on the conflict) is marked so."""
    conn.execute(
        update(conflict_resolutions)
        .where(
            (conflict_resolutions.c.key == proposal.key)
            & (conflict_resolutions.c.state == ProposalState.WAITING.value)
        )
        .values(state=ProposalState.SUPERSEDED.value)
    )
    conn.execute(
        insert(conflict_resolutions).values(
            id=proposal.id,
            key=proposal.key,
            record=json.dumps(proposal.record(), ensure_ascii=False),
            state=ProposalState.WAITING.value,
        )
    )


def close_thread(conn: Connection, key: str) -> None:
    """The conflict opens (again): the proposals of an earlier opening are closed, so that
    its state reads open and a new thread can begin."""
    conn.execute(
        update(conflict_resolutions)
        .where(
            (conflict_resolutions.c.key == key)
            & conflict_resolutions.c.state.in_(
                (ProposalState.WAITING.value, ProposalState.ACCEPTED.value)
            )
        )
        .values(state=ProposalState.CLOSED.value)
    )


def accept(conn: Connection, proposal: Proposal) -> None:
    assert proposal.accepted_at is not None
    conn.execute(
        update(conflict_resolutions)
        .where(conflict_resolutions.c.id == proposal.id)
        .values(
            state=ProposalState.ACCEPTED.value,
            accepted_by=proposal.accepted_by,
            accepted_at=format_utc(proposal.accepted_at),
        )
    )


def get(conn: Connection, proposal_id: str) -> Proposal | None:
    row = conn.execute(
        select(conflict_resolutions).where(conflict_resolutions.c.id == proposal_id)
    ).first()
    return None if row is None else _proposal(row)


def thread(conn: Connection, key: str) -> list[Proposal]:
    """A conflict's proposals, oldest first."""
    query = (
        select(conflict_resolutions)
        .where(conflict_resolutions.c.key == key)
        .order_by(conflict_resolutions.c.id)
    )
    return [_proposal(row) for row in conn.execute(query)]


def threads(conn: Connection, keys: Iterable[str]) -> dict[str, list[Proposal]]:
    """The threads of several conflicts, for a list of them."""
    found: dict[str, list[Proposal]] = {}
    wanted = list(keys)
    for start in range(0, len(wanted), 500):
        query = (
            select(conflict_resolutions)
            .where(conflict_resolutions.c.key.in_(wanted[start : start + 500]))
            .order_by(conflict_resolutions.c.id)
        )
        for row in conn.execute(query):
            found.setdefault(row.key, []).append(_proposal(row))
    return found
