"""The track interval: the loop that shares this node's tracks and ages everyone's.

Started and stopped with the node's API (``api/app.py``), beside the line's other loops
(``line/runner.py``); what it runs is the use case ``services.tracks.tick``.
"""

from __future__ import annotations

import asyncio
import contextlib

from openline.line.loops import kept_running
from openline.node.assembly import Node
from openline.services.tracks import tick


class TrackLoop:
    """Runs ``tick`` every ``track_interval`` seconds while the node holds any track or warning
    (a lapsed warning clears after its grace, when its tracks may be long gone): the rate limit
    of ``track`` envelopes (one per peer per interval at most), the staleness clock, and the
    finding and journaling of the warnings.
    A tick that fails is logged; the next interval tries again."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        work = kept_running(self._run, what="the track interval", pause_s=0.0)
        self._task = asyncio.create_task(work)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.node.settings.track_interval)
            if not self.node.tracker.idle:
                await asyncio.to_thread(tick, self.node)
