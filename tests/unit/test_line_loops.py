"""The line's retry-forever loop (line/loops.py): a failing run is logged and started again."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from openline.line.loops import kept_running, woken


def test_work_that_fails_is_logged_and_started_again_until_cancelled(
    caplog: pytest.LogCaptureFixture,
):
    runs: list[int] = []
    third = asyncio.Event()

    async def work() -> None:
        runs.append(len(runs))
        if len(runs) == 3:
            third.set()
            await asyncio.sleep(3600)  # runs on until cancelled
        raise RuntimeError("the database is away")

    async def scenario() -> None:
        task = asyncio.create_task(kept_running(work, what="the test loop", pause_s=0.0))
        await asyncio.wait_for(third.wait(), 5)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert task.cancelled()

    with caplog.at_level(logging.ERROR, logger="openline.line.loops"):
        asyncio.run(scenario())

    assert runs == [0, 1, 2]
    failures = [r for r in caplog.records if r.name == "openline.line.loops"]
    assert [r.getMessage() for r in failures] == ["the test loop hit an error; resuming in 0 s"] * 2
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in failures)


def test_a_wait_cancelled_as_its_event_is_set_ends_its_loop():
    """The sender's loop waits on its wake-up event between batches. Cancelled (its node
    stopping) in the same moment the event is set, the loop must end: asyncio.wait_for of
    Python 3.11 returned the event's result instead, the loop went on, and the node hung on
    SIGTERM until it was killed (seen on CI's PostgreSQL pass)."""

    async def scenario() -> None:
        wake = asyncio.Event()

        async def loop() -> None:
            while True:
                wake.clear()
                await woken(wake, 5.0)

        task = asyncio.create_task(loop())
        await asyncio.sleep(0)  # the loop waits
        wake.set()
        await asyncio.sleep(0)  # what the loop waits on is done: it resumes next
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=2)
        assert task in done, "the loop went on after it was cancelled"
        assert task.cancelled()

    asyncio.run(scenario())


def test_woken_says_whether_the_event_came_before_the_time():
    async def scenario() -> tuple[bool, bool]:
        event = asyncio.Event()
        late = await woken(event, 0.01)
        event.set()
        return late, await woken(event, 5.0)

    assert asyncio.run(scenario()) == (False, True)
