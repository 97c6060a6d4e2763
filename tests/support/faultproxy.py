"""A TCP proxy on 127.0.0.1 that breaks the network between two Openline nodes, for tests.

A node's peer URL points at the proxy instead of the peer; the proxy forwards each HTTP/1.1
request to the peer and its answer back, and, drawn at random from a seeded generator, breaks
some of them the ways a real network does:

- ``drop``: closes the connection, either before the request reaches the peer or after the
  peer answered (the sender then cannot know whether it was applied);
- ``delay``: holds the request for up to ``max_delay_s`` before forwarding it;
- ``duplicate``: sends a copy of the whole request to the peer on a new connection as well,
  at the same time as the original;
- ``truncate``: forwards only the first part of the request, then closes both sides;
- ``reorder``: holds the request back and closes the sender's connection, so that the sender
  retries; the held request goes to the peer after the next one has been answered;
- ``hang``: holds the request, never forwarded, and the sender's connection open, until the
  proxy stops: a link that went silent without closing;
- ``busy``: answers itself, never forwarding, ``429 Too Many Requests`` with ``Retry-After:``
  ``retry_after`` (a peer asking to be left alone for a while).

``log`` holds each request's time (``time.monotonic()``) and what was done to it.

It understands just enough HTTP to find where a request and an answer end (``Content-Length``,
or a chunked answer), which is all the line between nodes uses. It runs on its own thread and
event loop, so a test drives it from ordinary blocking code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

HOST = "127.0.0.1"
MAX_HEAD_BYTES = 65536


class Fault(StrEnum):
    NONE = "none"
    DROP = "drop"
    DELAY = "delay"
    DUPLICATE = "duplicate"
    TRUNCATE = "truncate"
    REORDER = "reorder"
    HANG = "hang"
    BUSY = "busy"


class _Closed(Exception):
    """The other side closed the connection before a whole message arrived."""


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target_port``, breaking requests at random.

    ``weights`` gives each fault its relative chance per request (``Fault.NONE`` for a request
    forwarded untouched); ``injected`` counts what was done to each request.
    """

    def __init__(
        self,
        target_port: int,
        weights: Mapping[Fault, float],
        *,
        seed: int,
        max_delay_s: float = 0.3,
        retry_after: str = "3",
    ) -> None:
        self.target_port = target_port
        self.port = 0
        self.max_delay_s = max_delay_s
        self.retry_after = retry_after
        self.injected: Counter[Fault] = Counter()
        self.log: list[tuple[float, Fault]] = []
        self._weights = dict(weights)
        self._random = random.Random(seed)
        self._held: bytes | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[asyncio.Task[None], _Link] = {}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def set_weights(self, weights: Mapping[Fault, float]) -> None:
        """Change the faults from the next request on."""
        new = dict(weights)
        if self._loop is None:
            self._weights = new
        else:
            self._loop.call_soon_threadsafe(lambda: setattr(self, "_weights", new))

    def start(self) -> FaultProxy:
        """Listen on a free port of 127.0.0.1; returns once the port is open."""
        ready = threading.Event()
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.set_exception_handler(_quiet_when_cancelled)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._accept, HOST, self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            # A connection accepted just now has its task, not yet run: let it run up to its
            # first wait, so that it is among those closed (else its socket is left unclosed).
            await asyncio.sleep(0)
            for link in self._connections.values():
                link.close()  # each connection's task then ends by itself
            if self._connections:
                await asyncio.wait(list(self._connections), timeout=2)
            for task in list(self._connections):
                task.cancel()  # one asleep in a delay
            await asyncio.gather(*self._connections, return_exceptions=True)
            loop.stop()

        loop.call_soon_threadsafe(lambda: loop.create_task(close()))
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- on the proxy's loop -------------------------------------------------------------

    def _draw(self) -> Fault:
        faults = list(self._weights)
        return self._random.choices(faults, weights=[self._weights[f] for f in faults])[0]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        link = self._connections[task] = _Link(writer)
        try:
            while await self._one_request(reader, link):
                pass
        except (_Closed, OSError):
            return
        finally:
            self._connections.pop(task, None)
            link.close()

    async def _one_request(self, reader: asyncio.StreamReader, link: _Link) -> bool:
        """Read one request from the sender and do with it as the draw says; False when the
        sender's connection is to be closed."""
        request = await _read_message(reader, request=True)
        if request is None:
            return False
        fault = self._draw()
        if fault is Fault.REORDER and self._held is not None:
            fault = Fault.NONE  # one request held back at a time
        self.injected[fault] += 1
        self.log.append((time.monotonic(), fault))
        if fault is Fault.BUSY:
            link.client.write(_busy(self.retry_after))
            await link.client.drain()
            return True
        if fault is Fault.REORDER:
            self._held = request
            return False
        if fault is Fault.TRUNCATE:
            await self._truncate(request)
            return False
        if fault is Fault.HANG:
            await asyncio.Event().wait()  # until the proxy stops and cancels this connection
        if fault is Fault.DROP and self._random.random() < 0.5:
            return False  # dropped before it reached the peer
        if fault is Fault.DELAY:
            await asyncio.sleep(self._random.uniform(0, self.max_delay_s))
        response = await self._forward(request, link, duplicate=fault is Fault.DUPLICATE)
        if response is None or fault is Fault.DROP:
            return False  # the peer answered (or closed); the sender never hears
        link.client.write(response)
        await link.client.drain()
        return True

    async def _forward(self, request: bytes, link: _Link, *, duplicate: bool) -> bytes | None:
        """The peer's answer to ``request`` (a copy sent alongside when ``duplicate``); then
        the request held back, if any, goes too."""
        copy = asyncio.ensure_future(self._send_alone(request)) if duplicate else None
        try:
            if link.upstream is None:
                link.upstream = await _connect(self.target_port)
            link.upstream[1].write(request)
            await link.upstream[1].drain()
            response = await _read_message(link.upstream[0], request=False)
        finally:
            if copy is not None:
                await copy
        held, self._held = self._held, None
        if held is not None:
            await self._send_alone(held)  # the older request, after the newer one
        return response

    async def _truncate(self, request: bytes) -> None:
        """Send the first part of ``request`` on a connection of its own, and close it."""
        _, partial = await _connect(self.target_port)
        try:
            partial.write(request[: self._random.randrange(1, len(request))])
            await partial.drain()
        finally:
            partial.close()

    async def _send_alone(self, request: bytes) -> None:
        """Send ``request`` on a connection of its own and throw the answer away."""
        with contextlib.suppress(_Closed, OSError):
            reader, writer = await _connect(self.target_port)
            try:
                writer.write(request)
                await writer.drain()
                await _read_message(reader, request=False)
            finally:
                writer.close()


