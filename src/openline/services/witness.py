"""Witnessing over the line: offering this node's checkpoints, cosigning the peers', keeping
the cosignatures that come back (docs/journal.md#witnessing).

With each line check the node offers each peer its latest checkpoint with the consistency
proof from the last one that peer cosigned (``offer_checkpoint``). The peer, as witness,
checks the node's signature and the proof against the checkpoint it holds, cosigns and sends
the cosignature back (``apply_checkpoint``), or, for a checkpoint not consistent with one it
cosigned, refuses it: a security event in its journal, raised as an alarm on its console. The
node keeps each cosignature it receives (``apply_cosignature``), which its proofs and its
verification then show beside the checkpoint (``services/journal.py``).
Every peer is a witness; a third party's node (a neutral liaison) becomes one when both
parties link it as a peer.
"""

from __future__ import annotations

import base64

from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.merkle import consistency_proof
from openline.domain.signed_note import (
    Checkpoint,
    Cosignature,
    checkpoint_origin,
    cosigner_name,
    parse_checkpoint,
    parse_note,
)
from openline.domain.timeutil import format_utc
from openline.domain.witnessing import Offer, Reply, Verdict, judge, read_offer, read_reply
from openline.keys.notes import cosign, verify_cosignature, verify_note
from openline.keys.signing import PublicKey
from openline.node.assembly import Node
from openline.services.outbox import seal_for
from openline.store import keys as keys_store
from openline.store import line as line_store
from openline.store import witness as store
from openline.store.journal import node_reader, read_checkpoint_covering
from openline.store.writer import UnitOfWork

CHECKPOINT = "checkpoint"
COSIGNATURE = "cosignature"


def offer_checkpoint(uow: UnitOfWork, node: Node, peer: str) -> None:
    """Offer ``peer`` this node's latest checkpoint, unless one waits for delivery already or
    the peer cosigned it already."""
    if line_store.has_waiting(uow.conn, peer, CHECKPOINT):
        return
    latest = read_checkpoint_covering(uow.conn, 0)
    if latest is None:
        return
    note = parse_note(latest[1])
    checkpoint = parse_checkpoint(note.text)
    from_size = store.cosigned_size(uow.conn, peer)
    if checkpoint.size <= from_size:
        return
    read = node_reader(uow.conn)
    proof = consistency_proof(from_size, checkpoint.size, read) if from_size else []
    offer = Offer(note, checkpoint, from_size, tuple(proof))
    seal_for(uow, node, peer, CHECKPOINT, offer.to_body())


