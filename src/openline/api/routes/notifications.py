"""/api/v1/notifications and /api/v1/conflicts: notify, revise, withdraw, acknowledge a peer's
notification; list conflicts, propose and accept their resolution."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from openline.api.deps import NodeDep, Operator, requires
from openline.api.schemas import (
    AcknowledgementList,
    AcknowledgementPublic,
    ConflictList,
    ConflictPublic,
    DiscloseRequest,
    MessageCreate,
    NotificationCreate,
    NotificationList,
    NotificationPublic,
    PossibleConflictPublic,
    ProposalCreate,
    ProposalList,
    ProposalPublic,
    StatusChange,
)
from openline.api.strict_json import StrictJSONRoute
from openline.domain.conflicts import StoredConflict
from openline.domain.notifications import Notification, Status
from openline.domain.resolutions import Proposal, parse_draft
from openline.domain.roles import Action
from openline.node.assembly import Node
from openline.services import acknowledgements, blind, resolutions
from openline.services import notifications as service

router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], route_class=StrictJSONRoute
)
conflicts_router = APIRouter(
    prefix="/api/v1/conflicts", tags=["conflicts"], route_class=StrictJSONRoute
)


def _public(
    notification: Notification, conflicts: list[StoredConflict] | None = None
) -> NotificationPublic:
    record = notification.to_json()
    return NotificationPublic.model_validate({**record, "conflicts": conflicts})


def _with_conflicts(
    node: Node, notification: Notification, conflicts: list[StoredConflict]
) -> NotificationPublic:
    listed = [ConflictPublic.of(c) for c in resolutions.with_resolutions(node, conflicts)]
    return NotificationPublic.model_validate({**notification.to_json(), "conflicts": listed})


@router.post(
    "", status_code=201, response_model=NotificationPublic, dependencies=requires(Action.NOTIFY)
)
async def notify(
    body: NotificationCreate, node: NodeDep, operator: Operator, response: Response
) -> NotificationPublic:
    draft = service.parse_draft(body.model_dump())
    # Made in a thread: a blind notification's runs are prepared there, outside the writer.
    creation = await asyncio.to_thread(service.create, node, draft, operator)
    notification, conflicts = await node.write_async(creation)
    response.headers["Location"] = f"{router.prefix}/{notification.id}"
    return _with_conflicts(node, notification, conflicts)


@router.get("", response_model=NotificationList, dependencies=requires(Action.READ))
def list_notifications(
    node: NodeDep,
    _operator: Operator,
    status: Literal["live", "all"] = "live",
    owner: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> NotificationList:
    found = service.list_notifications(
        node, live_only=status == "live", owner=owner, limit=limit, after=after
    )
    return NotificationList(notifications=[_public(n) for n in found])


@router.get(
    "/to-acknowledge", response_model=AcknowledgementList, dependencies=requires(Action.READ)
)
def to_acknowledge(node: NodeDep, _operator: Operator) -> AcknowledgementList:
    """The current versions of peers' notifications this party has yet to acknowledge, soonest
    deadline first."""
    waiting = acknowledgements.waiting_for_us(node)
    return AcknowledgementList.model_validate({"acknowledgements": waiting})


@router.get(
    "/{notification_id}", response_model=NotificationPublic, dependencies=requires(Action.READ)
)
def get_notification(
    notification_id: str, node: NodeDep, _operator: Operator
) -> NotificationPublic:
    return _public(service.get_notification(node, notification_id))


@router.put(
    "/{notification_id}", response_model=NotificationPublic, dependencies=requires(Action.NOTIFY)
)
async def revise(
    notification_id: str, body: NotificationCreate, node: NodeDep, operator: Operator
) -> NotificationPublic:
    draft = service.parse_draft(body.model_dump())
    revision = await asyncio.to_thread(service.revise, node, notification_id, draft, operator)
    notification, conflicts = await node.write_async(revision)
    return _with_conflicts(node, notification, conflicts)


@router.post(
    "/{notification_id}/status",
    response_model=NotificationPublic,
    dependencies=requires(Action.NOTIFY),
)
async def change_status(
    notification_id: str, body: StatusChange, node: NodeDep, operator: Operator
) -> NotificationPublic:
    status = Status(body.status)
    change = await asyncio.to_thread(service.change_status, node, notification_id, status, operator)
    notification, conflicts = await node.write_async(change)
    return _with_conflicts(node, notification, conflicts)


@router.post(
    "/{notification_id}/disclose",
    response_model=NotificationPublic,
    dependencies=requires(Action.NOTIFY),
)
async def disclose(
    notification_id: str, body: DiscloseRequest, node: NodeDep, operator: Operator
) -> NotificationPublic:
    """Share a blind notification in full with parties it is deconflicted with blind: from
    then on the exact engine decides on their nodes as for any shared notification."""
    to = tuple(body.to)
    disclosure = await asyncio.to_thread(service.disclose, node, notification_id, to, operator)
    notification, conflicts = await node.write_async(disclosure)
    return _with_conflicts(node, notification, conflicts)


@router.post(
    "/{notification_id}/ack",
    response_model=AcknowledgementPublic,
    dependencies=requires(Action.READ),
)
async def acknowledge(
    notification_id: str, node: NodeDep, operator: Operator
) -> AcknowledgementPublic:
    """A person of this party takes note of the current version of a peer's notification."""
    done = await node.write_async(acknowledgements.acknowledge(node, notification_id, operator))
    return AcknowledgementPublic.model_validate(done.to_json(node.clock()))


