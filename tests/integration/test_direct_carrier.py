"""A direct path's carrier against a real HTTP server on 127.0.0.1 that answers as it is told:
what it sends, and how it judges each kind of answer (openline.line.paths.DirectCarrier)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import certifi
import pytest

from openline.domain.paths import DirectPath
from openline.keys.tls import peer_verification
from openline.line.paths import FEDERATION_PATH, DirectCarrier, PathFailed

BODY = b'{"envelopes":[{"id":"e1","body":"\xc3\xa9 ' + b"x" * 700 + b'"}]}'


class Answering:
    """A server that keeps each request it gets (head and body) and answers ``answer``."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections: list[asyncio.Task[Any]] = []  # each served until its client closes

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = asyncio.current_task()
        assert connection is not None
        self.connections.append(connection)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            self.requests.append((head, await reader.readexactly(length)))
            writer.write(self.answer)  # nothing, for a server that never answers
            await reader.read()  # until the client closes the connection
        finally:
            writer.close()


def answer(status: str, body: bytes, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers, "", ""]
    return "\r\n".join(lines).encode() + body


def carried(
    server: Answering,
    post: Callable[[DirectCarrier], Awaitable[object]],
    *,
    port: int | None = None,
) -> object | PathFailed:
    """What ``post`` gets from a carrier to ``server`` (its results, or the PathFailed), or to
    ``port`` on 127.0.0.1 instead, while the server listens."""

    async def run() -> object | PathFailed:
        listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        listening_at = listening.sockets[0].getsockname()[1]
        try:
            async with aiohttp.ClientSession() as http:
                path = DirectPath(url=f"http://127.0.0.1:{port or listening_at}")
                carrier = DirectCarrier(path, "RED", lambda _path: http)
                return await post(carrier)
        except PathFailed as exc:
            return exc
        finally:  # the session closed its connections: the server sees each end
            listening.close()
            if server.connections:
                await asyncio.wait(server.connections, timeout=5)

    return asyncio.run(run())


def test_the_body_goes_byte_for_byte_as_json_and_the_results_come_back():
    server = Answering(answer("200 OK", b'{"results":[{"receipt":"r1"}]}'))
    assert carried(server, lambda carrier: carrier.post(BODY)) == [{"receipt": "r1"}]
    [(head, body)] = server.requests
    assert body == BODY
    assert head.startswith(f"POST {FEDERATION_PATH} HTTP/1.1\r\n".encode())
    assert b"\r\ncontent-type: application/json\r\n" in head.lower()


@pytest.mark.parametrize(
    ("answered", "words", "retry_after_s"),
    [
        (answer("200 OK", b'{"receipts":[]}'), "answered without results", None),
        (answer("200 OK", b"<html>busy</html>"), "answered without results", None),
        (answer("500 Oops", b"e" * 400), "answered 500: " + "e" * 300, None),
        (answer("503 Busy", b"later", "Retry-After: 7"), "answered 503: later", 7.0),
        (answer("429 Slow", b"", "Retry-After: 3"), "answered 429: ", 3.0),
        (answer("500 Oops", b"", "Retry-After: 3"), "answered 500: ", None),
        (answer("307 Moved", b"", "Location: http://127.0.0.1:9/"), "answered 307: ", None),
    ],
)
def test_an_answer_that_carries_no_results_fails_the_path_saying_what_came(
    answered: bytes, words: str, retry_after_s: float | None
):
    failed = carried(Answering(answered), lambda carrier: carrier.post(BODY))
    assert isinstance(failed, PathFailed)
    assert str(failed).startswith("RED at http://127.0.0.1:")
    assert str(failed).endswith(words)
    assert failed.retry_after_s == retry_after_s


def test_a_peer_that_does_not_answer_within_the_posts_timeout_fails_the_path_then():
    started = time.monotonic()
    failed = carried(Answering(b""), lambda carrier: carrier.post(BODY, timeout=0.3))
    assert isinstance(failed, PathFailed)
    assert "does not answer" in str(failed)
    assert time.monotonic() - started < 5


def test_a_closed_port_fails_the_path_as_not_answering():
    failed = carried(Answering(b""), lambda carrier: carrier.post(BODY), port=9)
    assert isinstance(failed, PathFailed)
    words = "RED at http://127.0.0.1:9/federation/v1/envelopes does not answer: ClientConnector"
    assert str(failed).startswith(words)
    assert "ConnectionKey" not in str(failed)  # the error's words, not its repr


def test_an_unpinned_peer_without_a_ca_file_is_checked_against_certifis_bundle():
    context = peer_verification()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    with open(certifi.where(), encoding="ascii") as bundle:
        authorities = bundle.read().count("-----BEGIN CERTIFICATE-----")
    assert context.cert_store_stats()["x509_ca"] == authorities
