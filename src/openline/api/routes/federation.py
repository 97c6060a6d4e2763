"""/federation/v1/envelopes: where peers deliver envelopes; signed receipts go back.

No operator token here: every envelope carries its sender's signature, which is what this
endpoint checks (``openline.line.receiver``). The answer lists, in order, a receipt or a
refusal for each envelope of the batch.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openline.api import strict_json
from openline.api.deps import NodeDep
from openline.domain.errors import InvalidInput
from openline.line.receiver import apply_batch, check_alone

router = APIRouter(prefix="/federation/v1", tags=["federation"])
MAX_BATCH = 2000
INLINE_CHECK_MAX = 16


@router.post("/envelopes", summary="Deliver a batch of signed envelopes (node to node)")
async def receive_envelopes(request: Request, node: NodeDep) -> Response:
    client = request.client.host if request.client else None
    envelopes = await _envelopes(request, node, client)
    # A few envelopes are checked here (a signature is 40 us); a big batch on a worker thread,
    # so the event loop keeps serving operators meanwhile.
    keys = request.app.state.line.keys
    if len(envelopes) <= INLINE_CHECK_MAX:
        checked = check_alone(node, envelopes, keys)
    else:
        checked = await asyncio.to_thread(check_alone, node, envelopes, keys)
    outcomes = await node.write_async(apply_batch(node, checked, client))
    body = json.dumps({"results": [o.to_json() for o in outcomes]}, ensure_ascii=False)
    return Response(body, media_type="application/json")


async def _envelopes(request: Request, node: NodeDep, client: str | None) -> list[object]:
    raw = await request.body()
    problem = None
    try:
        payload = strict_json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        problem = f"the body is not JSON: {exc}"
    else:
        envelopes = payload.get("envelopes") if isinstance(payload, dict) else None
        if not isinstance(envelopes, list) or not envelopes:
            problem = 'expected {"envelopes": [...]} with at least one envelope'
        elif len(envelopes) > MAX_BATCH:
            problem = f"{len(envelopes)} envelopes in one batch, over the limit of {MAX_BATCH}"
        else:
            return envelopes
    event = {"reason": problem, "client": client}
    await node.write_async(lambda uow: uow.record("security.federation_malformed", event))
    raise InvalidInput(problem, field="envelopes")
