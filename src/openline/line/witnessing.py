"""Witnessing under load (docs/journal.md#witnessing).

With each line check the node offers each peer its newest checkpoint (``line/runner.py``). On
a busy line the journal grows by thousands of entries between two checks, so besides that, a
node whose journal grew by ``witness_after_entries`` beyond the checkpoint a peer last cosigned
(or was last offered) offers it the newest one at once: a peer's cosignature then stays within
that many entries of the journal, however busy the line. Looked at every second, with a read;
a write only to offer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from sqlalchemy import Connection

from openline.node.assembly import Node
from openline.services.witness import CHECKPOINT, offer_checkpoint
from openline.store import line as line_store
from openline.store import witness as store
from openline.store.journal import read_checkpoint_covering

CHECK_EVERY_S = 1.0


async def offer_under_load(node: Node, parties: Callable[[], list[str]]) -> None:
    """Forever: offer each peer in ``parties()`` the newest checkpoint once the journal has
    grown by ``witness_after_entries`` beyond what it cosigned or was offered."""
    offered: dict[str, int] = {}  # the size last offered to each peer here
    while True:
        await asyncio.sleep(CHECK_EVERY_S)
        for party in parties():
            due = partial(_due, party=party, offered=offered.get(party, 0), node=node)
            size = await node.read_async(due)
            if size is not None:
                offered[party] = size
                await node.write_async(partial(offer_checkpoint, node=node, peer=party))


def _due(conn: Connection, *, party: str, offered: int, node: Node) -> int | None:
    """The newest checkpoint's size if it is due to ``party``, else None."""
    latest = read_checkpoint_covering(conn, 0)
    if latest is None:
        return None
    size, _note = latest
    since = max(store.cosigned_size(conn, party), offered)
    if size - since < node.settings.witness_after_entries:
        return None
    return None if line_store.has_waiting(conn, party, CHECKPOINT) else size
