"""Refuse what no route should see: bodies over the configured size, before they are read
into memory, and a NUL in the path or the query."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openline.api.errors import error_response


class BodyTooLarge(HTTPException):
    # An HTTPException, because FastAPI turns any other error raised while it reads the body
    # into "400 There was an error parsing the body"; this one it lets through as a 413.
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is over the limit of {max_bytes} bytes")

    def response(self) -> Response:
        return error_response(413, "too_large", str(self.detail))


class RequestSizeLimit:
    """``max_bytes`` for every request, except paths under a prefix of ``by_prefix``."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, by_prefix: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_prefix = by_prefix or {}

    def _limit(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await BodyTooLarge(max_bytes).response()(scope, receive, send)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise BodyTooLarge(max_bytes)
            return message

        try:
            await self.app(scope, counted_receive, send)
        except BodyTooLarge as too_large:
            await too_large.response()(scope, receive, send)


class RefuseNul:
    """A NUL (``%00``) in the path or the query is refused (400) before any route reads it: it
    would reach a database query as a parameter, and PostgreSQL keeps no NUL in text (a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            message = "the request's path or query holds a NUL character (%00)"
            await error_response(400, "malformed_request", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)