class _Link:
    """One sender's connection to the proxy, and the proxy's connection on to the peer."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def close(self) -> None:
        self.client.close()
        if self.upstream is not None:
            self.upstream[1].close()


def _quiet_when_cancelled(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's report of errors, but not of a connection's task cancelled as the proxy
    stops (asyncio reports those from its own callback)."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


def _busy(retry_after: str) -> bytes:
    """A 429 in Openline's one error shape, asking to be left alone for ``retry_after``."""
    body = json.dumps(
        {"error": {"code": "rate_limited", "message": "busy: the fault proxy says so"}}
    ).encode()
    head = (
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n"
        f"retry-after: {retry_after}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(HOST, port)


async def _read_message(reader: asyncio.StreamReader, *, request: bool) -> bytes | None:
    """One whole HTTP/1.1 message, head and body; None if the connection ends before it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise _Closed from None
        return None
    except asyncio.LimitOverrunError:
        raise _Closed from None
    if len(head) > MAX_HEAD_BYTES:
        raise _Closed
    headers = _headers(head)
    try:
        if "content-length" in headers:
            return head + await reader.readexactly(int(headers["content-length"]))
        if "chunked" in headers.get("transfer-encoding", ""):
            return head + await _read_chunked(reader)
    except asyncio.IncompleteReadError:
        raise _Closed from None
    if request or head.split(b" ", 2)[1] in (b"204", b"304"):
        return head
    return head + await reader.read()  # an answer that ends with its connection


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        body += size_line + await reader.readexactly(size + 2)
        if size == 0:
            return body


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    found = {}
    for line in lines:
        name, _, value = line.partition(":")
        if value:
            found[name.strip().lower()] = value.strip().lower()
    return found
