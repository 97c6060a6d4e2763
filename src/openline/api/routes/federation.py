"""/federation/v1/envelopes: where peers deliver envelopes; signed receipts go back.

No operator token here: every envelope carries its sender's signature, which is what this
endpoint checks (``openline.line.receiver``). The answer lists, in order, a receipt or a
refusal for each envelope of the batch.

Two rate limits (``FederationLimits``): before anything of a request is read or journaled, the
limit of the client's address; once the signatures are checked, the limit of the peer that
signed the batch, which then pays for it instead of the address. A flood gets 429s and one
journal entry per burst, so neither the node's time nor its journal can be flooded, and
forgeries claiming to come from a peer spend their own address's budget, never the peer's.

What no peer's key verified (a malformed or too large request, an envelope refused before its
signature verified) is journaled like a request without a token (``api/unverified.py``): per
address and period the first in full, the rest counted, whatever the rate.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.types import Scope

from openline.api import strict_json
from openline.api.client_address import client_address
from openline.api.deps import LineDep, NodeDep
from openline.api.errors import error_response
from openline.api.limits import BodyTooLarge, RateLimiter
from openline.api.unverified import of_request
from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.line.receiver import Checked, apply_batch, check_alone, unverified_refusals
from openline.node.assembly import Node
from openline.node.settings import Settings

router = APIRouter(prefix="/federation/v1", tags=["federation"])
MAX_BATCH = 2000
INLINE_CHECK_MAX = 16
# What each unverified refusal is counted as, per address and period.
MALFORMED = "federation: malformed request"
TOO_LARGE = "federation: request too large"
ENVELOPE_REFUSED = "federation: envelope refused, {code}"
RATE_LIMITED = "federation: over its address's rate limit"


@dataclass(frozen=True)
class FederationLimits:
    """The federation endpoint's rate limits: one bucket per client address, one per peer."""

    by_address: RateLimiter
    by_peer: RateLimiter

    @classmethod
    def of(cls, settings: Settings) -> FederationLimits:
        rate, burst = settings.federation_rate_limit, settings.federation_rate_burst
        return cls(RateLimiter(rate, burst), RateLimiter(rate, burst))


async def get_limits(request: Request) -> FederationLimits:
    limits: FederationLimits = request.app.state.federation_limits
    return limits


@router.post("/envelopes", summary="Deliver a batch of signed envelopes (node to node)")
async def receive_envelopes(
    request: Request,
    node: NodeDep,
    line: LineDep,
    limits: Annotated[FederationLimits, Depends(get_limits)],
) -> Response:
    client = client_address(request.scope)
    keys = line.keys
    try:
        raw = await request.body()
    except BodyTooLarge as too_large:
        await journal_too_large(request.scope, too_large.limit)
        raise
    limited = await _rate_limited(limits.by_address, node, client, None, request.scope)
    if limited is not None:
        return limited
    payload: object = None
    problem: str | None = None
    try:
        payload = strict_json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        problem = f"the body is not JSON: {exc}"
    envelopes = await _envelopes(payload, problem, request.scope)
    # A few envelopes are checked here (a signature is 40 us); a big batch on a worker thread,
    # so the event loop keeps serving operators meanwhile.
    if len(envelopes) <= INLINE_CHECK_MAX:
        checked = check_alone(node, envelopes, keys)
    else:
        checked = await asyncio.to_thread(check_alone, node, envelopes, keys)
    limited = await _peer_rate_limited(limits, node, client, checked, request.scope)
    if limited is not None:
        return limited
    first_in_full = tally_unverified(request.scope, client, checked)
    outcomes = await node.write_async(
        apply_batch(node, checked, client, unverified_in_full=first_in_full)
    )
    body = json.dumps({"results": [o.to_json() for o in outcomes]}, ensure_ascii=False)
    return Response(body, media_type="application/json")


def tally_unverified(scope: Scope, client: str | None, checked: list[Checked]) -> bool:
    """Count the refusals of ``checked`` no peer's key verified in the client's tally; whether
    the first of them is to be journaled in full (the first of its address and period)."""
    refusals = of_request(scope)
    in_full = [
        refusals.take(client, ENVELOPE_REFUSED.format(code=refused.code))
        for refused in unverified_refusals(checked)
    ]
    return bool(in_full) and in_full[0]


async def _peer_rate_limited(
    limits: FederationLimits, node: Node, client: str | None, checked: list[Checked], scope: Scope
) -> Response | None:
    """A batch holding envelopes whose signatures verified is the signing peers' to pay for,
    not its address's: None if within each such peer's rate, else the 429 to answer."""
    signers = sorted({item.sender for item in checked if isinstance(item, Envelope)})
    if signers:
        limits.by_address.refund(client)
    for peer in signers:
        limited = await _rate_limited(limits.by_peer, node, client, peer, scope)
        if limited is not None:
            return limited
    return None


async def _rate_limited(
    limiter: RateLimiter, node: Node, client: str | None, peer: str | None, scope: Scope
) -> Response | None:
    """None if the request is within the rate of its peer (``peer``, verified) or its address
    (``peer`` None); else the 429 to answer. The first refusal of a burst is journaled: a
    verified peer's at once, an address's through the tally of unverified refusals, so that
    bursts from ever new addresses add a bounded number of entries too."""
    admission = limiter.admit(peer or client)
    if admission.allowed:
        return None
    if admission.burst_began:
        event = {
            "peer": peer,
            "client": client,
            "limit_per_s": limiter.rate,
            "burst": limiter.burst,
        }
        kind = JournalKind.SECURITY_FEDERATION_RATE_LIMITED
        if peer is None:
            await of_request(scope).journal(client, RATE_LIMITED, kind, event)
        else:
            await node.write_async(lambda uow: uow.record(kind, event))
    who = f"{peer} (at {client})" if peer else client
    response = error_response(
        429,
        "rate_limited",
        f"too many requests from {who}: over the limit of {limiter.rate:g} a second "
        f"(bursts of {limiter.burst}); try again after the Retry-After seconds",
    )
    response.headers["Retry-After"] = str(admission.retry_after_s)
    return response


async def journal_too_large(scope: Scope, limit: int) -> None:
    """Journal a federation request refused for its size (its body is never read, so it names
    no peer): the first of its address and period in full, the others counted. It spends its
    address's allowance like any request; its answer is 413 either way."""
    if not scope["path"].startswith(router.prefix):
        return
    client = client_address(scope)
    scope["app"].state.federation_limits.by_address.admit(client)
    event = {"reason": f"the request body is over the limit of {limit} bytes", "client": client}
    kind = JournalKind.SECURITY_FEDERATION_TOO_LARGE
    await of_request(scope).journal(client, TOO_LARGE, kind, event)


async def _envelopes(payload: object, problem: str | None, scope: Scope) -> list[object]:
    if problem is None:
        envelopes = payload.get("envelopes") if isinstance(payload, dict) else None
        if not isinstance(envelopes, list) or not envelopes:
            problem = 'expected {"envelopes": [...]} with at least one envelope'
        elif len(envelopes) > MAX_BATCH:
            problem = f"{len(envelopes)} envelopes in one batch, over the limit of {MAX_BATCH}"
        else:
            return envelopes
    client = client_address(scope)
    event = {"reason": problem, "client": client}
    kind = JournalKind.SECURITY_FEDERATION_MALFORMED
    await of_request(scope).journal(client, MALFORMED, kind, event)
    raise InvalidInput(problem, field="envelopes")
