"""Waiting on a condition rather than for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable

FIRST_PAUSE_S = 0.02
LONGEST_PAUSE_S = 0.2


def wait_for(condition: Callable[[], object], *, timeout: float = 60, what: str = "") -> None:
    """Return as soon as ``condition()`` is true; fail, naming ``what``, after ``timeout`` s.

    The pause between two checks grows from 20 to 200 ms: a condition soon true is seen soon,
    and one that takes seconds (often a request to a node, reading its journal) is not asked
    fifty times a second, taking the processor from the nodes the test waits on. The default
    limit only catches a condition that never comes, on a slow machine too."""
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {what or condition}")
        time.sleep(pause)
        pause = min(pause * 1.5, LONGEST_PAUSE_S)
