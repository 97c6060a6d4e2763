"""/api/v1/notifications and /api/v1/conflicts: notify, revise, withdraw; list conflicts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from openline.api.deps import NodeDep, Operator, requires
from openline.api.schemas import (
    ConflictList,
    ConflictPublic,
    MessageCreate,
    NotificationCreate,
    NotificationList,
    NotificationPublic,
    StatusChange,
)
from openline.api.strict_json import StrictJSONRoute
from openline.domain.conflicts import StoredConflict
from openline.domain.notifications import Notification, Status
from openline.domain.roles import Action
from openline.services import notifications as service

router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], route_class=StrictJSONRoute
)
conflicts_router = APIRouter(prefix="/api/v1/conflicts", tags=["conflicts"])


def _public(
    notification: Notification, conflicts: list[StoredConflict] | None = None
) -> NotificationPublic:
    record = notification.to_json()
    listed = None if conflicts is None else [ConflictPublic.of(c) for c in conflicts]
    return NotificationPublic.model_validate({**record, "conflicts": listed})


@router.post(
    "", status_code=201, response_model=NotificationPublic, dependencies=requires(Action.NOTIFY)
)
async def notify(
    body: NotificationCreate, node: NodeDep, operator: Operator, response: Response
) -> NotificationPublic:
    draft = service.parse_draft(body.model_dump())
    notification, conflicts = await node.write_async(service.create(node, draft, operator))
    response.headers["Location"] = f"{router.prefix}/{notification.id}"
    return _public(notification, conflicts)


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
    notification, conflicts = await node.write_async(
        service.revise(node, notification_id, draft, operator)
    )
    return _public(notification, conflicts)


@router.post(
    "/{notification_id}/status",
    response_model=NotificationPublic,
    dependencies=requires(Action.NOTIFY),
)
async def change_status(
    notification_id: str, body: StatusChange, node: NodeDep, operator: Operator
) -> NotificationPublic:
    notification, conflicts = await node.write_async(
        service.change_status(node, notification_id, Status(body.status), operator)
    )
    return _public(notification, conflicts)


@conflicts_router.get("", response_model=ConflictList, dependencies=requires(Action.READ))
def list_conflicts(
    node: NodeDep,
    _operator: Operator,
    state: Literal["open", "cleared", "all"] = "open",
    notification: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
) -> ConflictList:
    found = service.list_conflicts(
        node, state=None if state == "all" else state, notification_id=notification, limit=limit
    )
    return ConflictList(conflicts=[ConflictPublic.of(c) for c in found])


@conflicts_router.get("/{key}", response_model=ConflictPublic, dependencies=requires(Action.READ))
def get_conflict(key: str, node: NodeDep, _operator: Operator) -> ConflictPublic:
    return ConflictPublic.of(service.get_conflict(node, key))


@conflicts_router.get(
    "/{key}/request", response_model=MessageCreate, dependencies=requires(Action.READ)
)
def deconfliction_request(key: str, node: NodeDep, _operator: Operator) -> MessageCreate:
    """A deconfliction-request message filled in from the conflict, to POST to /api/v1/messages
    as it is or after editing."""
    return MessageCreate.of(service.deconfliction_request(node, key))