@router.get(
    "/{notification_id}/acks",
    response_model=AcknowledgementList,
    dependencies=requires(Action.READ),
)
def acknowledgements_of(
    notification_id: str, node: NodeDep, _operator: Operator
) -> AcknowledgementList:
    """Who was asked to acknowledge which version, who did and when (the owner sees every
    party; a party its own)."""
    service.get_notification(node, notification_id)
    found = acknowledgements.of_notification(node, notification_id)
    return AcknowledgementList.model_validate({"acknowledgements": found})


@conflicts_router.get("", response_model=ConflictList, dependencies=requires(Action.READ))
def list_conflicts(
    node: NodeDep,
    _operator: Operator,
    state: Literal["open", "cleared", "all"] = "open",
    notification: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
) -> ConflictList:
    chosen = None if state == "all" else state
    found = service.list_conflicts(node, state=chosen, notification_id=notification, limit=limit)
    possible = blind.list_possible(node, state=chosen, notification_id=notification, limit=limit)
    exact = [ConflictPublic.of(c) for c in resolutions.with_resolutions(node, found)]
    blindly = [
        PossibleConflictPublic.model_validate(c)
        for c in resolutions.with_resolutions(node, possible)
    ]
    return ConflictList(conflicts=[*exact, *blindly])


@conflicts_router.get(
    "/{key}",
    response_model=ConflictPublic | PossibleConflictPublic,
    dependencies=requires(Action.READ),
)
def get_conflict(
    key: str, node: NodeDep, _operator: Operator
) -> ConflictPublic | PossibleConflictPublic:
    possible = blind.get_possible(node, key)
    if possible is not None:
        (found,) = resolutions.with_resolutions(node, [possible])
        return PossibleConflictPublic.model_validate(found)
    (shown,) = resolutions.with_resolutions(node, [service.get_conflict(node, key)])
    return ConflictPublic.of(shown)


def _proposal(proposal: Proposal) -> ProposalPublic:
    return ProposalPublic.model_validate(proposal.to_json())


@conflicts_router.get(
    "/{key}/resolution", response_model=ProposalList, dependencies=requires(Action.READ)
)
def resolution_thread(key: str, node: NodeDep, _operator: Operator) -> ProposalList:
    """The conflict's proposals, oldest first."""
    return ProposalList(proposals=[_proposal(p) for p in resolutions.thread(node, key)])


@conflicts_router.post(
    "/{key}/resolution",
    status_code=201,
    response_model=ProposalPublic,
    dependencies=requires(Action.SEND_DECONFLICTION_REQUEST),
)
async def propose(
    key: str, body: ProposalCreate, node: NodeDep, operator: Operator
) -> ProposalPublic:
    """Propose an outcome (or counter the other party's proposal); it crosses the line."""
    draft = parse_draft(
        body.model_dump(exclude_none=True), max_text_bytes=node.settings.max_text_bytes
    )
    return _proposal(await node.write_async(resolutions.propose(node, key, draft, operator)))


@conflicts_router.post(
    "/{key}/resolution/{proposal_id}/accept",
    response_model=ProposalPublic,
    dependencies=requires(Action.SEND_DECONFLICTION_REQUEST),
)
async def accept(key: str, proposal_id: str, node: NodeDep, operator: Operator) -> ProposalPublic:
    """Accept the other party's proposal: the conflict is agreed, on both nodes."""
    return _proposal(await node.write_async(resolutions.accept(node, key, proposal_id, operator)))


@conflicts_router.get(
    "/{key}/request", response_model=MessageCreate, dependencies=requires(Action.READ)
)
def deconfliction_request(key: str, node: NodeDep, _operator: Operator) -> MessageCreate:
    """A deconfliction-request message filled in from the conflict, to POST to /api/v1/messages
    as it is or after editing."""
    return MessageCreate.of(service.deconfliction_request(node, key))