def apply_checkpoint(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """As a witness: cosign a peer's checkpoint consistent with the one held, or refuse it."""
    offer = read_offer(envelope.body)
    key = _peer_key(uow, envelope.sender)
    origin = checkpoint_origin(envelope.sender, key.to_bytes())
    if offer.checkpoint.origin != origin:
        raise InvalidInput(
            f"checkpoint: origin {offer.checkpoint.origin} is not {envelope.sender}'s journal "
            f"under its node key ({origin})"
        )
    if not verify_note(offer.note, origin, key):
        raise InvalidInput(f"checkpoint: not signed by {envelope.sender}'s node key")
    held = store.latest_witnessed(uow.conn, origin) or _held_before_rotation(uow, envelope.sender)
    if held is None:
        _cosign(uow, node, envelope.sender, offer)
        return
    judgement = judge(_checkpoint_of(held.checkpoint), offer)
    if judgement.verdict is Verdict.FORK:
        _journal_fork(uow, envelope, offer, held, judgement.reason)
    elif judgement.verdict is Verdict.ANSWER_HELD or offer.checkpoint.size == held.size:
        seal_for(uow, node, envelope.sender, COSIGNATURE, _held_reply(held))
    else:
        _cosign(uow, node, envelope.sender, offer)


def _held_before_rotation(uow: UnitOfWork, party: str) -> store.Witnessed | None:
    """The latest checkpoint cosigned under a key ``party`` has since rotated away from: the
    new key's first checkpoint must be consistent with it, so a rotation cannot hide a
    rewritten history (docs/security.md#key-rotation)."""
    for change in reversed(keys_store.changes_of(uow.conn, party)):
        old = checkpoint_origin(party, PublicKey.from_base64(change.old_key).to_bytes())
        held = store.latest_witnessed(uow.conn, old)
        if held is not None:
            return held
    return None


def _cosign(uow: UnitOfWork, node: Node, peer: str, offer: Offer) -> None:
    now = node.clock()
    name = cosigner_name(node.party, node.key.public_key.to_bytes())
    cosignature = cosign(offer.note.text, name, node.key, int(now.timestamp()))
    line = cosignature.to_note_signature().to_line()
    store.insert_witnessed(
        uow.conn,
        store.Witnessed(
            peer=peer,
            origin=offer.checkpoint.origin,
            size=offer.checkpoint.size,
            checkpoint=offer.note.to_text(),
            cosignature=line,
            cosigned_at=format_utc(now),
        ),
    )
    reply = Reply(offer.note, offer.checkpoint, cosignature)
    seal_for(uow, node, peer, COSIGNATURE, reply.to_body())


def _held_reply(held: store.Witnessed) -> dict[str, str]:
    return {"checkpoint": held.checkpoint, "cosignature": held.cosignature}


def _journal_fork(
    uow: UnitOfWork,
    envelope: Envelope,
    offer: Offer,
    held: store.Witnessed,
    reason: str,
) -> None:
    """The evidence of a rewritten or forked history: both checkpoints, each signed by the
    peer's node key, and the one this node cosigned with its cosignature."""
    held_checkpoint = _checkpoint_of(held.checkpoint)
    uow.record(
        JournalKind.SECURITY_CHECKPOINT_REFUSED,
        {
            "peer": envelope.sender,
            "envelope": envelope.id,
            "reason": reason,
            "origin": offer.checkpoint.origin,
            "size": offer.checkpoint.size,
            "root_hash": _b64(offer.checkpoint.root_hash),
            "from_size": offer.from_size,
            "checkpoint": offer.note.to_text(),
            "cosigned_size": held_checkpoint.size,
            "cosigned_root_hash": _b64(held_checkpoint.root_hash),
            "cosigned_checkpoint": held.checkpoint,
            "cosignature": held.cosignature,
        },
    )


def apply_cosignature(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """Keep a peer's cosignature of one of this node's checkpoints, once checked."""
    reply = read_reply(envelope.body)
    # Its own key now, or one it retired since the checkpoint was offered (keys/rotation.py).
    keys = [node.key.public_key, *(old.public_key for old in node.key_history.retired)]
    if not any(
        reply.checkpoint.origin == (origin := checkpoint_origin(node.party, key.to_bytes()))
        and verify_note(reply.note, origin, key)
        for key in keys
    ):
        raise InvalidInput(f"cosignature: the checkpoint is not one {node.party} signed")
    key = _peer_key(uow, envelope.sender)
    name = cosigner_name(envelope.sender, key.to_bytes())
    if not verify_cosignature(reply.note.text, reply.cosignature, name, key):
        raise InvalidInput(
            f"cosignature: not {envelope.sender}'s cosignature of this checkpoint ({name})"
        )
    if not store.holds_checkpoint(uow.conn, reply.checkpoint.size, reply.note.text):
        raise InvalidInput(
            f"cosignature: this node's checkpoint of {reply.checkpoint.size} entries is not "
            f"the one {envelope.sender} cosigned"
        )
    store.insert_cosignature(uow.conn, _held(reply, envelope.sender, node))


def _held(reply: Reply, peer: str, node: Node) -> store.Held:
    cosignature: Cosignature = reply.cosignature
    return store.Held(
        size=reply.checkpoint.size,
        witness=cosignature.name,
        peer=peer,
        checkpoint=reply.note.text,
        cosignature=cosignature.to_note_signature().to_line(),
        timestamp=cosignature.timestamp,
        received_at=format_utc(node.clock()),
    )


def _peer_key(uow: UnitOfWork, party: str) -> PublicKey:
    peer = line_store.get_peer(uow.conn, party)
    if peer is None:  # the receiver checked the sender: only a peer removed meanwhile
        raise InvalidInput(f"{party} is not a peer of this node")
    return PublicKey.from_base64(peer.card.public_key)


def _checkpoint_of(note_text: str) -> Checkpoint:
    return parse_checkpoint(parse_note(note_text).text)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
