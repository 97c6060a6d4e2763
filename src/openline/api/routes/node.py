"""/api/v1/node and /api/v1/journal: who this node is, and its record."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query

from openline import __version__
from openline.api.deps import LeadershipDep, LineDep, NodeDep, Operator, requires
from openline.api.schemas import (
    CardPublic,
    JournalHead,
    JournalPage,
    JournalProof,
    NodePublic,
    PeerPublic,
)
from openline.domain.errors import InvalidInput
from openline.domain.journal import MAX_SEQ, EntryFilter
from openline.domain.quoting import quote
from openline.domain.roles import Action
from openline.services.journal import (
    journal_about_message,
    journal_head,
    journal_page,
    prove_entry,
)

MAX_KIND_FILTERS = 40
MAX_SEARCH_CHARS = 200
KIND_FILTER = re.compile(r"^[a-z][a-z_]*(\.[a-z_]*)?$")

router = APIRouter(prefix="/api/v1", tags=["node"])


@router.get("/node", response_model=NodePublic, dependencies=requires(Action.READ))
def node_info(
    node: NodeDep, line: LineDep, leadership: LeadershipDep, _operator: Operator
) -> NodePublic:
    seq, head_hash = journal_head(node)
    return NodePublic(
        party=CardPublic(**node.card().model_dump()),
        **leadership.view(),
        peers=[PeerPublic(**state.to_json()) for state in line.snapshot()],
        journal=JournalHead(seq=seq, hash=head_hash),
        version=__version__,
        ready=node.ready,
    )


@router.get("/journal", response_model=JournalPage, dependencies=requires(Action.READ))
def journal(
    node: NodeDep,
    _operator: Operator,
    *,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    about: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9_-]{1,64}$",
            description="Only the entries about this message (its id), however far back.",
        ),
    ] = None,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_SEQ + 1,
            description="The last `limit` entries before this one (a page back) instead of "
            "the first `limit` after `after`.",
        ),
    ] = None,
    kind: Annotated[
        list[str],
        Query(
            max_length=MAX_KIND_FILTERS,
            description="Only entries of these kinds; a kind ending in a dot (`message.`) "
            "names every kind under it. Repeatable.",
        ),
    ] = [],  # noqa: B006 - FastAPI copies a list default for each request
    hide: Annotated[
        list[str],
        Query(
            max_length=MAX_KIND_FILTERS,
            description="Leave out entries of these kinds, named as for `kind` "
            "(`hide=envelope.` hides the line checks). Repeatable.",
        ),
    ] = [],  # noqa: B006
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SEARCH_CHARS,
            description="Only entries whose kind or data holds this text, ignoring case.",
        ),
    ] = None,
) -> JournalPage:
    if about is not None:
        if before is not None or kind or hide or q is not None:
            raise InvalidInput(
                "about: a message's entries take no before, kind, hide or q", field="about"
            )
        entries, seq, head_hash = journal_about_message(node, about, after, limit)
    else:
        only = EntryFilter(kinds=_kinds(kind, "kind"), hidden=_kinds(hide, "hide"), text=q)
        entries, seq, head_hash = journal_page(node, after, limit, before=before, only=only)
    return JournalPage(entries=entries, head=JournalHead(seq=seq, hash=head_hash))


@router.get("/journal/{seq}/proof", response_model=JournalProof, dependencies=requires(Action.READ))
def journal_proof(
    node: NodeDep,
    _operator: Operator,
    seq: Annotated[int, Path(ge=1, le=MAX_SEQ, description="The entry to prove.")],
) -> JournalProof:
    """A self-contained proof of one entry, as `openline journal prove` writes it: the entry,
    its inclusion proof, the checkpoint with every cosignature held, the node's card."""
    return JournalProof(**prove_entry(node, seq))


def _kinds(values: list[str], name: str) -> tuple[str, ...]:
    """Kind filters as given, or a 422 naming the parameter and the value that is not a kind."""
    for value in values:
        if not KIND_FILTER.fullmatch(value):
            raise InvalidInput(
                f"{name}: {quote(value)} is not a journal kind or a kind prefix ending in '.'",
                field=name,
            )
    return tuple(values)
