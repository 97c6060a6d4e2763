"""The line's one way of running work forever: a passing fault is logged and the work starts
again, so the line never stops for it (the database unavailable for a moment, say)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set (True) or ``timeout_s`` has passed (False). A cancellation
    always ends the wait: ``asyncio.wait_for`` of Python 3.11 drops one that comes as the event
    is set (it returns the event's result instead), and a loop waiting so never ended, its
    node hanging on SIGTERM until killed."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def kept_running(
    work: Callable[[], Awaitable[None]], *, what: str, pause_s: float = 1.0
) -> None:
    """Run ``work`` until cancelled; each time it fails, log it (``what`` names the work) and
    start it again ``pause_s`` seconds later."""
    while True:
        try:
            await work()
        except Exception:  # cancelling is not an Exception: it ends the loop
            log.exception("%s hit an error; resuming in %g s", what, pause_s)
        await asyncio.sleep(pause_s)
