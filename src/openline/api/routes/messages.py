"""/api/v1/messages: send, list, read and acknowledge messages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.dependencies.utils import request_body_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.routing import Route

from openline.api.deps import NodeDep, Operator, Sending, requires, sendable_message
from openline.api.schemas import MessageCreate, MessageList, MessagePublic
from openline.api.strict_json import StrictJSONRequest, StrictJSONRoute, body_as_fastapi_reads_it
from openline.domain.errors import InvalidInput
from openline.domain.messages import Draft, Message, free_text_draft
from openline.domain.roles import Action
from openline.node.assembly import Node
from openline.services import messages as service

router = APIRouter(prefix="/api/v1/messages", tags=["messages"], route_class=StrictJSONRoute)


def _public(node: Node, message: Message, rendering: dict[str, Any] | None = None) -> MessagePublic:
    state = service.state_seen_by(node, message)
    return MessagePublic.of(message, state, node.settings.lang, rendering)


def _draft(body: MessageCreate) -> Draft:
    if body.template is not None and body.text is not None:
        raise InvalidInput(
            "give either template and fields, or text and lang, not both", field="text"
        )
    if body.text is not None:
        if body.fields is not None:
            raise InvalidInput("fields go with a template, not with text", field="fields")
        if body.lang is None:
            raise InvalidInput("lang: free text needs the language it is written in", field="lang")
        return free_text_draft(body.to, body.precedence, body.text, body.lang, body.in_reply_to)
    if body.template is None:
        raise InvalidInput("give a template with its fields, or free text", field="template")
    if body.lang is not None:
        raise InvalidInput("lang goes with free text, not with a template", field="lang")
    return Draft(body.to, body.precedence, body.template, body.fields or {}, body.in_reply_to)


# What sending needs depends on the template the body names (deps.sendable_message). The
# answer is serialised here, once, as FastAPI would (by alias), without validating it again.
@router.post("", status_code=201, response_model=MessagePublic)
async def send(
    body: MessageCreate, sending: Annotated[Sending, Depends(sendable_message)]
) -> Response:
    node = sending.node
    new = service.new_message(node, _draft(body), sending.operator)
    message = await node.write_async(new.store)
    public = _public(node, message, new.rendering)  # rendered once, before the commit
    return Response(
        public.model_dump_json(by_alias=True),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"{router.prefix}/{message.id}"},
    )


def direct_send_route() -> Route:
    """``POST /api/v1/messages`` without FastAPI's routing, dependency solving and response
    handling, which cost the route about half its CPU (docs/performance.md, issue 25). Put
    first among the app's routes, inside the same middleware (token, sizes, headers) and error
    handlers; the FastAPI route above stays the one the OpenAPI document describes, and its
    steps are the same: the body read as FastAPI reads it, the role checked before the body is
    validated, the body validated by that route's own field, then ``send`` itself."""
    declared = next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is send)
    body_fields = declared.dependant.body_params

    async def send_directly(request: Request) -> Response:
        strict = StrictJSONRequest(request.scope, request.receive)
        body = await body_as_fastapi_reads_it(strict)
        sending = await sendable_message(strict, None)
        values, errors = await request_body_to_args(body_fields, body, embed_body_fields=False)
        if errors:
            raise RequestValidationError(errors, body=body)
        return await send(values["body"], sending)

    return Route(router.prefix, send_directly, methods=["POST"], include_in_schema=False)


@router.get("", response_model=MessageList, dependencies=requires(Action.READ))
def list_messages(
    node: NodeDep,
    _operator: Operator,
    box: Literal["in", "out"] | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> MessageList:
    found = service.list_messages(node, box, limit, before)
    return MessageList(messages=[_public(node, m) for m in found])


@router.get("/{message_id}", response_model=MessagePublic, dependencies=requires(Action.READ))
def get_message(message_id: str, node: NodeDep, _operator: Operator) -> MessagePublic:
    return _public(node, service.get_message(node, message_id))


@router.post(
    "/{message_id}/ack", response_model=MessagePublic, dependencies=requires(Action.ACKNOWLEDGE)
)
async def acknowledge(message_id: str, node: NodeDep, operator: Operator) -> MessagePublic:
    message = await node.write_async(service.acknowledgement(node, message_id, operator))
    return _public(node, message)
