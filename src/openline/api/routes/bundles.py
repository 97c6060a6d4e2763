"""/api/v1/bundles: courier bundles, for when no network reaches a peer (docs/line.md).

``GET /api/v1/bundles/{party}`` is the file to carry to ``party``: every envelope waiting for
it and the receipts owed it, signed. ``POST /api/v1/bundles`` takes a bundle a peer sent (the
file as the request body) and applies it through the receiver the federation endpoint uses;
its answer says what was applied and carries the reply bundle to take back. Both are for
those who may send (duty officers, administrators): a bundle carries the line's traffic.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from openline.api.client_address import client_address
from openline.api.deps import LineDep, NodeDep, Operator, requires
from openline.api.routes.federation import tally_unverified
from openline.api.strict_json import StrictJSONRoute, strict_if_json
from openline.domain.bundles import file_name
from openline.domain.roles import Action
from openline.line.bundles import import_bundle
from openline.services.bundles import export_bundle

# The body is the bundle's file as it is, read raw (any content type): declared here for the
# OpenAPI document only, as text, which is what a bundle is (UTF-8, a JSON value a line).
_FILE = {
    "requestBody": {
        "required": True,
        "description": "The bundle's file as it is, at most 16 times max_envelope_bytes.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}
router = APIRouter(prefix="/api/v1/bundles", tags=["bundles"], route_class=StrictJSONRoute)
MEDIA_TYPE = "application/vnd.openline.bundle"

Party = Annotated[
    str, Path(pattern=r"^[A-Z][A-Z0-9_-]{0,15}$", description="The peer the bundle is for.")
]


@router.get(
    "/{party}",
    summary="The courier bundle for a peer: its waiting envelopes and the receipts owed it",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}}},
    dependencies=requires(Action.SEND),
)
async def download(party: Party, node: NodeDep, _operator: Operator) -> Response:
    exported = await asyncio.to_thread(export_bundle, node, party)
    return Response(
        exported.data,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(exported.header)}"',
            "X-Openline-Envelopes": str(exported.header.envelopes),
            "X-Openline-Receipts": str(exported.header.receipts),
            "X-Openline-Left-Waiting": str(exported.left_waiting),
        },
    )


@router.post(
    "",
    summary="Import a courier bundle from a peer; the answer carries the reply bundle",
    openapi_extra=_FILE,
    dependencies=requires(Action.SEND),
)
async def upload(request: Request, node: NodeDep, line: LineDep, _operator: Operator) -> Response:
    client = client_address(request.scope)
    data = await request.body()
    strict_if_json(request, data)  # a body sent as JSON is held to the API's strict JSON
    imported = await import_bundle(
        node,
        data,
        line.keys,
        client,
        lambda checked: tally_unverified(request.scope, client, checked),
    )
    return JSONResponse(imported.to_json())
