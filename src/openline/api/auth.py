"""Operator authentication for everything under /api/, before the request is read.

It runs as ASGI middleware, ahead of body parsing and routing, so that a request without a
valid token is refused (401) and journaled as a security event whatever else is wrong with it,
and so that no endpoint can forget it.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from openline.api.errors import error_response
from openline.domain.journal import JournalKind
from openline.node.assembly import Node
from openline.services.operators import Operator, operator_for_token

PROTECTED_PREFIX = "/api/"
RECOGNISED_SECONDS = 60.0
MAX_RECOGNISED = 10_000


def bearer_token(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


class OperatorAuth:
    def __init__(self, app: ASGIApp, node: Node) -> None:
        self.app = app
        self.node = node
        # Tokens recognised in the last RECOGNISED_SECONDS, so that a busy operator's requests
        # do not each cost a database read on another thread. Only hits are kept: a token
        # created a moment ago (even by another process) is found at its first use. The role
        # is kept with the name: a token's role never changes.
        self._recognised: dict[str, tuple[Operator, float]] = {}

    async def _operator(self, token: str) -> Operator | None:
        now = time.monotonic()
        known = self._recognised.get(token)
        if known is not None and known[1] > now:
            return known[0]
        operator = await asyncio.to_thread(operator_for_token, self.node, token)
        if operator is not None:
            if len(self._recognised) >= MAX_RECOGNISED:
                self._recognised.clear()
            self._recognised[token] = (operator, now + RECOGNISED_SECONDS)
        return operator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        operator = await self._operator(token) if token else None
        if operator is None:
            reason = "unknown operator token" if token else "no operator token"
            await self._refuse(scope, receive, send, reason)
            return
        scope.setdefault("state", {})["operator"] = operator  # what deps.py reads
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        client = scope.get("client")
        event = {
            "reason": reason,
            "method": scope["method"],
            "path": scope["path"],
            "client": client[0] if client else None,
        }
        await self.node.write_async(
            lambda uow: uow.record(JournalKind.SECURITY_UNAUTHENTICATED, event)
        )
        response = error_response(
            401,
            "unauthorized",
            f"{reason}: send 'Authorization: Bearer <token>' with a token of this node "
            "(openline token create DIR --operator NAME)",
        )
        await response(scope, receive, send)
