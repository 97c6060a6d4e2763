"""Security headers on every answer of the node: the console, the API and the federation
endpoint alike.

The Content-Security-Policy lets a page run only the node's own script files (no inline script,
no ``eval``), fetch only from the node (``connect-src 'self'``: no peer text the console shows
can make it call elsewhere), and be framed by no one (with ``X-Frame-Options`` for older
browsers). Styles are the node's own files too, except on /redoc (``BY_PATH``).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",  # map markers and Swagger UI's icons are data: URLs
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(**changes: str) -> str:
    return "; ".join(f"{k} {v}" for k, v in {**POLICY, **changes}.items())


STRICT = _policy()
# ReDoc writes its styles into the page as it renders, and searches in a worker it makes from
# a blob: URL. No page of the node runs inline script.
BY_PATH = {"/redoc": _policy(**{"style-src": "'self' 'unsafe-inline'", "worker-src": "blob:"})}
ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class SecurityHeaders:
    """Adds the security headers to every HTTP answer (any it already has are replaced)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = BY_PATH.get(scope["path"], STRICT)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["content-security-policy"] = policy
                headers.update(ALWAYS)
            await send(message)

        await self.app(scope, receive, with_headers)
