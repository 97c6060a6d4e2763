"""Request bodies read as strict JSON (``openline.domain.strict_json``): a route given
``StrictJSONRoute`` refuses, as malformed JSON (400), a body whose strings hold a NUL or a lone
surrogate, naming where they are, before any handler sees it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from openline.domain.strict_json import NotStrictJSON, loads

# ``loads`` is named here too, for the routes that read their body themselves (federation).
__all__ = ["NotStrictJSON", "StrictJSONRequest", "StrictJSONRoute", "loads", "strict_if_json"]


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
        problem = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
        raise RequestValidationError([{**problem, "ctx": {"error": error.msg}}]) from None
