"""The line's one way of running work forever: a passing fault is logged and the work starts
again, so the line never stops for it (the database unavailable for a moment, say)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


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
