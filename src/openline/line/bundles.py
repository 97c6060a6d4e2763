"""Importing a courier bundle: a peer's envelopes applied and its receipts stored through the
very code the network's go through (``receiver``, ``sender.store_receipts``), then the reply.

The file is checked whole first: its header read, addressed to this node, from a peer, signed
by that peer's key over exactly the content it holds. Anything else refuses the whole bundle,
nothing of it applied, journaled as the federation endpoint journals a refused envelope. Then
each envelope is checked alone and applied in its place on the link as if posted to
/federation/v1/envelopes: each once, in link order, a replay answered with its first receipt,
a gap, a forgery or a misaddressed one refused and journaled. So the same bundle imported
twice, or an older one after a newer, applies nothing, and bundles and the network mix freely.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from openline.domain import envelopes as rules
from openline.domain.bundles import Bundle, check_bundle, max_bundle_bytes, read_bundle
from openline.domain.envelopes import BadReceipt, Receipt, Refused
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.paths import BUNDLE_VIA
from openline.keys.signing import PublicKey
from openline.line.receiver import Checked, Outcome, apply_batch, check_alone
from openline.line.sender import check_receipt_of, store_receipts
from openline.node.assembly import Node
from openline.services.bundles import Exported, export_bundle
from openline.store import line as store
from openline.store.line import Outgoing
from openline.store.writer import Operation, UnitOfWork

BAD_RECEIPT = "bad_receipt"
PART = 1000  # envelopes applied in one transaction, the next part checked meanwhile
EVERY = 2**62  # the waiting envelopes a bundle's receipts are checked against: all of them


class BundleRefused(InvalidInput):
    """A bundle refused whole, nothing of it applied; ``code`` says why as a refused
    envelope's code does (``malformed``, ``too_large``, ``wrong_recipient``, ``unknown_sender``,
    ``bad_signature``), or ``bad_receipt``."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.reason, field="bundle")
        self.code = refused.code


@dataclass(frozen=True)
class Opened:
    """A bundle checked whole and its receipts checked; its envelopes still to be checked
    alone, as the receiver checks every envelope."""

    bundle: Bundle
    envelopes: list[object]
    receipts: list[tuple[Outgoing, Receipt]]


@dataclass(frozen=True)
class Imported:
    """What importing a bundle did, and the reply to carry back."""

    bundle: dict[str, Any]
    outcomes: list[Outcome]
    applied: int  # envelopes taken in their place now (applied, or received but not applied)
    receipts: int  # in the bundle
    receipts_stored: int  # receipts of ours stored now
    reply: Exported | None = None

    def to_json(self) -> dict[str, Any]:
        refused = [o.to_json() for o in self.outcomes if o.refused is not None]
        not_applied = [
            o.to_json()
            for o in self.outcomes
            if o.receipt is not None and "not_applied" in o.receipt
        ]
        return {
            "bundle": self.bundle,
            "envelopes": {
                "in_bundle": len(self.outcomes),
                "applied": self.applied,
                "already_applied": len(self.outcomes) - self.applied - len(refused),
                "not_applied": not_applied,
                "refused": refused,
            },
            "receipts": {"in_bundle": self.receipts, "stored": self.receipts_stored},
            "reply": None if self.reply is None else self.reply.to_json(),
        }


async def import_bundle(
    node: Node,
    data: bytes,
    keys: Mapping[str, PublicKey],
    client: str | None,
    unverified_in_full: Callable[[list[Checked]], bool],
) -> Imported:
    """Check, apply and answer the bundle ``data``; ``BundleRefused`` (journaled) if it is
    refused whole. ``keys``: the peers' keys, as the running line last read them;
    ``unverified_in_full``: whether the first refusal of an envelope no key verified is
    journaled in full (the federation endpoint's tally, ``apply_batch``).

    The envelopes go in parts of ``PART``, each checked on a worker thread while the writer
    applies the one before, each applied in a transaction of its own (the first with the
    receipts), so a large bundle holds the writer for a part at a time, not for the whole
    bundle, and other writes go between. An import cut short leaves the parts before it
    applied: the same bundle again applies the rest.
    """
    try:
        opened = await asyncio.to_thread(open_bundle, node, data, keys)
    except Refused as refused:
        await node.write_async(refusal_entry(data, refused, client))
        raise BundleRefused(refused) from None
    sender, header = opened.bundle.header.sender, opened.bundle.header
    envelopes = opened.envelopes
    parts = [envelopes[at : at + PART] for at in range(0, len(envelopes), PART)] or [[]]
    done = Imported(opened.bundle.summary(), [], 0, header.receipts, 0)
    checking = _checking(node, parts[0], keys)
    for n, _part in enumerate(parts):
        checked = await checking
        if n + 1 < len(parts):
            checking = _checking(node, parts[n + 1], keys)
        part = await node.write_async(
            apply_part(
                node,
                sender,
                checked,
                receipts=opened.receipts if n == 0 else [],
                client=client,
                unverified_in_full=unverified_in_full(checked),
            )
        )
        done = replace(
            done,
            outcomes=done.outcomes + part.outcomes,
            applied=done.applied + part.applied,
            receipts_stored=done.receipts_stored + part.receipts_stored,
        )
    answered = [o.receipt for o in done.outcomes if o.receipt is not None]
    reply = await asyncio.to_thread(export_bundle, node, sender, receipts_also=answered)
    return replace(done, reply=reply)


