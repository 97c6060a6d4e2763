"""/federation/v1/envelopes: where peers deliver envelopes; signed receipts go back.

No operator token here: every envelope carries its sender's signature, which is what this
endpoint checks (``openline.line.receiver``). The answer lists, in order, a receipt or a
refusal for each envelope of the batch.

Before anything of a batch is checked or journaled, it passes the rate limit of the peer it
claims to come from (at the client's address): a flood gets 429s and one journal entry per
burst, so neither the node's time nor its journal can be flooded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Scope

from openline.api import strict_json
from openline.api.deps import FederationLimiter, LineDep, NodeDep
from openline.api.errors import error_response
from openline.api.limits import BodyTooLarge, RateLimiter
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.keys.signing import PublicKey
from openline.line.receiver import apply_batch, check_alone
from openline.node.assembly import Node

router = APIRouter(prefix="/federation/v1", tags=["federation"])
MAX_BATCH = 2000
INLINE_CHECK_MAX = 16


@router.post("/envelopes", summary="Deliver a batch of signed envelopes (node to node)")
async def receive_envelopes(
    request: Request, node: NodeDep, line: LineDep, limiter: FederationLimiter
) -> Response:
    client = request.client.host if request.client else None
    keys = line.keys
    try:
        raw = await request.body()
    except BodyTooLarge as too_large:
        await journal_too_large(request.scope, too_large.limit)
        raise
    payload: object = None
    problem: str | None = None
    try:
        payload = strict_json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        problem = f"the body is not JSON: {exc}"
    limited = await _rate_limited(limiter, node, client, _claimed_peer(payload, keys))
    if limited is not None:
        return limited
    envelopes = await _envelopes(payload, problem, node, client)
    # A few envelopes are checked here (a signature is 40 us); a big batch on a worker thread,
    # so the event loop keeps serving operators meanwhile.
    if len(envelopes) <= INLINE_CHECK_MAX:
        checked = check_alone(node, envelopes, keys)
    else:
        checked = await asyncio.to_thread(check_alone, node, envelopes, keys)
    outcomes = await node.write_async(apply_batch(node, checked, client))
    body = json.dumps({"results": [o.to_json() for o in outcomes]}, ensure_ascii=False)
    return Response(body, media_type="application/json")


def _claimed_peer(payload: object, keys: Mapping[str, PublicKey]) -> str | None:
    """The linked peer the batch says it comes from (its first envelope's ``from``), unproven
    yet; None for anything else, which shares one bucket per address."""
    envelopes = payload.get("envelopes") if isinstance(payload, dict) else None
    if isinstance(envelopes, list) and envelopes and isinstance(envelopes[0], dict):
        sender = envelopes[0].get("from")
        if isinstance(sender, str) and sender in keys:
            return sender
    return None


async def _rate_limited(
    limiter: RateLimiter, node: Node, client: str | None, peer: str | None
) -> Response | None:
    """None if the request is within its peer's rate; else the 429 to answer."""
    admission = limiter.admit((peer, client))
    if admission.allowed:
        return None
    if admission.burst_began:
        event = {
            "peer": peer,
            "client": client,
            "limit_per_s": limiter.rate,
            "burst": limiter.burst,
        }
        await node.write_async(
            lambda uow: uow.record(JournalKind.SECURITY_FEDERATION_RATE_LIMITED, event)
        )
    who = peer or "an unknown sender"
    response = error_response(
        429,
        "rate_limited",
        f"too many requests from {who} at {client}: over the limit of {limiter.rate:g} a second "
        f"(bursts of {limiter.burst}); try again after the Retry-After seconds",
    )
    response.headers["Retry-After"] = str(admission.retry_after_s)
    return response


async def journal_too_large(scope: Scope, limit: int) -> None:
    """Journal a federation request refused for its size, within the rate limit of an unknown
    sender at its address (its body is never read, so it names no peer)."""
    if not scope["path"].startswith(router.prefix):
        return
    app = scope["app"]
    client = scope["client"][0] if scope.get("client") else None
    if not app.state.federation_limiter.admit((None, client)).allowed:
        return  # in a burst of refusals: journaled once, as it began
    node: Node = app.state.node
    event = {"reason": f"the request body is over the limit of {limit} bytes", "client": client}
    await node.write_async(lambda uow: uow.record(JournalKind.SECURITY_FEDERATION_TOO_LARGE, event))


async def _envelopes(
    payload: object, problem: str | None, node: Node, client: str | None
) -> list[object]:
    if problem is None:
        envelopes = payload.get("envelopes") if isinstance(payload, dict) else None
        if not isinstance(envelopes, list) or not envelopes:
            problem = 'expected {"envelopes": [...]} with at least one envelope'
        elif len(envelopes) > MAX_BATCH:
            problem = f"{len(envelopes)} envelopes in one batch, over the limit of {MAX_BATCH}"
        else:
            return envelopes
    event = {"reason": problem, "client": client}
    await node.write_async(lambda uow: uow.record(JournalKind.SECURITY_FEDERATION_MALFORMED, event))
    raise InvalidInput(problem, field="envelopes")
