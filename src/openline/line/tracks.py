"""The track interval: the loop that shares this node's tracks and ages everyone's.

Started and stopped with the node's API (``api/app.py``), beside the line's other loops
(``line/runner.py``), on every process of the node: each ages the tracks it holds and finds
the warnings; the one ``leading`` the line (``line/leadership.py``) also shares them with the
peers and journals the warnings. What it runs is the use case ``services.tracks.tick``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future, InvalidStateError

from openline.line.loops import kept_running
from openline.node.assembly import Node
from openline.services.tracks import tick


class TrackLoop:
    """Runs ``tick`` every ``track_interval`` seconds while the node holds any track or warning
    (a lapsed warning clears after its grace, when its tracks may be long gone): the rate limit
    of ``track`` envelopes (one per peer per interval at most), the staleness clock, and the
    finding and journaling of the warnings.
    A tick that fails is logged; the next interval tries again.

    Each tick runs in a thread of its own that the node does not wait for (a daemon): a
    saturated sky's finding takes seconds, tens on a loaded machine, and a node told to stop
    stops at once whatever it is doing. The finding then holds nothing (``stopping``), and
    the writer, once stopped, refuses a write rather than leave it waiting."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._task: asyncio.Task[None] | None = None
        self.stopping = threading.Event()
        self.leading = threading.Event()  # set while this process leads the node's line

    def start(self) -> None:
        work = kept_running(self._run, what="the track interval", pause_s=0.0)
        self._task = asyncio.create_task(work)

    async def stop(self) -> None:
        self.stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.node.settings.track_interval)
            if not self.node.tracker.idle:
                await asyncio.wrap_future(self._tick_in_a_thread())

    def _tick_in_a_thread(self) -> Future[None]:
        """Start a tick in a daemon thread; its outcome, once done. Not ``asyncio.to_thread``:
        the event loop's executor is waited for as the process ends, a finding with it."""
        done: Future[None] = Future()

        def run() -> None:
            # The loop may have given up waiting (the node is stopping): nobody to answer.
            with contextlib.suppress(InvalidStateError):
                try:
                    tick(self.node, self.stopping, self.leading.is_set)
                except BaseException as exc:  # answered to the loop, which logs it
                    done.set_exception(exc)
                else:
                    done.set_result(None)

        threading.Thread(target=run, name="openline-track-interval", daemon=True).start()
        return done
