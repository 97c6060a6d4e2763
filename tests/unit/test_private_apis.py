"""The dependencies' private APIs Openline leans on, held to what Openline expects of them.

pyproject.toml pins pyproj and uvicorn to the minor versions these tests ran on; a release that
renames, re-signs or changes one of these fails here, before it can move a distance or open the
node to slow clients (docs/reliability.md, "Dependencies"):

- ``pyproj.Geod._inv`` and ``Geod._fwd`` (openline.geo.geodesy): the in-place C calls behind
  ``Geod.inv`` and ``Geod.fwd``. Their signatures are checked here; tests/unit/test_geodesy.py
  holds their results to the public calls' bit for bit.
- uvicorn's ``HttpToolsProtocol`` (openline.api.server), extended with a deadline for reading
  each request and with its 400 (what its parser cannot read) in the one error shape: the
  methods it overrides, the attributes it reads, and its answers, which must be those of
  uvicorn's own protocol but for that 400's body.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from pyproj import Geod
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from openline.api.server import timed_protocol


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        (Geod._inv, ["self", "lons1", "lats1", "lons2", "lats2", "radians", "return_back_azimuth"]),
        (Geod._fwd, ["self", "lons", "lats", "az", "dist", "radians", "return_back_azimuth"]),
    ],
    ids=["Geod._inv", "Geod._fwd"],
)
def test_pyprojs_in_place_geodesics_take_the_arguments_geodesy_gives(
    method: Callable[..., Any], parameters: list[str]
) -> None:
    assert list(inspect.signature(method).parameters) == parameters


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        ("__init__", ["self", "config", "server_state", "app_state", "_loop"]),
        ("connection_made", ["self", "transport"]),
        ("connection_lost", ["self", "exc"]),
        ("on_message_begin", ["self"]),
        ("on_message_complete", ["self"]),
        ("send_400_response", ["self", "msg"]),
    ],
)
def test_uvicorns_httptools_protocol_has_the_methods_the_node_extends(
    method: str, parameters: list[str]
) -> None:
    assert method in vars(HttpToolsProtocol), f"HttpToolsProtocol.{method} is gone"
    assert list(inspect.signature(getattr(HttpToolsProtocol, method)).parameters) == parameters


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def echo(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Answers with the request's method, path and body, after ``?wait=SECONDS``."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    query = scope["query_string"].decode()
    if query.startswith("wait="):
        await asyncio.sleep(float(query[len("wait=") :]))
    text = f"{scope['method']} {scope['path']} {body.decode()}".encode()
    length = [(b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": length})
    await send({"type": "http.response.body", "body": text})


class Connection:
    """A connection to the protocol over a socket pair: a real transport, no network."""

    def __init__(self, http: type[asyncio.Protocol] | str) -> None:
        self.config = uvicorn.Config(
            echo, http=http, log_config=None, lifespan="off", date_header=False
        )
        self.config.load()

    async def __aenter__(self) -> Connection:
        served, client = socket.socketpair()
        # As uvicorn.Server makes one protocol per connection.
        self.served, _ = await asyncio.get_running_loop().connect_accepted_socket(
            lambda: self.config.http_protocol_class(
                config=self.config, server_state=ServerState(), app_state={}
            ),
            served,
        )
        self.reader, self.writer = await asyncio.open_connection(sock=client)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.writer.close()
        await self.writer.wait_closed()
        self.served.close()
        await asyncio.sleep(0)  # the served side's transport closes at the next turn

    async def answer(self, request: bytes) -> bytes:
        self.writer.write(request)
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if b"content-length" in line
        )
        return head + await asyncio.wait_for(self.reader.readexactly(length), 5)

    async def seconds_until_closed(self, within: float) -> float:
        began = time.monotonic()
        assert await asyncio.wait_for(self.reader.read(), within) == b""
        return time.monotonic() - began


REQUESTS = [
    b"GET /line?x=1 HTTP/1.1\r\nHost: blue\r\n\r\n",
    b"POST /messages HTTP/1.1\r\nHost: blue\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /chunks HTTP/1.1\r\nHost: blue\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\n\r\n",
    b"GET /bad HTTP/1.1\r\nHost blue\r\n\r\n",  # no colon: refused, and the connection closed
]


def test_the_timed_protocol_answers_as_uvicorns_own() -> None:
    async def answers(http: type[asyncio.Protocol] | str) -> list[bytes]:
        async with Connection(http) as connection:
            return [await connection.answer(request) for request in REQUESTS]

    theirs = asyncio.run(answers("httptools"))
    assert theirs[1].endswith(b"POST /messages hello")
    assert theirs[3].startswith(b"HTTP/1.1 400 ")
    ours = asyncio.run(answers(timed_protocol(30.0)))
    assert ours[:3] == theirs[:3]
    # What the parser cannot read: the same 400, its body in the one error shape.
    head, _, body = ours[3].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"content-type: application/json" in head
    assert b"connection: close" in head
    assert json.loads(body)["error"]["code"] == "malformed_request"
    assert theirs[3].endswith(b"Invalid HTTP request received.")
    assert json.loads(body)["error"]["message"].endswith("Invalid HTTP request received.")


def test_a_request_sent_too_slowly_is_cut_after_one_answered_slowly() -> None:
    """Arming at connection_made and on_message_begin, disarming at on_message_complete: the
    answer may take longer than the deadline; the next request may not."""

    async def run() -> float:
        async with Connection(timed_protocol(0.2)) as connection:
            answer = await connection.answer(b"GET /slow?wait=0.5 HTTP/1.1\r\nHost: blue\r\n\r\n")
            assert answer.endswith(b"GET /slow ")
            connection.writer.write(b"GET /next HTTP/1.1\r\nHost: bl")
            return await connection.seconds_until_closed(within=3.0)

    assert asyncio.run(run()) < 1.0


def test_a_connection_that_sends_nothing_is_cut_at_the_deadline() -> None:
    async def run() -> float:
        async with Connection(timed_protocol(0.2)) as connection:
            return await connection.seconds_until_closed(within=3.0)

    assert 0.15 < asyncio.run(run()) < 1.0
