"""A batch on its way when the node stops (line/sender.py): nothing is left for asyncio to log."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Any, cast

import aiohttp

from openline.domain.parties import Peer
from openline.domain.paths import DirectPath
from openline.line.paths import DirectCarrier, PathFailed, PathState
from openline.line.sender import PeerLink
from tests.support.nodes import silent_card


class Watched:
    """The line's own carrier, saying when its post is over."""

    def __init__(self, carrier: DirectCarrier) -> None:
        self.carrier = carrier
        self.path = carrier.path
        self.over = asyncio.Event()

    async def post(self, body: bytes, *, timeout: float | None = None) -> object:
        try:
            return await self.carrier.post(body, timeout=timeout)
        finally:
            self.over.set()


def test_a_post_that_fails_as_the_node_stops_leaves_no_exception_never_retrieved():
    """The sender posts a batch as a task of its own, and waits for it or for its path to be
    given up. Stopped (cancelled) just as that post failed, it left the post's failure for
    asyncio to log when the task was collected: "Task exception was never retrieved", with a
    traceback, in the log of a node stopping normally (seen on CI's PostgreSQL pass)."""
    unhandled: list[dict[str, Any]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _l, c: unhandled.append(c))
        card = silent_card()  # a port nobody listens on: the post fails at once
        async with aiohttp.ClientSession() as session:
            carrier = Watched(DirectCarrier(DirectPath(card.url), card.party, lambda _p: session))
            link = PeerLink(cast(Any, None), Peer(card, "2026-12-07T18:00:00.000Z"), [])
            path = PathState(carrier)
            sending = asyncio.create_task(link._post(path, b'{"envelopes":[]}'))
            await carrier.over.wait()  # the post failed; the sender has not resumed yet
            sending.cancel()  # the node stops
            with contextlib.suppress(asyncio.CancelledError, PathFailed):
                await sending
            assert sending.cancelled()
            del sending
            gc.collect()
            await asyncio.sleep(0)

    asyncio.run(scenario())

    assert [c.get("message") for c in unhandled] == []
