"""Sealing envelopes into the durable outbox, in the same transaction as what they carry.

An envelope's body is encrypted to its addressee, then the envelope is signed and stored with
the next ``link_seq`` of its link in the writer's transaction, so a message the API accepted is
in the outbox once the API answers, and the link's order is the order of commits. The line's
sender delivers it from there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openline.domain.bodies import Link, check_body
from openline.domain.envelopes import Envelope, seal
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.timeutil import format_utc
from openline.keys.boxes import PairBox, UnreadableBox, box_between, open_by_any
from openline.node.assembly import Node
from openline.store import keys as keys_store
from openline.store import line as store
from openline.store.writer import UnitOfWork


def seal_for(
    uow: UnitOfWork,
    node: Node,
    peer: str,
    kind: str,
    body: Mapping[str, Any],
) -> Envelope:
    """Seal an envelope of ``kind`` for ``peer`` and queue it; journaled as envelope.queued.

    Its body is first read with the rules the peer reads it with on arrival (domain/bodies.py):
    what the peer would refuse is refused here (``InvalidInput``, so the writer's operation is
    rolled back and the API answers 422), never sent to stop the link behind it."""
    try:
        check_body(kind, body, Link(node.party, peer, node.settings.max_text_bytes))
    except InvalidInput as exc:
        raise InvalidInput(
            f"{peer} would refuse this {kind} envelope on arrival, so it is not sent: "
            f"{exc.message}",
            field=exc.field,
        ) from None
    now = node.clock()
    head = line_to(uow, peer)
    box = box_between(node.key, head.public_key)
    envelope = seal(
        envelope_id=node.new_id("env", now),
        sender=node.party,
        to=peer,
        link_seq=head.link_seq + 1,
        prev=head.hash,
        sent_at=format_utc(now),
        kind=kind,
        body=body,
        sign=node.key.sign,
        box=box.seal,
    )
    size = len(envelope.signed) + len(envelope.sig)
    limit = node.settings.max_envelope_bytes
    if size > limit:
        raise InvalidInput(
            f"this would cross the line as an envelope of {size} bytes, over the limit of "
            f"{limit} bytes (max_envelope_bytes)"
        )
    store.insert_outgoing(uow, envelope, envelope.sent_at)
    uow.record(
        JournalKind.ENVELOPE_QUEUED,
        {
            "to": peer,
            "link_seq": envelope.link_seq,
            "id": envelope.id,
            "kind": kind,
            "hash": envelope.hash,
            "prev": envelope.prev,
        },
    )
    return envelope


def box_to(uow: UnitOfWork, node: Node, peer: str) -> PairBox:
    """The box between this node's key and ``peer``'s, as linked: every body crosses the line
    encrypted to its addressee (docs/line.md#encryption-and-relays)."""
    public_key = store.peer_public_key(uow.conn, peer)
    if public_key is None:
        raise InvalidInput(f"this node has no line to {peer!r}", field="to")
    return box_between(node.key, public_key)


def body_sealed(
    uow: UnitOfWork, node: Node, peer: str, envelope_text: str, pair: PairBox | None = None
) -> dict[str, Any]:
    """The body of an envelope this node sealed for ``peer``, read back from its outbox (the
    box opens on both ends of the pair). ``pair``: ``box_to``'s box for ``peer``, when the
    caller read it already in this operation (read here otherwise)."""
    box = json.loads(envelope_text)["body"]["box"]
    try:
        opened: dict[str, Any] = json.loads((pair or box_to(uow, node, peer)).open(box))
    except UnreadableBox:  # sealed before either party rotated its key (services/keys.py)
        theirs = [store.peer_public_key(uow.conn, peer)] + [
            change.old_key for change in keys_store.changes_of(uow.conn, peer)
        ]
        ours = [node.key, *node.key_history.signing_keys()]
        pairs = ((own, other) for own in ours for other in theirs if other is not None)
        opened = json.loads(open_by_any(box, pairs))
    return opened


def require_peer(uow: UnitOfWork, party: str, *, field: str = "to") -> None:
    """Refuse to address a party this node has no line to."""
    if not store.peer_exists(uow.conn, party):
        raise _no_line_to(party, field)


def line_to(uow: UnitOfWork, party: str, *, field: str = "to") -> store.OutboxHead:
    """The key and outbox head of the linked peer ``party`` (what sealing an envelope for it
    needs), read in one statement once a writer transaction (store/line.py); refused as
    ``require_peer`` refuses."""
    head = store.outbox_head(uow, party)
    if head is None:
        raise _no_line_to(party, field)
    return head


def _no_line_to(party: str, field: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: this node has no line to {party!r} (link it with: openline peer add DIR "
        "CARD.json)",
        field=field,
    )


def arrived_on(node: Node, envelope: Envelope) -> Link:
    """The link an envelope came in on, as the rules of its body name it."""
    return Link(envelope.sender, node.party, node.settings.max_text_bytes)
