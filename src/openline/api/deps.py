"""Request dependencies: the node, and the operator that OperatorAuth authenticated."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from openline.node import Node

# Declares the bearer scheme in the OpenAPI document; the check itself is OperatorAuth's.
bearer = HTTPBearer(auto_error=False, description="An operator token of this node (olt_...).")


# Async on purpose: FastAPI runs a plain def dependency on a worker thread, a hop per request.
async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def current_operator(request: Request, _scheme: Annotated[object, Depends(bearer)]) -> str:
    operator: str = request.state.operator
    return operator


NodeDep = Annotated[Node, Depends(get_node)]
Operator = Annotated[str, Depends(current_operator)]
