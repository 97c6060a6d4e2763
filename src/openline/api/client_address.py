"""The client's address, as every part of the API reads it (rate limits, journal entries).

It is the address the connection comes from; behind a proxy named in the ``trusted_proxies``
setting, the address that proxy forwarded in ``X-Forwarded-For``: uvicorn's
``ProxyHeadersMiddleware``, which ``create_app`` adds for those proxies alone (and uvicorn's own
is off: ``serve``), has put it in the request's scope by then. A forwarded-for header from
anyone else is ignored; ``Forwarded`` (RFC 7239) is not read at all.
"""

from __future__ import annotations

from starlette.types import Scope


def client_address(scope: Scope) -> str | None:
    """The address of the client that sent this request; None if the server knows none."""
    client = scope.get("client")
    return str(client[0]) if client else None
