"""Operator authentication for everything under /api/, before the request is read.

It runs as ASGI middleware, ahead of body parsing and routing, so that a request without a
valid token is refused (401) and journaled as a security event whatever else is wrong with it,
and so that no endpoint can forget it.

Whoever can reach the node can send such requests, as fast as they like, so neither what is
journaled nor what is checked may grow with their rate (docs/security.md, "Journal growth from
each source"): the refusals are journaled per client address and period (the first in full,
with its path quoted short, the rest counted in one summary entry: ``api/unverified.py``, which
the federation endpoint's unverified refusals share), and an address sending unknown tokens
faster than ``BAD_TOKEN_RATE`` gets 429s, its further tokens not even looked up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openline.api.client_address import client_address
from openline.api.errors import error_response, too_many_requests
from openline.api.limits import RateLimiter
from openline.api.unverified import STATE_KEY, UnverifiedRefusals
from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.quoting import quote_if_unusual
from openline.node.assembly import Node
from openline.services.operators import Operator, TokenRefused, operator_for_token

PROTECTED_PREFIX = "/api/"
RECOGNISED_SECONDS = 60.0
MAX_RECOGNISED = 10_000
PATH_SHOWN = 200  # characters of a refused request's path in its journal entry
METHOD_SHOWN = 16
# Tokens not recognised taken from one address: one a second on average, and 60 at once (a
# console opened with a stale token asks for a dozen things; a client trying every route with
# one token, as a test does, some 30); beyond, 429.
BAD_TOKEN_RATE = 1.0
BAD_TOKEN_BURST = 60
MISSING = "no operator token"
UNKNOWN = "unknown operator token"
THROTTLED = "too many unknown operator tokens from this address"
# The entries after which a token recognised before may no longer be valid.
TOKEN_CHANGES = frozenset({JournalKind.OPERATOR_TOKEN_REVOKED})


def bearer_token(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


class OperatorAuth:
    def __init__(
        self, app: ASGIApp, node: Node, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app, self.node, self._clock = app, node, clock
        # Tokens recognised in the last RECOGNISED_SECONDS, so that a busy operator's requests
        # do not each cost a database read on another thread. Only hits are kept: a token
        # created a moment ago (even by another process) is found at its first use. The role
        # is kept with the name: a token's role never changes.
        self._recognised: dict[str, tuple[Operator, float]] = {}
        # ...forgotten at once when a token is revoked, through whichever process of the node
        # (the commits of all of them reach the bus: node/commits.py).
        node.bus.listen(self._forget_on_revocation)
        self._revocations = 0  # so that a look-up that raced a revocation is not remembered
        self.bad_tokens = RateLimiter(BAD_TOKEN_RATE, BAD_TOKEN_BURST, clock=clock)
        self.unverified = UnverifiedRefusals(node, clock)

    def _forget_on_revocation(self, entries: list[JournalEntry]) -> None:
        """On the thread that hands the commits over: a token revoked, all forgotten (the
        journal names a token by a fingerprint only; the next request of each looks it up)."""
        if any(entry.kind in TOKEN_CHANGES for entry in entries):
            self._revocations += 1
            self._recognised = {}

    def _known(self, token: str) -> Operator | None:
        """The operator of a token recognised lately, unless it has expired since (then it is
        looked up, and refused saying so)."""
        known = self._recognised.get(token)
        if known is None or known[1] <= self._clock():
            return None
        expires_at = known[0].expires_at
        return known[0] if expires_at is None or self.node.clock() < expires_at else None

    async def _looked_up(self, token: str) -> Operator | TokenRefused | None:
        revocations = self._revocations
        operator = await asyncio.to_thread(operator_for_token, self.node, token)
        if isinstance(operator, Operator) and revocations == self._revocations:
            if len(self._recognised) >= MAX_RECOGNISED:
                self._recognised.clear()
            self._recognised[token] = (operator, self._clock() + RECOGNISED_SECONDS)
        return operator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._summarising_at_shutdown(receive), send)
            return
        if scope["type"] == "http":
            scope.setdefault("state", {})[STATE_KEY] = self.unverified  # for the routes after
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        operator, refusal = await self._authenticate(scope)
        if operator is None:
            await self._refuse(scope, receive, send, refusal)
            return
        scope.setdefault("state", {})["operator"] = operator  # what deps.py reads
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> tuple[Operator | None, _Refusal]:
        """The operator; or why there is none, with the throttle's answer.

        A token recognised in the last RECOGNISED_SECONDS passes at once: an operator at work
        is not throttled for someone else's unknown tokens, even from the same address, until
        that memory of their token runs out. Any other token is a try at the throttle of its
        address (an operator's own costs one a minute at most); over the rate, it gets a 429
        without being looked up, so no guess is tried. Tokens from other addresses are never
        affected.
        """
        token = bearer_token(scope)
        if not token:
            return None, _Refusal(MISSING)
        known = self._known(token)
        if known is not None:
            return known, _Refusal("")
        admission = self.bad_tokens.admit(client_address(scope))
        if not admission.allowed:
            return None, _Refusal(THROTTLED, admission.retry_after_s)
        found = await self._looked_up(token)
        if isinstance(found, TokenRefused):  # this node's, but expired or revoked
            return None, _Refusal(found.reason, detail=found.detail)
        return found, _Refusal(UNKNOWN)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refusal: _Refusal) -> None:
        client, reason = client_address(scope), refusal.reason
        event = {
            "reason": reason,
            "method": quote_if_unusual(scope["method"], METHOD_SHOWN),
            "path": quote_if_unusual(scope["path"], PATH_SHOWN),
            "client": client,
        }
        await self.unverified.journal(client, reason, JournalKind.SECURITY_UNAUTHENTICATED, event)
        if refusal.retry_after_s:
            response = too_many_requests(
                f"{reason} ({client}): over the limit of {BAD_TOKEN_RATE:g} a second (bursts "
                f"of {BAD_TOKEN_BURST}); try again after the Retry-After seconds",
                refusal.retry_after_s,
            )
        elif refusal.detail:
            response = error_response(
                401,
                "unauthorized",
                f"{reason}: {refusal.detail}; an administrator can make a new one "
                "(openline token create DIR --operator NAME)",
            )
        else:
            response = error_response(
                401,
                "unauthorized",
                f"{reason}: send 'Authorization: Bearer <token>' with a token of this node "
                "(openline token create DIR --operator NAME)",
            )
        await response(scope, receive, send)

    def _summarising_at_shutdown(self, receive: Receive) -> Receive:
        """``receive`` of the app's lifespan, journaling the counts kept before the app hears
        of the shutdown (and stops the node's writer)."""

        async def receive_then_summarise() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.unverified.summarise_due(stopping=True)
            return message

        return receive_then_summarise


@dataclass(frozen=True)
class _Refusal:
    reason: str
    retry_after_s: int = 0  # throttled: answered 429 with this Retry-After
    detail: str = ""  # expired or revoked: since when (and by whom)
