"""/api/v1/events: every journal entry as a server-sent event, resumable with Last-Event-ID.

The event's name is the entry's kind (``message.created``, ``message.acknowledged``, ...), its
id the entry's sequence number and its data the entry. A client that reconnects with
``Last-Event-ID`` (or ``?after=SEQ``) first gets every entry it missed, from the journal, then
the live stream: nothing is lost between connections.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from openline.api.deps import NodeDep, Operator, requires
from openline.domain.journal import MAX_SEQ, JournalEntry
from openline.domain.roles import Action
from openline.node.assembly import Node
from openline.services.journal import journal_backlog

router = APIRouter(prefix="/api/v1", tags=["events"])
KEEPALIVE_SECONDS = 15.0
BACKLOG_PAGE = 1000


def sse_frame(entry: JournalEntry) -> str:
    data = json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {entry.seq}\nevent: {entry.kind}\ndata: {data}\n\n"


@router.get("/events", response_class=StreamingResponse, dependencies=requires(Action.READ))
async def events(
    node: NodeDep,
    _operator: Operator,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_SEQ, description="Replay entries after this seq.")
    ] = None,
    kinds: Annotated[
        str | None, Query(max_length=500, description="Comma-separated kind prefixes.")
    ] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    # ASCII digits only: str.isdigit() also takes '²', which int() refuses. An id past what a
    # journal can hold is replayed from the head, as any id past this journal's head is.
    if last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        after = min(int(last_event_id), MAX_SEQ)
    prefixes = tuple(p.strip() for p in kinds.split(",") if p.strip()) if kinds else ()
    return StreamingResponse(
        _stream(node, after, prefixes),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(node: Node, after: int | None, prefixes: tuple[str, ...]) -> AsyncIterator[str]:
    def wanted(entry: JournalEntry) -> bool:
        return not prefixes or entry.kind.startswith(prefixes)

    subscription = node.bus.subscribe()  # before the backlog read, so no entry falls between
    try:
        last = after
        while last is not None:
            backlog, head = await journal_backlog(node, after=last, limit=BACKLOG_PAGE)
            last = min(last, head)  # an id beyond the head: another journal, or a restore
            for entry in backlog:
                if wanted(entry):
                    yield sse_frame(entry)
                last = entry.seq
            if len(backlog) < BACKLOG_PAGE:
                break
        yield ": live\n\n"
        while True:
            try:
                live = await subscription.next(KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if live is None:
                return
            if last is not None and live.seq <= last:
                continue
            if wanted(live):
                yield sse_frame(live)
    finally:
        subscription.close()