def open_bundle(node: Node, data: bytes, keys: Mapping[str, PublicKey]) -> Opened:
    """Check a bundle whole (``Refused`` if it is not one for this node from a peer, signed
    over all it holds), then each receipt (CPU work, no writes)."""
    bundle = read_bundle(data, max_bytes=max_bundle_bytes(node.settings.max_envelope_bytes))
    header = bundle.header
    if header.to != node.party:
        raise Refused(
            rules.WRONG_RECIPIENT,
            f"bundle {header.id} is addressed to {header.to}, and this node is {node.party}",
        )
    key = keys.get(header.sender)
    if key is None:
        raise Refused(
            rules.UNKNOWN_SENDER,
            f"bundle {header.id} comes from {header.sender}, not a peer of {node.party}",
        )
    contents = check_bundle(bundle, key.verify)
    receipts = _receipts(node, header.sender, key, contents.receipts)
    return Opened(bundle, contents.envelopes, receipts)


def _receipts(
    node: Node, party: str, key: PublicKey, values: list[object]
) -> list[tuple[Outgoing, Receipt]]:
    """The receipts of envelopes still waiting; those of envelopes receipted already are
    passed over (the network or an earlier bundle brought them)."""
    if not values:
        return []
    waiting = {o.link_seq: o for o in node.read(lambda c: store.waiting(c, party, limit=EVERY))}
    checked = []
    for value in values:
        seq = value.get("link_seq") if isinstance(value, dict) else None
        outgoing = waiting.get(seq) if isinstance(seq, int) else None
        if outgoing is None:
            continue
        try:
            checked.append((outgoing, check_receipt_of(outgoing, value, node.party, party, key)))
        except BadReceipt as exc:
            raise Refused(BAD_RECEIPT, str(exc)) from None
    return checked


def _checking(
    node: Node, envelopes: list[object], keys: Mapping[str, PublicKey]
) -> asyncio.Task[list[Checked]]:
    """Each envelope of a part checked alone, as the receiver checks them, on a worker thread."""
    return asyncio.create_task(asyncio.to_thread(check_alone, node, envelopes, keys))


def apply_part(
    node: Node,
    sender: str,
    checked: list[Checked],
    *,
    receipts: list[tuple[Outgoing, Receipt]],
    client: str | None,
    unverified_in_full: bool,
) -> Operation[Imported]:
    """Apply a part of a bundle's envelopes, and its receipts, in one transaction, through the
    receiver and the sender's receipt storage."""
    batch = apply_batch(
        node, checked, client, unverified_in_full=unverified_in_full, heard=False, via=BUNDLE_VIA
    )

    def apply(uow: UnitOfWork) -> Imported:
        head = store.last_applied(uow.conn, sender)[0]
        outcomes = batch(uow)
        stored = store_receipts(uow, node, sender, receipts, via=BUNDLE_VIA, heard=False)
        applied = sum(1 for o in outcomes if o.receipt and o.receipt["link_seq"] > head)
        return Imported({}, outcomes, applied, len(receipts), stored)

    return apply


def refusal_entry(data: bytes, refused: Refused, client: str | None) -> Operation[None]:
    """Journal a bundle refused whole, as the federation endpoint journals a refused
    envelope: the code, the reason, what the bundle claimed (if its header could be read)."""
    try:
        header: dict[str, Any] = read_bundle(data, max_bytes=len(data)).summary()
    except Refused:
        header = {}
    event = {
        "code": refused.code,
        "reason": refused.reason,
        "from": header.get("from"),
        "to": header.get("to"),
        "link_seq": None,
        "id": header.get("id"),
        "hash": hashlib.sha256(data).hexdigest(),
        "client": client,
    }

    def record(uow: UnitOfWork) -> None:
        uow.record(JournalKind.SECURITY_ENVELOPE_REFUSED, event)

    return record
