"""Delivering one peer's outbox: batches in link order, retried until each has its receipt.

One ``PeerLink`` per peer runs on the node's event loop. It posts the waiting envelopes, oldest
first, in batches to the peer by one of its paths (``line/paths.py``), checks the signed receipt
of each, stores the receipts durably, and goes on with the next batch. One batch is in flight
at a time, so the peer always sees the link in order; envelopes queued meanwhile make the next
batch bigger. Each batch goes by the first path that is up; when it fails there it goes at
once by the next (``domain.paths.sending_order``), and only when every path failed does the
sender wait, with exponential backoff capped at ``MAX_BACKOFF_S``, or as long as a peer that
answered 429 or 503 asked by ``Retry-After``, up to the ``retry_after_cap`` setting. Every
line-check interval, ``check_paths`` checks the paths that carried nothing meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from typing import Any

from openline.domain import envelopes as rules
from openline.domain.canonical import canonical_json
from openline.domain.envelopes import BadReceipt, Receipt
from openline.domain.journal import JournalKind
from openline.domain.parties import Peer
from openline.domain.paths import PathStatus, sending_order
from openline.domain.timeutil import format_utc
from openline.keys.boxes import PairBox
from openline.keys.signing import PublicKey
from openline.line.loops import woken
from openline.line.paths import Carrier, PathFailed, PathState
from openline.node.assembly import Node
from openline.services.messages import record_delivery
from openline.services.outbox import body_sealed, box_to
from openline.store import line as store
from openline.store import messages as message_store
from openline.store.line import Outgoing
from openline.store.writer import UnitOfWork

log = logging.getLogger(__name__)

MAX_BATCH = 500
FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 2.0
# A path check waits for the peer's answer this long: the interval, within 2 s to 10 s (one
# envelope answered from the peer's table; a path slower than that is as good as down).
MIN_CHECK_TIMEOUT_S, MAX_CHECK_TIMEOUT_S = 2.0, 10.0


class DeliveryFailed(Exception):
    """A batch did not get through; the words say why, for the operator. ``retry_after_s``:
    the least wait any path's peer asked for by Retry-After, if one did."""

    def __init__(self, words: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(words)
        self.retry_after_s = retry_after_s


class PeerLink:
    def __init__(self, node: Node, peer: Peer, carriers: list[Carrier]) -> None:
        self.node = node
        self.peer = peer
        self.party = peer.party
        self._key = PublicKey.from_base64(peer.card.public_key)
        self.paths = [PathState(carrier) for carrier in carriers]  # in order of preference
        self.carrying: PathState | None = None  # the path the last batch went by
        self.wake = asyncio.Event()
        self.last_attempt_failed = False
        self.problem: str | None = None  # the last failure, in words; None once delivering
        self.delivered = 0
        self._task: asyncio.Task[Any] | None = None

    def use(self, peer: Peer, carriers: list[Carrier]) -> None:
        """Go on by ``peer``'s paths as they are now (replaced while the node runs), keeping
        what is known of those it had already."""
        known = {state.carrier.path: state for state in self.paths}
        self.peer = peer
        self._key = PublicKey.from_base64(peer.card.public_key)  # rotated, or replaced
        self.paths = [known.get(carrier.path) or PathState(carrier) for carrier in carriers]
        if self.carrying not in self.paths:
            self.carrying = None

    def stop(self) -> None:
        """End the link (its peer was removed): the task running it is cancelled where it
        waits; what it had not delivered stays in the outbox."""
        if self._task is not None:
            self._task.cancel()

    async def run(self) -> None:
        self._task = asyncio.current_task()
        failures = 0
        while True:
            self.wake.clear()  # before reading: an envelope queued after this wakes us again
            # Read on the event loop: one indexed query, cheaper than the hop to a thread.
            batch = self.node.read(self._batch)
            if not batch:
                self.last_attempt_failed = False
                await woken(self.wake, 5.0)
                continue
            try:
                await self._deliver_by_a_path(batch)
            except DeliveryFailed as exc:
                failures += 1
                self.last_attempt_failed = True
                await self._note_problem(str(exc))
                delay = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** min(failures, 10))
                delay *= random.uniform(0.75, 1.0)  # noqa: S311 - jitter
                if exc.retry_after_s is not None:  # as the peer asked, within the cap
                    delay = max(delay, min(exc.retry_after_s, self._retry_cap_s))
                await asyncio.sleep(delay)
            else:
                failures = 0
                self.last_attempt_failed = False
                self.problem = None

    def _batch(self, conn: Any) -> list[Outgoing]:
        waiting = store.waiting(conn, self.party, limit=MAX_BATCH)
        budget = 2 * self.node.settings.max_envelope_bytes
        batch: list[Outgoing] = []
        for outgoing in waiting:
            budget -= len(outgoing.envelope) + 1
            if batch and budget < 0:
                break
            batch.append(outgoing)
        return batch

    async def _deliver_by_a_path(self, batch: list[Outgoing]) -> None:
        """Deliver ``batch`` by the first path that carries it, trying each in
        ``sending_order``; DeliveryFailed when none did, or when the peer refused."""
        if not self.paths:
            raise DeliveryFailed(f"{self.party} has no path this node can use")
        body = ('{"envelopes":[' + ",".join(o.envelope for o in batch) + "]}").encode("utf-8")
        failures, asked = [], []
        for index in sending_order([path.status for path in self.paths]):
            path = self.paths[index]
            try:
                results = await self._post(path, body)
            except PathFailed as exc:
                path.found(self._now(), problem=str(exc))
                failures.append(str(exc))
                if exc.retry_after_s is not None:
                    asked.append(exc.retry_after_s)
                    wait = min(exc.retry_after_s, self._retry_cap_s)
                    path.quiet_until = asyncio.get_running_loop().time() + wait
                continue
            path.found(self._now())
            self.carrying = path
            await self._take_results(batch, results, path.via)
            return
        raise DeliveryFailed("; ".join(failures), retry_after_s=min(asked) if asked else None)

    @property
    def _retry_cap_s(self) -> float:
        return self.node.settings.retry_after_cap

    async def _post(self, path: PathState, body: bytes) -> object:
        """The results of ``body`` by ``path``, or PathFailed: when it fails, or when its check
        finds it down while the batch is on its way and another path is up (a path that
        hangs is left for a backup within a check, not after the client's 30 s timeout)."""
        path.abandon.clear()
        path.in_flight = True
        post = asyncio.ensure_future(path.carrier.post(body))
        abandoned = asyncio.ensure_future(path.abandon.wait())
        try:
            done, _ = await asyncio.wait({post, abandoned}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            path.in_flight = False
            abandoned.cancel()
            if not post.done():
                post.cancel()  # left for another path, or the node is stopping
            elif not post.cancelled():
                # Done as the node stops, this task cancelled meanwhile: its outcome is taken
                # here, so that asyncio does not log it later as an exception never retrieved.
                post.exception()
        if post not in done:
            raise PathFailed(f"{path.problem} (the batch on its way there is left)")
        return post.result()

    async def _take_results(self, batch: list[Outgoing], results: object, via: str) -> None:
        receipts, refusal = await asyncio.to_thread(self._check_results, batch, results)
        if receipts:
            await self.node.write_async(
                lambda uow: store_receipts(uow, self.node, self.party, receipts, via=via)
            )
            self.delivered += len(receipts)
        if refusal is not None:
            raise DeliveryFailed(refusal)

    async def check_paths(self, interval_s: float) -> None:
        """Check each path that carried nothing in the last ``interval_s``, or that a batch is
        on its way by: post again by it the last envelope the peer receipted, which the peer
        answers with the receipt it gave, signed, applying and journaling nothing. So a path
        is up only when the peer's own node answered on it, and one that hangs is found down
        within a check's timeout. Before any envelope is receipted, the deliveries are the
        checks."""
        last = await self.node.read_async(lambda conn: store.last_receipted(conn, self.party))
        if last is None:
            return
        timeout = min(MAX_CHECK_TIMEOUT_S, max(MIN_CHECK_TIMEOUT_S, interval_s))
        since = format_utc(self.node.clock() - timedelta(seconds=interval_s))
        now = asyncio.get_running_loop().time()
        due = [
            path
            for path in self.paths
            if path.in_flight or path.status is not PathStatus.UP or (path.checked_at or "") < since
        ]  # not those that carried a batch, or were checked, within the interval
        due = [path for path in due if path.quiet_until <= now]  # nor one its peer asked to wait
        await asyncio.gather(*(self._check(path, last, timeout) for path in due))

    async def _check(self, path: PathState, last: Outgoing, timeout: float) -> None:
        body = ('{"envelopes":[' + last.envelope + "]}").encode("utf-8")
        try:
            results = await path.carrier.post(body, timeout=timeout)
            _, refusal = self._check_results([last], results)  # one receipt: no thread
        except PathFailed as exc:
            refusal = str(exc)
        path.found(self._now(), problem=refusal)
        if refusal is not None and path.in_flight and self._another_up(path):
            path.abandon.set()

    def _another_up(self, path: PathState) -> bool:
        return any(other.status is PathStatus.UP for other in self.paths if other is not path)

    def _now(self) -> str:
        return format_utc(self.node.clock())

    def _check_results(
        self, batch: list[Outgoing], results: object
    ) -> tuple[list[tuple[Outgoing, Receipt]], str | None]:
        """The receipts that hold, in order, and why the first envelope without one failed."""
        if not isinstance(results, list):
            return [], f"{self.party} answered without a list of results"
        receipts: list[tuple[Outgoing, Receipt]] = []
        for outgoing, result in zip(batch, results, strict=False):
            refused = result.get("refused") if isinstance(result, dict) else None
            if refused is not None or not isinstance(result, dict):
                return receipts, (
                    f"{self.party} refused envelope {outgoing.link_seq}: "
                    f"{refused if refused is not None else result!r}"
                )
            try:
                receipt = check_receipt_of(
                    outgoing, result.get("receipt"), self.node.party, self.party, self._key
                )
            except BadReceipt as exc:
                return receipts, str(exc)
            receipts.append((outgoing, receipt))
        if len(results) < len(batch):
            return receipts, f"{self.party} answered {len(results)} results for {len(batch)}"
        return receipts, None

    async def _note_problem(self, text: str) -> None:
        """Log a failure when it starts (its repeats only at debug level: a peer still starting
        would otherwise fill the log, a line every retry); journal it the first time too."""
        if self.problem == text:
            log.debug("line to %s: %s (again)", self.party, text)
            return
        log.warning("line to %s: %s", self.party, text)
        self.problem = text
        # A peer that answers but refuses or sends bad receipts is worth a journal entry; a
        # peer that does not answer shows as degraded, then down, in the line status.
        if "does not answer" not in text:
            event = {"peer": self.party, "problem": text[:1000]}
            await self.node.write_async(
                lambda uow: uow.record(JournalKind.LINE_DELIVERY_REFUSED, event)
            )


def check_receipt_of(
    outgoing: Outgoing, value: object, sender: str, party: str, key: PublicKey
) -> Receipt:
    """``value`` as the receipt of ``party`` for ``outgoing`` (sent by ``sender``), whatever
    carried it; ``BadReceipt`` saying why it is not."""
    try:
        receipt = rules.check_receipt(value, outgoing.hash, key.verify)
    except BadReceipt as exc:
        raise BadReceipt(f"bad receipt from {party}: {exc}") from None
    if (receipt.link_seq, receipt.sender, receipt.receiver) != (outgoing.link_seq, sender, party):
        raise BadReceipt(f"receipt from {party} for the wrong envelope: {receipt}")
    return receipt


def _not_receipted_yet(
    uow: UnitOfWork, party: str, receipts: list[tuple[Outgoing, Receipt]]
) -> list[tuple[Outgoing, Receipt]]:
    """The receipts for envelopes still waiting for one, each once (an envelope receipted
    already, by another carrier or earlier in the list, is skipped)."""
    waiting = store.still_waiting(uow.conn, party, [o.link_seq for o, _ in receipts])
    fresh = []
    for outgoing, receipt in receipts:
        if outgoing.link_seq in waiting:
            waiting.discard(outgoing.link_seq)
            fresh.append((outgoing, receipt))
    return fresh


def store_receipts(
    uow: UnitOfWork,
    node: Node,
    party: str,
    receipts: list[tuple[Outgoing, Receipt]],
    *,
    via: str,
    heard: bool = True,
) -> int:
    """Store ``party``'s receipts for envelopes of the outbox and journal each delivery, once:
    an envelope receipted already (the network and a courier bundle both carried it) is
    skipped. ``via``: what carried the envelopes and brought the receipts, as each delivery's
    journal entry records it (``openline.domain.paths``: a direct path's URL, ``relay:PARTY``
    or ``bundle``). ``heard``: whether they came over the network (a courier bundle says
    nothing of the line's state). Returns how many were stored."""
    now = format_utc(node.clock())
    fresh = _not_receipted_yet(uow, party, receipts)
    # Read once for the batch, before any write (on PostgreSQL each read is a round trip the
    # whole batch waits for): the message each applied message envelope carried, and which
    # of those are still queued for the peer (not delivered, nor acknowledged).
    pair: PairBox | None = None
    messages: dict[int, str] = {}
    for outgoing, receipt in fresh:
        if outgoing.kind == "message" and receipt.not_applied is None:
            pair = pair or box_to(uow, node, party)
            body = body_sealed(uow, node, party, outgoing.envelope, pair)
            messages[outgoing.link_seq] = body["id"]
    queued = message_store.still_queued(uow.conn, party, list(messages.values()))
    for outgoing, receipt in fresh:
        receipt_json = receipt.to_json()
        text = canonical_json(receipt_json).decode("utf-8")
        store.record_receipt(uow.conn, party, outgoing.link_seq, text, now)
        data = {
            "to": party,
            "link_seq": outgoing.link_seq,
            "id": outgoing.id,
            "kind": outgoing.kind,
            "hash": outgoing.hash,
            "receipt": receipt_json,
            "via": via,
        }
        if receipt.not_applied is not None:  # delivered, but what it carries is not there
            log.warning(
                "line to %s: envelope %d (%s) delivered but not applied: %s",
                party,
                outgoing.link_seq,
                outgoing.id,
                receipt.not_applied[:200],
            )
            uow.record(
                JournalKind.ENVELOPE_DELIVERED_NOT_APPLIED,
                {**data, "reason": receipt.not_applied},
            )
            continue
        uow.record(JournalKind.ENVELOPE_DELIVERED, data)
        message_id = messages.get(outgoing.link_seq)
        if message_id is not None:
            record_delivery(uow, node, party, message_id, queued=message_id in queued)
    stored = len(fresh)
    if heard:
        store.mark_heard(uow.conn, party, now)
    return stored
