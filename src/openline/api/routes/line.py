"""/api/v1/line/not-applied: the envelopes received but not applied on this node's links that
wait for an officer's acknowledgement, and that acknowledgement (docs/line.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openline.api.deps import NodeDep, Operator, requires
from openline.api.schemas import NotAppliedList, NotAppliedPublic
from openline.domain.roles import Action
from openline.services.not_applied import acknowledgement

router = APIRouter(prefix="/api/v1/line", tags=["line"])

# A peer of another version may send one unappliable envelope after another: the answer, and
# the console's banners, stay bounded; the oldest come first, and `total` counts them all.
MAX_LISTED = 1000

EnvelopeHash = Annotated[
    str, Path(pattern=r"^[0-9a-f]{64}$", description="The envelope's hash (SHA-256, in hex).")
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


@router.post(
    "/not-applied/{envelope_hash}/ack",
    response_model=NotAppliedPublic,
    dependencies=requires(Action.ACKNOWLEDGE),
)
async def acknowledge(
    envelope_hash: EnvelopeHash, node: NodeDep, operator: Operator
) -> NotAppliedPublic:
    held = await node.write_async(acknowledgement(node, envelope_hash, operator))
    return NotAppliedPublic(**held.to_json())
