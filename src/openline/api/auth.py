"""Operator authentication for everything under /api/, before the request is read.

It runs as ASGI middleware, ahead of body parsing and routing, so that a request without a
valid token is refused (401) and journaled as a security event whatever else is wrong with it,
and so that no endpoint can forget it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from openline.api.errors import error_response
from openline.node import Node
from openline.services.operators import operator_for_token

PROTECTED_PREFIX = "/api/"


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        operator = await asyncio.to_thread(operator_for_token, self.node, token) if token else None
        if operator is None:
            await self._refuse(scope, receive, send, "unknown operator token" if token else None)
            return
        scope.setdefault("state", {})["operator"] = operator
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: Any) -> None:
        reason = reason or "no operator token"
        client = scope.get("client")
        event = {
            "reason": reason,
            "method": scope["method"],
            "path": scope["path"],
            "client": client[0] if client else None,
        }
        await self.node.write_async(lambda uow: uow.record("security.unauthenticated", event))
        response = error_response(
            401,
            "unauthorized",
            f"{reason}: send 'Authorization: Bearer <token>' with a token of this node "
            "(openline token create DIR --operator NAME)",
        )
        await response(scope, receive, send)
