"""Request bodies read as strict JSON (``openline.domain.strict_json``): a route given
``StrictJSONRoute`` refuses, as malformed JSON (400), a body whose strings hold a NUL or a lone
surrogate, naming where they are, before any handler sees it.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined as Undefined
from starlette.exceptions import HTTPException

from openline.domain.strict_json import NotStrictJSON, loads

# ``loads`` is named here too, for the routes that read their body themselves (federation).
__all__ = [
    "NotStrictJSON",
    "StrictJSONRequest",
    "StrictJSONRoute",
    "body_as_fastapi_reads_it",
    "loads",
    "strict_if_json",
]


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """A route that reads its JSON body with ``loads``: give it as ``route_class``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict


def strict_if_json(request: Request, data: bytes) -> None:
    """A body sent as JSON is held to the API's strict JSON, refused (400) as every JSON body
    is when it is malformed or holds a NUL or a lone surrogate."""
    if "json" not in request.headers.get("content-type", ""):
        return
    try:
        loads(data)
    except json.JSONDecodeError as error:
        raise _not_json(error) from None


def _not_json(error: json.JSONDecodeError) -> RequestValidationError:
    """The error FastAPI raises for a body that is not JSON (answered 400 by api/errors.py)."""
    problem = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
    return RequestValidationError([{**problem, "ctx": {"error": error.msg}}])


async def body_as_fastapi_reads_it(request: StrictJSONRequest) -> Any:
    """The request's body as FastAPI's route handler reads it for a JSON body parameter, for a
    handler that runs without it (routes/messages.py): nothing (``Undefined``) when empty, the
    strict JSON when sent as JSON (``application/json``, ``application/...+json``), else the
    bytes, which the body's model then refuses; the same errors for the same bodies."""
    try:
        data = await request.body()
        if not data:
            return Undefined
        if not _sent_as_json(request.headers.get("content-type")):
            return data
        return await request.json()
    except json.JSONDecodeError as error:
        raise _not_json(error) from None
    except HTTPException:  # the body over its size limit (api/limits.py)
        raise
    except Exception as error:  # as FastAPI answers a body it fails to read otherwise
        raise HTTPException(400, "There was an error parsing the body") from error


def _sent_as_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
