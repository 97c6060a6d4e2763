"""/api/v1/line/not-applied: the envelopes received but not applied on this node's links that
wait for an officer's acknowledgement, and that acknowledgement (docs/line.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openline.api.deps import NodeDep, Operator, requires
from openline.api.schemas import (
    ENVELOPE_HASH,
    NotAppliedAcknowledged,
    NotAppliedAcknowledgement,
    NotAppliedList,
    NotAppliedPublic,
)
from openline.api.strict_json import StrictJSONRoute
from openline.domain.roles import Action
from openline.node.assembly import Node
from openline.services.not_applied import acknowledgements

router = APIRouter(prefix="/api/v1/line", tags=["line"], route_class=StrictJSONRoute)

# A peer of another version may send one unappliable envelope after another: the answer, and
# the console's banners, stay bounded; the oldest come first, and `total` counts them all.
MAX_LISTED = 1000

EnvelopeHash = Annotated[
    str, Path(pattern=ENVELOPE_HASH, description="The envelope's hash (SHA-256, in hex).")
]


@router.get("/not-applied", response_model=NotAppliedList, dependencies=requires(Action.READ))
def not_applied(
    node: NodeDep, _operator: Operator, limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 100
) -> NotAppliedList:
    waiting = node.not_applied.unacknowledged()
    return NotAppliedList(
        envelopes=[NotAppliedPublic(**held.to_json()) for held in waiting[:limit]],
        total=len(waiting),
    )


@router.post("/not-applied/{envelope_hash}/ack", dependencies=requires(Action.ACKNOWLEDGE))
async def acknowledge(
    envelope_hash: EnvelopeHash, node: NodeDep, operator: Operator
) -> NotAppliedPublic:
    (acknowledged,) = await _acknowledged(node, [envelope_hash], operator)
    return acknowledged


@router.post("/not-applied/ack", dependencies=requires(Action.ACKNOWLEDGE))
async def acknowledge_all(
    asked: NotAppliedAcknowledgement, node: NodeDep, operator: Operator
) -> NotAppliedAcknowledged:
    """Those the officer saw, at once (the console's "Acknowledge all"): each journaled as if
    acknowledged alone, all or none."""
    return NotAppliedAcknowledged(envelopes=await _acknowledged(node, asked.hashes, operator))


async def _acknowledged(node: Node, hashes: list[str], operator: str) -> list[NotAppliedPublic]:
    held = await node.write_async(acknowledgements(node, hashes, operator))
    return [NotAppliedPublic(**each.to_json()) for each in held]
