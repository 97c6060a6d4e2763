"""/api/v1/tracks and /api/v1/proximity: report this party's tracks; read the tracks held and
the proximity warnings open (docs/proximity.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from openline.api.deps import NodeDep, Operator, requires
from openline.api.schemas import TRACK_REPORT_SCHEMA, TrackList, TracksAccepted, WarningList
from openline.api.strict_json import StrictJSONRoute
from openline.domain.roles import Action
from openline.domain.tracks import MAX_REPORTS
from openline.services import tracks as service

router = APIRouter(prefix="/api/v1", tags=["tracks"], route_class=StrictJSONRoute)

ReportsBody = Annotated[
    Any,
    Body(
        description=f"A JSON list of 1 to {MAX_REPORTS} track reports of this node's party.",
        json_schema_extra={
            "type": "array",
            "items": TRACK_REPORT_SCHEMA,
            "minItems": 1,
            "maxItems": MAX_REPORTS,
        },
    ),
]


@router.post("/tracks", response_model=TracksAccepted, dependencies=requires(Action.REPORT_TRACKS))
async def report_tracks(body: ReportsBody, node: NodeDep, _operator: Operator) -> TracksAccepted:
    reports = service.parse(node, body)
    taken = await node.write_async(service.report(node, reports))
    return TracksAccepted.model_validate(taken, from_attributes=True)


@router.get("/tracks", response_model=TrackList, dependencies=requires(Action.READ))
async def list_tracks(node: NodeDep, _operator: Operator) -> TrackList:
    return TrackList(tracks=await node.write_async(service.current_tracks(node)))


@router.get("/proximity", response_model=WarningList, dependencies=requires(Action.READ))
async def list_warnings(
    node: NodeDep,
    _operator: Operator,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
    after: Annotated[
        str | None,
        Query(max_length=64, description="The key of the last warning of the page before."),
    ] = None,
) -> WarningList:
    page = await node.write_async(service.current_warnings(node, after=after, limit=limit))
    return WarningList(warnings=page.warnings, total=page.total)
