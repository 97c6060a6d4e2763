"""Refusals of requests whose sender nothing verified, journaled in a bounded number of entries
whatever their rate (docs/security.md, "Journal growth from each source").

Two kinds of request share it: those under /api/ without a valid operator token
(``api/auth.py``), and federation requests no peer's key verified: malformed, too large, and
envelopes refused before their signature verified (``api/routes/federation.py``). Per client
address and period of ``PERIOD_S`` the first refusal is journaled in full by its own kind, the
others counted by reason in one ``security.unauthenticated_counted`` entry as the period ends
(or as the node stops); at most ``MAX_CLIENTS`` addresses a period each their own, the others
counted together (``RefusalTally``). The reasons say where each refusal came from.

``OperatorAuth`` keeps the node's one ``UnverifiedRefusals`` and puts it in the state of every
request it passes on, where the federation endpoint finds it (``of_request``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import Scope

from openline.api.limits import RefusalTally
from openline.domain.journal import JournalKind
from openline.node.assembly import Node

log = logging.getLogger(__name__)

PERIOD_S = 10.0
MAX_CLIENTS = 32
STATE_KEY = "unverified_refusals"


class UnverifiedRefusals:
    """The tally of a node's unverified refusals, and the task that journals its counts."""

    def __init__(self, node: Node, clock: Callable[[], float] = time.monotonic) -> None:
        self.node = node
        self.tally = RefusalTally(PERIOD_S, MAX_CLIENTS, clock=clock)
        self._summariser: asyncio.Task[None] | None = None

    def take(self, client: str | None, reason: str) -> bool:
        """Take one refusal: True if the caller is to journal it in full, False if it was
        counted (journaled with its period's counts)."""
        if self.tally.note(client, reason):
            return True
        if self._summariser is None or self._summariser.done():
            self._summariser = asyncio.create_task(self._summarise())
        return False

    async def journal(
        self, client: str | None, reason: str, kind: JournalKind, event: dict[str, Any]
    ) -> None:
        """Journal one refusal as ``kind`` with ``event`` if it is its period's first from
        ``client``; count it otherwise."""
        if self.take(client, reason):
            await self.node.write_async(lambda uow: uow.record(kind, event))

    async def _summarise(self) -> None:
        """Journal each period's counts as it ends, while there are any."""
        while (wait := self.tally.seconds_to_due()) is not None:
            await asyncio.sleep(wait)
            try:
                await self.summarise_due()
            except Exception as exc:  # the node stopped meanwhile: these counts are lost
                log.warning("the counts of refused requests could not be journaled: %s", exc)
                return

    async def summarise_due(self, *, stopping: bool = False) -> None:
        """Journal the counts of the periods that have ended (all of them, when stopping)."""
        tally = self.tally.close() if stopping else self.tally.due()
        counted = [c.to_json(self.tally.period_s) for c in tally]
        if counted:
            kind = JournalKind.SECURITY_UNAUTHENTICATED_COUNTED
            await self.node.write_async(lambda uow: [uow.record(kind, c) for c in counted])


def of_request(scope: Scope) -> UnverifiedRefusals:
    """The node's ``UnverifiedRefusals``, which ``OperatorAuth`` put in the request's state."""
    refusals: UnverifiedRefusals = scope["state"][STATE_KEY]
    return refusals
