"""The leader's fence on PostgreSQL (line/leadership.py, ``node.assembly.leader_fence``): a
write of the leader's duties commits only while its process's session holds the lead, read once
a writer transaction however many of its operations are fenced, and again when the writer runs
a batch again (docs/deployment.md).

The lead is lost here as a zombie leader loses it: its session ended by the database
(``pg_terminate_backend``) and the lock taken by another session at once, while the process
itself has not noticed yet.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from openline.domain.journal import JournalEntry
from openline.line.leadership import Leadership, LeadLost
from openline.node.assembly import Node
from openline.services.setup import NewNode
from openline.store import processes
from openline.store.journal import iter_all_entries
from openline.store.writer import Operation, UnitOfWork
from tests.integration.test_writer import (
    failing_after_writing,
    token_and_record,
    token_hashes,
    writer_held,
)
from tests.support.backend import node_engine, on_postgresql

pytestmark = pytest.mark.skipif(
    not on_postgresql(), reason="PostgreSQL only: on SQLite the node's one process leads unfenced"
)

FENCED = 3  # fenced operations in one writer transaction


class RecordedDuties:
    """Duties that do nothing but keep the context the leader's tasks would run in (the fence
    set) and say when the process stopped leading."""

    def __init__(self) -> None:
        self.context: contextvars.Context | None = None
        self.followed = threading.Event()

    async def lead(self) -> None:
        self.context = contextvars.copy_context()

    async def follow(self) -> None:
        self.followed.set()

    def report(self) -> str | None:
        return None

    def leader_reported(self, report: str | None) -> None:
        pass


Test = Callable[[Node, Leadership, RecordedDuties], Awaitable[None]]


def run_leading(node_dir: NewNode, test: Test) -> None:
    """Run ``test`` with the node started and its one process leading (an event loop of its
    own, as `openline serve`'s)."""

    async def leading() -> None:
        duties = RecordedDuties()
        leadership = Leadership(node, duties)
        await leadership.start()
        try:
            assert leadership.leading
            assert duties.context is not None
            await test(node, leadership, duties)
        finally:
            await leadership.stop()

    node = Node.open(node_dir.directory, environ={})
    node.start()
    try:
        asyncio.run(leading())
    finally:
        node.close()


# The session that holds the lead ended (pg_locks shows a bigint advisory key in two halves).
END_THE_LEAD = text(
    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = :high AND objid = :low AND objsubid = 1"
)


@contextmanager
def lead_taken_over(directory: Path) -> Iterator[None]:
    """The session holding the lead ended by the database, and the lead held by another
    session until the block ends."""
    key = processes.LEADER_LOCK
    with node_engine(directory).connect() as other:
        ended = other.execute(END_THE_LEAD, {"high": key >> 32, "low": key & 0xFFFFFFFF})
        assert ended.scalars().all() == [True], "no session held the lead"
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        other.commit()
        yield


def as_leader(node: Node, duties: RecordedDuties, name: str) -> asyncio.Task[JournalEntry]:
    """A write of the leader's duties (a token row and its journal entry), in their context."""
    return asyncio.create_task(node.write_async(token_and_record(name)), context=duties.context)


async def in_one_transaction(
    node: Node, duties: RecordedDuties, name: str, unfenced: Operation[Any] | None = None
) -> list[Any]:
    """What each of FENCED writes of the leader's duties, then one write of no duty
    (``unfenced``, or a token of its own), gave, all taken by the writer as one batch."""
    batches = node.writer.batches
    with writer_held(node):  # what is submitted meanwhile is the next batch
        fenced = [as_leader(node, duties, f"{name}-{n}") for n in range(FENCED)]
        await asyncio.sleep(0)  # each task submits its write
        last = unfenced or token_and_record(f"{name}-unfenced")
        outcomes = [*fenced, asyncio.wrap_future(node.writer.submit(last))]
    answers = await asyncio.gather(*outcomes, return_exceptions=True)
    assert node.writer.batches - batches == 2, "the writes were not taken as one batch"
    return answers


def written(node: Node) -> tuple[set[str], list[str]]:
    """The tokens in the database, and the names of the tokens the journal speaks of."""

    def read(conn: Connection) -> tuple[set[str], list[str]]:
        entries = iter_all_entries(conn)
        names = [json.loads(e.data)["name"] for e in entries if e.kind == "test.token"]
        return token_hashes(conn), names

    return node.read(read)


def test_a_leader_whose_session_ended_writes_nothing_as_leader_and_stops_leading(
    node_dir: NewNode,
) -> None:
    async def test(node: Node, leadership: Leadership, duties: RecordedDuties) -> None:
        await as_leader(node, duties, "held")
        tokens, journaled = written(node)
        assert "hash-held" in tokens
        assert journaled == ["held"]
        before = written(node)
        with lead_taken_over(node_dir.directory):
            with pytest.raises(LeadLost, match="no longer leads this node's line"):
                await as_leader(node, duties, "lost")
            assert written(node) == before  # neither its row nor its journal entry
            # The process finds it out at its next beat, and gives up its duties.
            assert await asyncio.to_thread(duties.followed.wait, 10)
            assert not leadership.leading
        assert written(node) == before

    run_leading(node_dir, test)


@pytest.fixture
def lead_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sessions the writer's transactions asked pg_locks about, in turn."""
    reads: list[int] = []
    leads = processes.leads

    def counted(conn: Connection, session: int) -> bool:
        if threading.current_thread().name == "openline-writer":  # not the heartbeat's
            reads.append(session)
        return leads(conn, session)

    monkeypatch.setattr(processes, "leads", counted)
    return reads


def test_the_fenced_writes_of_one_transaction_read_the_lead_once_and_a_lost_lead_refuses_all(
    node_dir: NewNode, lead_reads: list[int]
) -> None:
    async def test(node: Node, leadership: Leadership, duties: RecordedDuties) -> None:
        outcomes = await in_one_transaction(node, duties, "held")
        assert all(isinstance(outcome, JournalEntry) for outcome in outcomes), outcomes
        assert len(lead_reads) == 1, lead_reads
        before = written(node)
        with lead_taken_over(node_dir.directory):
            *fenced, unfenced = await in_one_transaction(node, duties, "lost")
        assert all(isinstance(outcome, LeadLost) for outcome in fenced), fenced
        assert isinstance(unfenced, JournalEntry), unfenced
        tokens, journaled = written(node)
        assert tokens - before[0] == {"hash-lost-unfenced"}
        assert journaled[len(before[1]) :] == ["lost-unfenced"]

    run_leading(node_dir, test)


def test_a_batch_run_again_reads_the_lead_again(node_dir: NewNode, lead_reads: list[int]) -> None:
    runs: list[str] = []  # each transaction the batch ran in, as its failing write saw it

    def failing(uow: UnitOfWork) -> None:
        runs.append("ran")
        failing_after_writing(uow)

    async def test(node: Node, leadership: Leadership, duties: RecordedDuties) -> None:
        *fenced, failed = await in_one_transaction(node, duties, "redo", failing)
        assert all(isinstance(outcome, JournalEntry) for outcome in fenced), fenced
        assert isinstance(failed, RuntimeError), failed
        # The batch rolled back and run again, a savepoint for each write (store/writer.py):
        # the lead read in each of the two transactions, before each commit.
        assert len(runs) == 2
        assert len(lead_reads) == 2, lead_reads

    run_leading(node_dir, test)
