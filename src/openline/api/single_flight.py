"""One run of a costly job at a time, shared by whoever asks while it runs.

The journal's verification reads and checks every entry (docs/security.md#the-cost-of-one-request):
a hundred operators asking at once would cost a hundred verifications. With ``SingleFlight``
they cost one: a caller arriving while a run goes on awaits that run's result; one arriving
after it starts the next. One event loop uses it: no lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self, job: Callable[[], Awaitable[T]]) -> None:
        self._job = job
        self._running: asyncio.Future[T] | None = None
        self.runs = 0  # how many runs were started: what the sharing saved shows in it

    async def __call__(self) -> T:
        if self._running is None:
            self.runs += 1
            self._running = asyncio.ensure_future(self._job())
            self._running.add_done_callback(self._forget)
        # Shielded: a caller that goes away (its client disconnected) leaves the run to the rest.
        return await asyncio.shield(self._running)

    def _forget(self, _done: asyncio.Future[T]) -> None:
        self._running = None
