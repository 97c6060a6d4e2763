"""Request dependencies: the node, and the operator behind the bearer token."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request

from openline.domain.errors import Unauthorized
from openline.node import Node
from openline.services.operators import operator_for_token


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


async def require_operator(request: Request, node: NodeDep) -> str:
    """The operator named by ``Authorization: Bearer <token>``; refusals are journaled."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    operator = await asyncio.to_thread(operator_for_token, node, token) if token else None
    if operator is not None:
        return operator
    reason = "unknown operator token" if token else "no operator token"
    event = {
        "reason": reason,
        "method": request.method,
        "path": request.url.path,
        "client": request.client.host if request.client else None,
    }
    await node.write_async(lambda uow: uow.record("security.unauthenticated", event))
    raise Unauthorized(
        f"{reason}: send 'Authorization: Bearer <token>' with a token of this node "
        "(openline token create DIR --operator NAME)"
    )


Operator = Annotated[str, Depends(require_operator)]
