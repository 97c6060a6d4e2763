"""Running a node's app under uvicorn."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import sys
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from openline.api.app import create_app
from openline.api.errors import error_body
from openline.keys.tls import server_files
from openline.node.assembly import Node

log = logging.getLogger(__name__)


class _TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for reading each request.

    uvicorn times out a connection that stays idle between requests (``timeout_keep_alive``),
    but not one that sends nothing after connecting, nor one that sends its headers or body a
    byte at a time: a few hundred such clients (slowloris) would hold every connection the
    node has. Here each request must arrive whole within ``read_timeout`` seconds of its first
    byte (the first request: of the connection's opening), or the connection is closed.
    Answers take as long as they take: the deadline ends when the request has been read.
    """

    read_timeout: float = 30.0
    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def send_400_response(self, msg: str) -> None:
        """What uvicorn's HTTP parser cannot read (a request line of 64 KB, not HTTP at all) is
        refused in the one error shape, as everything the node refuses, instead of in text."""
        body = json.dumps(
            error_body("malformed_request", f"the request cannot be read as HTTP: {msg}")
        ).encode()
        head = [b"HTTP/1.1 400 Bad Request"]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json",
            b"content-length: " + str(len(body)).encode("ascii"),
            b"x-content-type-options: nosniff",
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()

    def _too_slow(self) -> None:
        self._read_deadline = None
        if not self.transport.is_closing():
            log.info(
                "closing the connection from %s: no whole request within %g s",
                self.client[0] if self.client else "?",
                self.read_timeout,
            )
            self.transport.close()


def timed_protocol(read_timeout: float) -> type[HttpToolsProtocol]:
    """The HTTP protocol class for uvicorn, with this node's ``request_read_timeout``."""
    return type("TimedHttpProtocol", (_TimedHttpProtocol,), {"read_timeout": read_timeout})


TOKEN = re.compile(r"olt_[A-Za-z0-9_-]+")
CUT = "olt_\u2026"


class NoTokens(logging.Filter):
    """No operator token in a log line: the access log shows a request's path without its query
    (``?token=olt_...`` is refused, but the line would keep it), and anything token-like left
    in any line is cut to its ``olt_`` prefix."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            client, method, path, *rest = record.args
            path, query, _ = str(path).partition("?")
            record.args = (client, method, TOKEN.sub(CUT, path) + (query and "?\u2026"), *rest)
        elif TOKEN.search(record.getMessage()):
            record.msg, record.args = TOKEN.sub(CUT, record.getMessage()), None
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, every handler given ``NoTokens``."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"no_tokens": {"()": NoTokens}}
    for handler in config["handlers"].values():
        handler["filters"] = ["no_tokens"]
    return config


class NodeServer(uvicorn.Server):
    """Ends the node's event streams as soon as it is told to stop.

    uvicorn waits for open connections before it runs the app's shutdown, and an event stream
    never closes by itself: without this, every stop would wait out the graceful timeout.
    """

    def __init__(self, config: uvicorn.Config, node: Node) -> None:
        super().__init__(config)
        self.node = node

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.node.bus.close()
        super().handle_exit(sig, frame)


# The writer thread and the event loop share the GIL. By default a thread that becomes ready
# may wait up to 5 ms for it while the loop runs Python code; on the line that wait is paid at
# every hop (commit, delivery, receipt). A shorter interval lets a commit through sooner.
GIL_SWITCH_INTERVAL_S = 0.0005


def serve(node: Node) -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    settings = node.settings
    # Checked before the app starts: a node told to serve TLS never falls back to plain http.
    tls = server_files(settings.tls_cert_file, settings.tls_key_file, node.directory.path)
    config = uvicorn.Config(
        # Answering from the start, a process with many live volumes says it is not ready
        # until its conflict finder is loaded (GET /api/v1/node), and 503 to what needs it.
        create_app(node, wait_for_engines=False),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=log_config(),
        access_log=settings.log_level == "debug",
        # The app believes forwarded-for headers from trusted_proxies alone (client_address.py).
        proxy_headers=False,
        timeout_graceful_shutdown=3,
        http=timed_protocol(settings.request_read_timeout),
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    NodeServer(config, node).run()
