"""A relay's forwarder: what it holds for other parties, delivered to each addressee.

One task on the relay's event loop. For each link (sender, addressee) with envelopes held and
not yet receipted, it posts them in link order, one batch at a time, to the addressee's node by
the addressee's direct paths (the first that answers), checks each receipt against the
addressee's key (a relay can check receipts, not forge them) and stores it, so that the
sender's next post to the relay gets it back (``line/relay.py``). An envelope the addressee
refuses (altered in the relay's store, say) is marked refused and journaled; the ones behind it
wait until its sender sends it again. On any failure it retries with the sender's backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random

from openline.domain import envelopes as rules
from openline.domain.canonical import canonical_json
from openline.domain.envelopes import BadReceipt
from openline.domain.journal import JournalKind
from openline.domain.parties import Peer
from openline.domain.timeutil import format_utc
from openline.keys.signing import PublicKey
from openline.line.loops import woken
from openline.line.paths import ClientFor, DirectCarrier, PathFailed
from openline.line.relay import carried, direct_paths
from openline.line.sender import FIRST_BACKOFF_S, MAX_BACKOFF_S
from openline.node.assembly import Node
from openline.store import line as line_store
from openline.store import relay as store
from openline.store.relay import Held
from openline.store.writer import UnitOfWork

log = logging.getLogger(__name__)

MAX_BATCH = 500


class Forwarder:
    def __init__(self, node: Node, client_for: ClientFor) -> None:
        self.node = node
        self._client_for = client_for
        self.wake = asyncio.Event()
        self._receipted = asyncio.Event()  # set, then replaced, each time receipts are stored
        self._problems: dict[tuple[str, str], str] = {}

    async def wait_for_receipts(self, timeout_s: float) -> None:
        """Until the next receipts are stored, or ``timeout_s``."""
        self.wake.set()
        await woken(self._receipted, timeout_s)

    async def run(self) -> None:
        failures = 0
        while True:
            self.wake.clear()  # before reading: an envelope held after this wakes us again
            links = await self.node.read_async(store.links_waiting)
            done = [await self._forward(sender, addressee) for sender, addressee in links]
            if False in done:
                failures += 1
                wait = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** min(failures, 10))
                wait *= random.uniform(0.75, 1)  # noqa: S311 - jitter
            elif True in done:
                failures = 0
                continue
            else:  # nothing to send, or only what waits behind a refused envelope
                wait = 5.0
            await woken(self.wake, wait)  # a new envelope held goes at once

    async def _forward(self, sender: str, addressee: str) -> bool | None:
        """Deliver one batch of the link: True if it got through, False if not, None if the
        link has nothing to send."""
        batch = await self.node.read_async(
            lambda conn: store.waiting(conn, sender, addressee, limit=MAX_BATCH)
        )
        peer = await self.node.read_async(lambda conn: line_store.get_peer(conn, addressee))
        if not batch or peer is None:
            return None
        # "relay" names this node to the addressee, which records it as the envelopes' via.
        envelopes = ",".join(h.envelope for h in batch)
        body = f'{{"envelopes":[{envelopes}],"relay":"{self.node.party}"}}'.encode()
        failures = []
        now = format_utc(self.node.clock())
        for direct in direct_paths(peer):
            path = direct.at(now)  # without a rotated pin's old one once its overlap is over
            carrier = DirectCarrier(path, peer.party, self._client_for)
            try:
                results = await carrier.post(body)
            except PathFailed as exc:
                failures.append(str(exc))
                continue
            through = await self._take_results(peer, batch, results)
            if through:
                self._problems.pop((sender, addressee), None)  # logged again if it comes back
            return through
        self._note((sender, addressee), "; ".join(failures) or f"{addressee} has no direct path")
        return False

    async def _take_results(self, peer: Peer, batch: list[Held], results: object) -> bool:
        key = PublicKey.from_base64(peer.card.public_key)
        receipts: list[tuple[Held, str]] = []
        refused: tuple[Held, str] | None = None
        for item, result in zip(batch, results if isinstance(results, list) else [], strict=False):
            answer = result if isinstance(result, dict) else {}
            if "refused" in answer:
                refused = (item, _said(answer["refused"]))
                break
            try:
                receipt = rules.check_receipt(answer.get("receipt"), item.hash, key.verify)
            except BadReceipt as exc:
                self._note((item.sender, item.addressee), f"bad receipt from {peer.party}: {exc}")
                break
            if (receipt.link_seq, receipt.sender, receipt.receiver) != (
                item.link_seq,
                item.sender,
                item.addressee,
            ):
                self._note(
                    (item.sender, item.addressee), f"receipt for the wrong envelope: {receipt}"
                )
                break
            receipts.append((item, canonical_json(receipt.to_json()).decode("utf-8")))
        if receipts or refused:
            await self.node.write_async(lambda uow: self._store(uow, receipts, refused))
        if receipts:
            self._receipted.set()
            self._receipted = asyncio.Event()
        return refused is None and len(receipts) == len(batch)

    def _store(
        self, uow: UnitOfWork, receipts: list[tuple[Held, str]], refused: tuple[Held, str] | None
    ) -> None:
        now = format_utc(self.node.clock())
        for item, receipt in receipts:
            if store.record_receipt(uow.conn, item, receipt, now):
                uow.record(JournalKind.RELAY_FORWARDED, carried(item))
        if refused is not None:
            item, reason = refused
            store.record_refusal(uow.conn, item, reason)
            uow.record(JournalKind.RELAY_REFUSED, {**carried(item), "reason": reason})
            log.warning(
                "relay: %s refused envelope %d from %s: %s",
                item.addressee,
                item.link_seq,
                item.sender,
                reason[:200],
            )
        if receipts:
            line_store.mark_heard(uow.conn, receipts[0][0].addressee, now)

    def _note(self, link: tuple[str, str], problem: str) -> None:
        """Log a failure of a link when it starts or changes (its repeats at debug level)."""
        if self._problems.get(link) == problem:
            log.debug("relay %s -> %s: %s (again)", *link, problem)
            return
        self._problems[link] = problem
        log.warning("relay %s -> %s: %s", *link, problem)


def _said(refused: object) -> str:
    if isinstance(refused, dict):
        return f"{refused.get('code')}: {str(refused.get('reason'))[:400]}"
    return json.dumps(refused)[:400]
