"""/federation/v1/envelopes: where peers deliver envelopes; signed receipts go back.
/federation/v1/relay: where a peer hands this node envelopes to relay to another
(``openline.line.relay``).

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
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from openline.api import strict_json
from openline.api.client_address import client_address
from openline.api.errors import ErrorResponse, error_response
from openline.api.limits import BodyTooLarge, RateLimiter
from openline.api.unverified import of_request
from openline.domain.blind import PREPARED_KINDS
from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.paths import relay_via
from openline.domain.quoting import quote
from openline.line import relay
from openline.line.receiver import (
    Checked,
    Outcome,
    apply_batch,
    check_alone,
    unverified_refusals,
)
from openline.line.runner import Line
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
NOT_RELAYED = "This node does not relay between the sender and the addressee (relay_not_allowed)."


@dataclass(frozen=True)
class FederationLimits:
    """The federation endpoint's rate limits: one bucket per client address, one per peer."""

    by_address: RateLimiter
    by_peer: RateLimiter

    @classmethod
    def of(cls, settings: Settings) -> FederationLimits:
        rate, burst = settings.federation_rate_limit, settings.federation_rate_burst
        return cls(RateLimiter(rate, burst), RateLimiter(rate, burst))


@dataclass(frozen=True)
class _Served:
    """What the endpoints work with: the node, its line and the limits, read from the app in
    one step (FastAPI would solve a dependency for each on every request: issue 25)."""

    node: Node
    line: Line
    limits: FederationLimits

    @classmethod
    def by(cls, request: Request) -> _Served:
        state = request.app.state
        return cls(state.node, state.line, state.federation_limits)


@router.post("/envelopes", summary="Deliver a batch of signed envelopes (node to node)")
async def receive_envelopes(request: Request) -> Response:
    served = _Served.by(request)
    taken = await _checked_batch(request, served, relaying=False)
    if isinstance(taken, Response):
        return taken
    outcomes = await served.node.write_async(
        apply_batch(
            served.node,
            taken.checked,
            taken.client,
            unverified_in_full=taken.first_in_full,
            via=taken.via,
        )
    )
    return _results(outcomes)


def direct_route() -> Route:
    """``POST /federation/v1/envelopes`` without FastAPI's matching through every router
    included before this one and its request handling (docs/performance.md, issue 25), to be
    put first among the app's routes: ``receive_envelopes`` takes the request and answers it
    whole, so the route adds nothing to it. The route above stays the one the OpenAPI document
    describes."""
    path = f"{router.prefix}/envelopes"
    return Route(path, receive_envelopes, methods=["POST"], include_in_schema=False)


@router.post(
    "/relay",
    summary="Hand this node a batch of signed envelopes to relay to another party",
    responses={403: {"model": ErrorResponse, "description": NOT_RELAYED}},
)
async def relay_envelopes(request: Request) -> Response:
    """Held here and forwarded to their addressee; each answered with the addressee's receipt
    once it is back (waiting for it up to ``relay.RELAY_WAIT_S``), else ``"held": true``: the sender
    posts again (docs/line.md#encryption-and-relays). 403 when this node does not relay for
    the pair."""
    served = _Served.by(request)
    node = served.node
    taken = await _checked_batch(request, served, relaying=True)
    if isinstance(taken, Response):
        return taken
    checked, client = taken.checked, taken.client
    refused = await node.read_async(lambda conn: relay.not_allowed(conn, node, checked))
    if refused is not None:
        await node.write_async(relay.journal_not_allowed(checked, refused, client))
        return error_response(403, refused.code, refused.reason, field="envelopes")
    outcomes = await node.write_async(
        relay.hold_batch(node, checked, client, unverified_in_full=taken.first_in_full)
    )
    deadline = asyncio.get_running_loop().time() + relay.RELAY_WAIT_S
    while any(outcome.held for outcome in outcomes):
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            break
        await served.line.forwarder.wait_for_receipts(left)
        outcomes = await node.read_async(partial(relay.answers, outcomes=outcomes, checked=checked))
    return _results(outcomes)


@dataclass(frozen=True)
class _Checked:
    checked: list[Checked]
    client: str | None
    first_in_full: bool  # whether the first refusal no peer's key verified is journaled in full
    via: str | None  # the relay that carried the batch, as it names itself (None: its sender)


def _prepared_blind(raw: object) -> bool:
    """An envelope of a blind run: its check prepares the run's costly part (domain/blind.py)."""
    return isinstance(raw, dict) and raw.get("kind") in PREPARED_KINDS


async def _checked_batch(
    request: Request, served: _Served, *, relaying: bool
) -> _Checked | Response:
    """The batch of the request, each envelope checked alone (``check_alone``), or the
    response that refuses the request (413, 429, 422)."""
    node, limits = served.node, served.limits
    client = client_address(request.scope)
    keys = served.line.keys
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
    envelopes, via = await _envelopes(payload, problem, keys, request.scope)
    # A few envelopes are checked here (a signature is 40 us); a big batch on a worker thread,
    # so the event loop keeps serving operators meanwhile.
    check = partial(check_alone, node, envelopes, keys, relaying=relaying)
    inline = len(envelopes) <= INLINE_CHECK_MAX and not any(map(_prepared_blind, envelopes))
    checked = check() if inline else await asyncio.to_thread(check)
    limited = await _peer_rate_limited(limits, node, client, checked, request.scope)
    if limited is not None:
        return limited
    return _Checked(checked, client, tally_unverified(request.scope, client, checked), via)


def tally_unverified(scope: Scope, client: str | None, checked: list[Checked]) -> bool:
    """Count the refusals of ``checked`` no peer's key verified in the client's tally; whether
    the first of them is to be journaled in full (the first of its address and period)."""
    refusals = of_request(scope)
    in_full = [
        refusals.take(client, ENVELOPE_REFUSED.format(code=refused.code))
        for refused in unverified_refusals(checked)
    ]
    return bool(in_full) and in_full[0]


def _results(outcomes: list[Outcome]) -> Response:
    body = json.dumps({"results": [o.to_json() for o in outcomes]}, ensure_ascii=False)
    return Response(body, media_type="application/json")


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


async def _envelopes(
    payload: object, problem: str | None, peers: Mapping[str, object], scope: Scope
) -> tuple[list[object], str | None]:
    """The batch's envelopes, and the ``via`` of a relay that names itself (``"relay"``: a
    peer of this node); a 422, journaled, for anything else."""
    if problem is None:
        envelopes = payload.get("envelopes") if isinstance(payload, dict) else None
        relayed_by = payload.get("relay") if isinstance(payload, dict) else None
        if not isinstance(envelopes, list) or not envelopes:
            problem = 'expected {"envelopes": [...]} with at least one envelope'
        elif len(envelopes) > MAX_BATCH:
            problem = f"{len(envelopes)} envelopes in one batch, over the limit of {MAX_BATCH}"
        elif relayed_by is not None and (
            not isinstance(relayed_by, str) or relayed_by not in peers
        ):
            problem = f"relay {quote(relayed_by, 40)} is not a peer of this node"
        else:
            return envelopes, relay_via(relayed_by) if relayed_by is not None else None
    client = client_address(scope)
    event = {"reason": problem, "client": client}
    kind = JournalKind.SECURITY_FEDERATION_MALFORMED
    await of_request(scope).journal(client, MALFORMED, kind, event)
    raise InvalidInput(problem, field="envelopes")
