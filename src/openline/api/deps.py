"""Request dependencies: the node, the operator OperatorAuth authenticated, and what their role
allows (the matrix is openline.domain.roles; this is the one place it is enforced)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, params
from fastapi.security import HTTPBearer

from openline.api.auth import METHOD_SHOWN, PATH_SHOWN
from openline.api.client_address import client_address
from openline.domain.errors import Forbidden
from openline.domain.journal import JournalKind
from openline.domain.quoting import quote_if_unusual
from openline.domain.roles import DESCRIPTIONS, Action, may, roles_allowed, send_action
from openline.line.leadership import Leadership
from openline.line.runner import Line
from openline.node.assembly import Node
from openline.services import operators

# Declares the bearer scheme in the OpenAPI document; the check itself is OperatorAuth's.
bearer = HTTPBearer(auto_error=False, description="An operator token of this node (olt_...).")


# Async on purpose: FastAPI runs a plain def dependency on a worker thread, a hop per request.
async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def get_line(request: Request) -> Line:
    line: Line = request.app.state.line
    return line


async def get_leadership(request: Request) -> Leadership:
    leadership: Leadership = request.app.state.leadership
    return leadership


async def current_operator(request: Request, _scheme: Annotated[object, Depends(bearer)]) -> str:
    operator: operators.Operator = request.state.operator
    return operator.name


NodeDep = Annotated[Node, Depends(get_node)]
LineDep = Annotated[Line, Depends(get_line)]  # the running line, started with the app
# Which process of the node this is, and which leads it (docs/deployment.md)
LeadershipDep = Annotated[Leadership, Depends(get_leadership)]
Operator = Annotated[str, Depends(current_operator)]


async def authorise(request: Request, node: Node, action: Action) -> None:
    """Refuse (403, journaled as ``security.forbidden``) an operator whose role may not."""
    operator: operators.Operator = request.state.operator
    if may(operator.role, action):
        return
    event = {
        "operator": operator.name,
        "role": operator.role.value,
        "action": action.value,
        "method": quote_if_unusual(request.method, METHOD_SHOWN),
        "path": quote_if_unusual(request.url.path, PATH_SHOWN),
        "client": client_address(request.scope),
    }
    await node.write_async(lambda uow: uow.record(JournalKind.SECURITY_FORBIDDEN, event))
    needed = " or ".join(role.value for role in roles_allowed(action))
    raise Forbidden(
        f"operator {operator.name!r} has the role {operator.role.value}; "
        f"{DESCRIPTIONS[action]} needs the role {needed}"
    )


class Requires:
    """A route's requirement, declared once on it: ``dependencies=[Depends(Requires(...))]``.

    Route-level dependencies run before the body is read, so a forbidden request is refused
    whatever its body holds.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(
        self, request: Request, node: NodeDep, _scheme: Annotated[object, Depends(bearer)]
    ) -> None:
        await authorise(request, node, self.action)

    def __repr__(self) -> str:
        return f"Requires({self.action.value!r})"


def requires(action: Action) -> list[params.Depends]:
    """The ``dependencies`` of a route that needs ``action``."""
    return [Depends(Requires(action))]


@dataclass(frozen=True)
class Sending:
    """What sending a message needs: the node and the operator who sends."""

    node: Node
    operator: str


async def sendable_message(
    request: Request, _scheme: Annotated[object, Depends(bearer)]
) -> Sending:
    """The node and the operator sending; refused (403, journaled) when the operator's role may
    not send what the body asks to send (a planner sends deconfliction requests only).

    One dependency for all the send route needs, since FastAPI's solving of each costs on
    every request (docs/performance.md, issue 25). The body is validated after it (by FastAPI,
    and by ``routes.messages.direct_send_route``, which serves the route): a forbidden request
    is refused whatever else its body holds."""
    node: Node = request.app.state.node
    operator: operators.Operator = request.state.operator
    if not may(operator.role, Action.SEND):
        await authorise(request, node, send_action(await _template_of(request)))
    return Sending(node, operator.name)


async def _template_of(request: Request) -> str | None:
    """The template the body names, if it is a JSON object naming one (free text: None)."""
    try:
        body = await request.json()
    except ValueError:  # not JSON at all: nothing this role may send
        return None
    template = body.get("template") if isinstance(body, dict) else None
    return template if isinstance(template, str) else None
