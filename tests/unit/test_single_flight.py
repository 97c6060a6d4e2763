"""SingleFlight: callers while a run goes on share it; a caller that goes away leaves it to the
rest; the next caller after it starts a new run."""

from __future__ import annotations

import asyncio

from openline.api.single_flight import SingleFlight


class Job:
    """A job that runs until released, numbering its runs."""

    def __init__(self) -> None:
        self.started, self.released, self.count = asyncio.Event(), asyncio.Event(), 0

    async def __call__(self) -> int:
        self.count += 1
        number = self.count
        self.started.set()
        await self.released.wait()
        return number


def test_callers_while_a_run_goes_on_share_its_result():
    async def scene() -> tuple[list[int], int, int]:
        job = Job()
        shared = SingleFlight(job)
        first = asyncio.create_task(shared())
        await job.started.wait()
        others = [asyncio.create_task(shared()) for _ in range(99)]
        await asyncio.sleep(0)
        job.released.set()
        results = await asyncio.gather(first, *others)
        return results, shared.runs, await shared()

    results, runs, after = asyncio.run(scene())

    assert results == [1] * 100
    assert runs == 1
    assert after == 2  # asked after the run ended: a new run


def test_a_caller_that_goes_away_leaves_the_run_to_the_others():
    async def scene() -> int:
        job = Job()
        shared = SingleFlight(job)
        leaving = asyncio.create_task(shared())
        await job.started.wait()
        staying = asyncio.create_task(shared())
        await asyncio.sleep(0)
        leaving.cancel()
        job.released.set()
        return await staying

    assert asyncio.run(scene()) == 1
