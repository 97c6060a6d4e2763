"""The line's retry-forever loop (line/loops.py): a failing run is logged and started again."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from openline.line.loops import kept_running


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
