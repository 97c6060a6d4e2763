"""Relaying between two other parties: what a relay takes in, holds, and answers.

A party both ends have linked (a neutral liaison) may carry their envelopes when they have no
path between them (docs/line.md#encryption-and-relays). The sender posts its batch to the
relay's ``/federation/v1/relay``, as it would post it to the addressee. The relay checks each
envelope as far as one can who cannot read it: its shape, its sender's signature over it (so
nothing forged or altered is carried), that the relay is allowed for the pair
(``openline relay allow``); then holds it durably, once at each place of the link, and its
forwarder (``line/forwarder.py``) delivers it to the addressee in link order. The answer gives
the addressee's receipt of each envelope once it is back, or says the envelope is held; the
sender posts again until every receipt has come, so receipts flow back the way the envelopes
went. The relay never opens a body (it has no key that could) and journals what it carried by
ids, sizes and hashes only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from sqlalchemy import Connection

from openline.domain import envelopes as rules
from openline.domain.envelopes import Envelope, Refused
from openline.domain.journal import JournalKind
from openline.domain.parties import Peer
from openline.domain.paths import DirectPath, RelayPath
from openline.domain.timeutil import format_utc
from openline.line.paths import Carrier, ClientFor, DirectCarrier, PathFailed
from openline.line.receiver import Checked, Outcome, Refusals, Rejected
from openline.node.assembly import Node
from openline.store import line as line_store
from openline.store import relay as store
from openline.store.writer import Operation, UnitOfWork

RELAY_PATH = "/federation/v1/relay"
RELAY_WAIT_S = 2.0  # how long the relay waits for the addressee's receipts before it answers
RELAY_PATIENCE_S = 3 * RELAY_WAIT_S  # how long a sender waits for them, posting again


class RelayCarrier:
    """Carries a batch to its addressee through a relay (``openline peer via``): posts it to
    the relay's ``/federation/v1/relay`` by the relay's own direct paths, the first that
    answers, and again while the relay still holds some of it, until every envelope has its
    receipt or refusal, or ``RELAY_PATIENCE_S`` has passed (``PathFailed``: the relay cannot
    reach the addressee either)."""

    def __init__(self, path: RelayPath, party: str, to_relay: Sequence[Carrier]) -> None:
        self.path = path
        self.party = party
        self._to_relay = to_relay

    async def post(self, body: bytes, *, timeout: float | None = None) -> object:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(RELAY_PATIENCE_S, timeout or 0)
        while True:
            results = await self._post_once(body, timeout)
            held = _count_held(results)
            if not held:
                return results
            if loop.time() >= deadline:
                raise PathFailed(
                    f"{self.path.relay} holds {held} envelope(s) for {self.party}, whose "
                    f"receipts are not back after {RELAY_PATIENCE_S:g} s"
                )

    async def _post_once(self, body: bytes, timeout: float | None) -> object:
        if not self._to_relay:
            raise PathFailed(f"the relay {self.path.relay} has no direct path from this node")
        failures = []
        for carrier in self._to_relay:
            try:
                return await carrier.post(body, timeout=timeout)
            except PathFailed as exc:
                failures.append(f"relay {exc}")
        raise PathFailed("; ".join(failures))


def relay_carrier(
    path: RelayPath, party: str, relay: Peer | None, client_for: ClientFor
) -> RelayCarrier:
    """The carrier of ``party``'s relay path, through the node of ``relay`` (the relay's peer
    record here; None if it is not linked, and then the path never carries)."""
    to_relay = [
        DirectCarrier(direct, path.relay, client_for, endpoint=RELAY_PATH)
        for direct in direct_paths(relay)
    ]
    return RelayCarrier(path, party, to_relay)


def direct_paths(peer: Peer | None) -> list[DirectPath]:
    """The direct paths of ``peer``, in order of preference."""
    return [path for path in peer.paths if isinstance(path, DirectPath)] if peer else []


def _count_held(results: object) -> int:
    if not isinstance(results, list):
        return 0
    return sum(1 for result in results if isinstance(result, dict) and result.get("held"))


def not_allowed(conn: Connection, node: Node, checked: Sequence[Checked]) -> Refused | None:
    """Why this node will not relay the first verified envelope of ``checked`` it will not
    relay (its addressee is not a peer, or the pair is not allowed); None if it relays all."""
    for envelope in _verified(checked):
        if not line_store.peer_exists(conn, envelope.to):
            return Refused(
                rules.RELAY_NOT_ALLOWED,
                f"{node.party} relays only between parties it is linked to, and "
                f"{envelope.to} is not one",
            )
        if not store.pair_allowed(conn, envelope.sender, envelope.to):
            a, b = sorted((envelope.sender, envelope.to))
            return Refused(
                rules.RELAY_NOT_ALLOWED,
                f"{node.party} does not relay between {a} and {b} (allowed on its node with: "
                f"openline relay allow DIR {a} {b})",
            )
    return None


def journal_not_allowed(
    checked: Sequence[Checked], refused: Refused, client: str | None
) -> Operation[None]:
    """Journal a batch refused whole because this node does not relay for it, as the receiver
    journals an envelope a peer signed and it refused."""

    def journal(uow: UnitOfWork) -> None:
        envelope = _verified(checked)[0]
        refusals = Refusals(uow, client, unverified_in_full=True)
        refusals.refuse(envelope.to_json(), refused, envelope.hash, verified=True)

    return journal


def hold_batch(
    node: Node, checked: Sequence[Checked], client: str | None, *, unverified_in_full: bool = True
) -> Operation[list[Outcome]]:
    """Hold the envelopes a peer's key verified, each once in its place, and journal the
    refusals (as the receiver does: ``Refusals``)."""

    def hold(uow: UnitOfWork) -> list[Outcome]:
        refusals = Refusals(uow, client, unverified_in_full)
        now = format_utc(node.clock())
        outcomes = [_hold_one(uow, item, refusals, now) for item in checked]
        refusals.summarise()
        for sender in sorted({envelope.sender for envelope in _verified(checked)}):
            line_store.mark_heard(uow.conn, sender, now)
        return outcomes

    return hold


def _hold_one(uow: UnitOfWork, item: Checked, refusals: Refusals, now: str) -> Outcome:
    if isinstance(item, Rejected):
        raw = item.raw if isinstance(item.raw, dict) else {}
        return refusals.refuse(raw, item.refused, verified=False)
    envelope = item
    prior = store.held(uow.conn, envelope.sender, envelope.to, envelope.link_seq)
    if prior is not None and prior.hash != envelope.hash:
        refused = Refused(
            rules.CONFLICTING_REPLAY,
            f"envelope {envelope.link_seq} from {envelope.sender} to {envelope.to} differs from "
            "the one held at that place",
        )
        return refusals.refuse(envelope.to_json(), refused, envelope.hash, verified=True)
    if prior is None:
        store.hold(uow.conn, envelope, now)
    elif prior.refused is not None:  # its addressee refused the copy held: hold this one
        store.hold_again(uow.conn, envelope, now)
    else:
        return _answer(prior)
    uow.record(JournalKind.RELAY_HELD, carried(store.Held.of(envelope)))
    return Outcome(envelope.link_seq, envelope.id, held=True)


def answers(
    conn: Connection, outcomes: Sequence[Outcome], checked: Sequence[Checked]
) -> list[Outcome]:
    """``outcomes`` with each envelope held answered anew from what the relay holds now."""
    renewed = []
    for outcome, item in zip(outcomes, checked, strict=True):
        row = None
        if outcome.held and isinstance(item, Envelope):
            row = store.held(conn, item.sender, item.to, item.link_seq)
        renewed.append(_answer(row) if row is not None else outcome)
    return renewed


def _answer(held: store.Held) -> Outcome:
    if held.receipt is None:
        return Outcome(held.link_seq, held.id, held=True)
    return Outcome(held.link_seq, held.id, receipt=json.loads(held.receipt))


def carried(item: store.Held) -> dict[str, object]:
    """What a relay journals of an envelope it carries: never its body."""
    return {
        "from": item.sender,
        "to": item.addressee,
        "link_seq": item.link_seq,
        "id": item.id,
        "hash": item.hash,
        "size": len(item.envelope),
    }


def _verified(checked: Sequence[Checked]) -> list[Envelope]:
    return [item for item in checked if isinstance(item, Envelope)]
