"""/api/v1/node and /api/v1/journal: who this node is, and its record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openline import __version__
from openline.api.deps import LineDep, NodeDep, Operator, requires
from openline.api.schemas import CardPublic, JournalHead, JournalPage, NodePublic, PeerPublic
from openline.domain.journal import MAX_SEQ
from openline.domain.roles import Action
from openline.services.journal import journal_about_message, journal_head, journal_page

router = APIRouter(prefix="/api/v1", tags=["node"])


@router.get("/node", response_model=NodePublic, dependencies=requires(Action.READ))
def node_info(node: NodeDep, line: LineDep, _operator: Operator) -> NodePublic:
    seq, head_hash = journal_head(node)
    return NodePublic(
        party=CardPublic(**node.card().model_dump()),
        peers=[PeerPublic(**state.to_json()) for state in line.snapshot()],
        journal=JournalHead(seq=seq, hash=head_hash),
        version=__version__,
    )


@router.get("/journal", response_model=JournalPage, dependencies=requires(Action.READ))
def journal(
    node: NodeDep,
    _operator: Operator,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    about: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9_-]{1,64}$",
            description="Only the entries about this message (its id), however far back.",
        ),
    ] = None,
) -> JournalPage:
    if about is not None:
        entries, seq, head_hash = journal_about_message(node, about, after, limit)
    else:
        entries, seq, head_hash = journal_page(node, after, limit)
    return JournalPage(entries=entries, head=JournalHead(seq=seq, hash=head_hash))
